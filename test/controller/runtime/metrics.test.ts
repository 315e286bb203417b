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
});
