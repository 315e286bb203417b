// A tiny Prometheus registry: counters, gauges and histograms with labels, rendered in the text
// exposition format (version 0.0.4). Output order is deterministic: metrics by name, series by
// their label values, histogram buckets by bound.

export type Labels = Record<string, string | number>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i])}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

interface MetricOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

abstract class Metric<S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected readonly series = new Map<string, { values: string[]; state: S }>();

  constructor(options: MetricOptions) {
    if (!METRIC_NAME.test(options.name)) throw new Error(`invalid metric name ${JSON.stringify(options.name)}`);
    for (const l of options.labelNames ?? []) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new Error(`invalid label name ${JSON.stringify(l)} on ${options.name}`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = [...(options.labelNames ?? [])];
  }

  protected abstract initial(): S;

  protected state(labels: Labels = {}): S {
    const given = Object.keys(labels);
    for (const k of given) if (!this.labelNames.includes(k)) throw new Error(`metric ${this.name} has no label ${k}`);
    const values = this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new Error(`metric ${this.name} needs label ${n}`);
      return String(v);
    });
    const key = JSON.stringify(values);
    let s = this.series.get(key);
    if (!s) {
      s = { values, state: this.initial() };
      this.series.set(key, s);
    }
    return s.state;
  }

  /** Removes every series (e.g. a gauge about objects that may disappear). */
  reset(): void {
    this.series.clear();
  }

  /** Removes one series. */
  remove(labels: Labels = {}): void {
    const values = this.labelNames.map((n) => String(labels[n] ?? ''));
    this.series.delete(JSON.stringify(values));
  }

  protected sortedSeries(): { values: string[]; state: S }[] {
    return [...this.series.values()].sort((a, b) => compareValues(a.values, b.values));
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.sortedSeries()) lines.push(...this.renderSeries(s.values, s.state));
    return lines.join('\n') + '\n';
  }

  protected abstract renderSeries(values: string[], state: S): string[];
}

function compareValues(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

export class Counter extends Metric<{ value: number }> {
  readonly type = 'counter';

  protected initial(): { value: number } {
    return { value: 0 };
  }

  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} can only increase (got ${by})`);
    this.state(labels).value += by;
  }

  get(labels?: Labels): number {
    return this.state(labels).value;
  }

  protected renderSeries(values: string[], s: { value: number }): string[] {
    return [`${this.name}${renderLabels(this.labelNames, values)} ${formatValue(s.value)}`];
  }
}

export class Gauge extends Metric<{ value: number }> {
  readonly type = 'gauge';

  constructor(options: MetricOptions & { collect?: (gauge: Gauge) => void }) {
    super(options);
    this.collector = options.collect;
  }

  private readonly collector?: (gauge: Gauge) => void;

  protected initial(): { value: number } {
    return { value: 0 };
  }

  set(labels: Labels | undefined, value: number): void {
    this.state(labels).value = value;
  }

  inc(labels?: Labels, by = 1): void {
    this.state(labels).value += by;
  }

  dec(labels?: Labels, by = 1): void {
    this.state(labels).value -= by;
  }

  get(labels?: Labels): number {
    return this.state(labels).value;
  }

  render(): string {
    this.collector?.(this);
    return super.render();
  }

  protected renderSeries(values: string[], s: { value: number }): string[] {
    return [`${this.name}${renderLabels(this.labelNames, values)} ${formatValue(s.value)}`];
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramState> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(options: MetricOptions & { buckets?: readonly number[] }) {
    super(options);
    if (this.labelNames.includes('le')) throw new Error(`histogram ${options.name} cannot have a label named le`);
    const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)].filter((b) => b !== Infinity).sort((a, b) => a - b);
    if (buckets.some((b, i) => i > 0 && b === buckets[i - 1])) throw new Error(`histogram ${options.name} has duplicate buckets`);
    this.buckets = buckets;
  }

  protected initial(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  observe(labels: Labels | undefined, value: number): void {
    const s = this.state(labels);
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Starts a timer; calling the result observes the seconds elapsed. */
  startTimer(labels?: Labels, now: () => number = () => performance.now()): () => number {
    const start = now();
    return () => {
      const seconds = (now() - start) / 1000;
      this.observe(labels, seconds);
      return seconds;
    };
  }

  protected renderSeries(values: string[], s: HistogramState): string[] {
    const lines = this.buckets.map((b, i) => `${this.name}_bucket${renderLabels(this.labelNames, values, ['le', formatValue(b)])} ${s.counts[i]}`);
    lines.push(`${this.name}_bucket${renderLabels(this.labelNames, values, ['le', '+Inf'])} ${s.count}`);
    lines.push(`${this.name}_sum${renderLabels(this.labelNames, values)} ${formatValue(s.sum)}`);
    lines.push(`${this.name}_count${renderLabels(this.labelNames, values)} ${s.count}`);
    return lines;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric<unknown>>();

  counter(options: MetricOptions): Counter {
    return this.register(new Counter(options));
  }

  gauge(options: MetricOptions & { collect?: (gauge: Gauge) => void }): Gauge {
    return this.register(new Gauge(options));
  }

  histogram(options: MetricOptions & { buckets?: readonly number[] }): Histogram {
    return this.register(new Histogram(options));
  }

  get(name: string): Counter | Gauge | Histogram | undefined {
    return this.metrics.get(name) as Counter | Gauge | Histogram | undefined;
  }

  /** The text exposition of every metric, sorted by name. */
  render(): string {
    return [...this.metrics.keys()]
      .sort()
      .map((name) => (this.metrics.get(name) as Metric<unknown>).render())
      .join('');
  }

  private register<M extends Counter | Gauge | Histogram>(metric: M): M {
    const taken = this.metrics.has(metric.name) || [...this.metrics.values()].some((m) => m.type === 'histogram' && [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`].includes(metric.name));
    if (taken) throw new Error(`metric ${metric.name} is already registered`);
    this.metrics.set(metric.name, metric as Metric<unknown>);
    return metric;
  }
}
