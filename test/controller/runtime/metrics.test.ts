import { Registry } from '../../../lib/controller/runtime/metrics';

describe('metrics registry', () => {
  it('renders counters, gauges and histograms in the text format, in a deterministic order', () => {
    const r = new Registry();
    const reconciles = r.counter({ name: 'quay_operator_reconcile_total', help: 'Reconciles by result.', labelNames: ['result', 'controller'] });
    const depth = r.gauge({ name: 'quay_operator_workqueue_depth', help: 'Keys waiting.', collect: (g) => g.set(undefined, 3) });
    const duration = r.histogram({ name: 'quay_operator_reconcile_duration_seconds', help: 'Reconcile time.', buckets: [1, 0.1, 0.5] });
    reconciles.inc({ result: 'success', controller: 'quayregistry' });
    reconciles.inc({ result: 'error', controller: 'quayregistry' }, 2);
    reconciles.inc({ controller: 'quayregistry', result: 'success' });
    duration.observe(undefined, 0.05);
    duration.observe(undefined, 0.3);
    duration.observe(undefined, 7);
    void depth;
    expect(r.render()).toBe(
      [
        '# HELP quay_operator_reconcile_duration_seconds Reconcile time.',
        '# TYPE quay_operator_reconcile_duration_seconds histogram',
        'quay_operator_reconcile_duration_seconds_bucket{le="0.1"} 1',
        'quay_operator_reconcile_duration_seconds_bucket{le="0.5"} 2',
        'quay_operator_reconcile_duration_seconds_bucket{le="1"} 2',
        'quay_operator_reconcile_duration_seconds_bucket{le="+Inf"} 3',
        'quay_operator_reconcile_duration_seconds_sum 7.35',
        'quay_operator_reconcile_duration_seconds_count 3',
        '# HELP quay_operator_reconcile_total Reconciles by result.',
        '# TYPE quay_operator_reconcile_total counter',
        'quay_operator_reconcile_total{result="error",controller="quayregistry"} 2',
        'quay_operator_reconcile_total{result="success",controller="quayregistry"} 2',
        '# HELP quay_operator_workqueue_depth Keys waiting.',
        '# TYPE quay_operator_workqueue_depth gauge',
        'quay_operator_workqueue_depth 3',
        '',
      ].join('\n'),
    );
  });

  it('labels histograms per series and escapes label values and help text', () => {
    const r = new Registry();
    const h = r.histogram({ name: 'apply_seconds', help: 'Apply time\nby kind \\ path.', labelNames: ['kind'], buckets: [1] });
    h.observe({ kind: 'Secret' }, 2);
    h.observe({ kind: 'Deployment' }, 0.5);
    const g = r.gauge({ name: 'info', help: 'x', labelNames: ['v'] });
    g.set({ v: 'a "quoted"\nline \\ back' }, 1);
    g.dec({ v: 'a "quoted"\nline \\ back' }, 0.5);
    expect(r.render()).toBe(
      [
        '# HELP apply_seconds Apply time\\nby kind \\\\ path.',
        '# TYPE apply_seconds histogram',
        'apply_seconds_bucket{kind="Deployment",le="1"} 1',
        'apply_seconds_bucket{kind="Deployment",le="+Inf"} 1',
        'apply_seconds_sum{kind="Deployment"} 0.5',
        'apply_seconds_count{kind="Deployment"} 1',
        'apply_seconds_bucket{kind="Secret",le="1"} 0',
        'apply_seconds_bucket{kind="Secret",le="+Inf"} 1',
        'apply_seconds_sum{kind="Secret"} 2',
        'apply_seconds_count{kind="Secret"} 1',
        '# HELP info x',
        '# TYPE info gauge',
        'info{v="a \\"quoted\\"\\nline \\\\ back"} 0.5',
        '',
      ].join('\n'),
    );
  });

  it('rejects bad names, unknown or missing labels, decreasing counters and duplicates', () => {
    const r = new Registry();
    expect(() => r.counter({ name: 'bad-name', help: '' })).toThrow(/invalid metric name/);
    expect(() => r.counter({ name: 'ok', help: '', labelNames: ['__x'] })).toThrow(/invalid label name/);
    const c = r.counter({ name: 'c_total', help: 'c', labelNames: ['a'] });
    expect(() => c.inc({ b: 'x' })).toThrow(/no label b/);
    expect(() => c.inc({})).toThrow(/needs label a/);
    expect(() => c.inc({ a: 'x' }, -1)).toThrow(/only increase/);
    expect(() => r.gauge({ name: 'c_total', help: '' })).toThrow(/already registered/);
    r.histogram({ name: 'h', help: '' });
    expect(() => r.counter({ name: 'h_count', help: '' })).toThrow(/already registered/);
    expect(() => r.histogram({ name: 'h2', help: '', labelNames: ['le'] })).toThrow(/le/);
  });

  it('renders special values and removes series', () => {
    const r = new Registry();
    const g = r.gauge({ name: 'g', help: 'g', labelNames: ['k'] });
    g.set({ k: 'nan' }, NaN);
    g.set({ k: 'inf' }, Infinity);
    g.set({ k: 'gone' }, 1);
    g.remove({ k: 'gone' });
    expect(r.render()).toBe('# HELP g g\n# TYPE g gauge\ng{k="inf"} +Inf\ng{k="nan"} NaN\n');
    g.reset();
    expect(r.render()).toBe('# HELP g g\n# TYPE g gauge\n');
  });

  it('orders series by each label value in turn, whatever the order they were created in', () => {
    const want = ['w/c', 'x/a', 'x/b', 'y/a'];
    const permutations = (xs: string[]): string[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    for (const order of permutations(want)) {
      const r = new Registry();
      const g = r.gauge({ name: 'g', help: 'g', labelNames: ['a', 'b'] });
      for (const v of order) g.set({ a: v[0], b: v[2] }, 1);
      const rendered = r.render().split('\n').filter((l) => l.startsWith('g{'));
      expect(rendered).toEqual(want.map((v) => `g{a="${v[0]}",b="${v[2]}"} 1`));
    }
  });

  it('renders -Inf, counts inc by 0, and moves gauges both ways', () => {
    const r = new Registry();
    const g = r.gauge({ name: 'g', help: 'g' });
    g.set(undefined, -Infinity);
    expect(r.render()).toBe('# HELP g g\n# TYPE g gauge\ng -Inf\n');
    g.set(undefined, 1);
    g.inc();
    g.inc(undefined, 2.5);
    g.dec(undefined, 0.5);
    expect(g.get()).toBe(4);
    const c = r.counter({ name: 'c_total', help: 'c' });
    c.inc(undefined, 0);
    c.inc();
    expect(c.get()).toBe(1);
  });

  it('removes the series of an empty label value when the label is left out', () => {
    const r = new Registry();
    const g = r.gauge({ name: 'g', help: 'g', labelNames: ['k'] });
    g.set({ k: '' }, 1);
    g.set({ k: 'x' }, 2);
    g.remove({});
    expect(r.render()).toBe('# HELP g g\n# TYPE g gauge\ng{k="x"} 2\n');
  });

  it('histogram buckets: sorted, +Inf once, duplicates refused, a value on a bound counted in it', () => {
    const r = new Registry();
    const h = r.histogram({ name: 'h', help: 'h', buckets: [1, 0.5, Infinity] });
    expect(h.buckets).toEqual([0.5, 1]);
    h.observe(undefined, 1);
    h.observe(undefined, 0.5);
    expect(r.render()).toBe(
      ['# HELP h h', '# TYPE h histogram', 'h_bucket{le="0.5"} 1', 'h_bucket{le="1"} 2', 'h_bucket{le="+Inf"} 2', 'h_sum 1.5', 'h_count 2', ''].join('\n'),
    );
    expect(() => r.histogram({ name: 'h3', help: '', buckets: [2, 1, 1] })).toThrow('histogram h3 has duplicate buckets');
    expect(() => r.histogram({ name: 'h4', help: '', buckets: [1, 2, 3] })).not.toThrow();
  });

  it('startTimer observes the seconds elapsed on the clock it is given', () => {
    const r = new Registry();
    const h = r.histogram({ name: 'h', help: 'h', buckets: [1] });
    let t = 10_000;
    const stop = h.startTimer(undefined, () => t);
    t += 1500;
    expect(stop()).toBe(1.5);
    expect(r.render()).toContain('h_sum 1.5\n');
  });

  it("refuses names a histogram's series use, and only those", () => {
    const r = new Registry();
    r.histogram({ name: 'h', help: '' });
    for (const name of ['h_bucket', 'h_sum', 'h_count']) expect(() => r.counter({ name, help: '' })).toThrow(`metric ${name} is already registered`);
    r.counter({ name: 'c', help: '' });
    expect(() => r.counter({ name: 'c_count', help: '' })).not.toThrow();
    expect(() => r.counter({ name: 'c_sum', help: '' })).not.toThrow();
  });
});
