// The registry's Grafana dashboard, as the OpenShift console renders it (Monitoring → Dashboards).
// Legacy `rows` layout with `singlestat` and `graph` panels, which the console supports. Every query
// names the registry's namespace and metrics Service, so a dashboard shows one registry only; the
// Service selects this registry's quay-app pods, so no pod filter is needed.
import { contentHash } from './shared/hash';

export interface DashboardTarget {
  /** The registry's namespace. */
  readonly namespace: string;
  /** The registry's name. */
  readonly name: string;
  /** The metrics Service Prometheus scrapes, `<name>-quay-metrics`. */
  readonly service: string;
}

type Json = Record<string, unknown>;

interface Query {
  readonly expr: string;
  readonly legend: string;
}

function singlestat(id: number, title: string, expr: string): Json {
  return {
    id,
    title,
    type: 'singlestat',
    span: 3,
    format: 'none',
    valueName: 'current',
    nullPointMode: 'connected',
    sparkline: { show: false },
    targets: [{ expr, refId: 'A', legendFormat: title }],
  };
}

function graph(id: number, title: string, queries: readonly Query[], unit: string, span: number): Json {
  return {
    id,
    title,
    type: 'graph',
    span,
    lines: true,
    linewidth: 1,
    fill: 1,
    stack: false,
    nullPointMode: 'null',
    legend: { show: true, values: false },
    tooltip: { shared: true, sort: 0, value_type: 'individual' },
    targets: queries.map((q, i) => ({ expr: q.expr, legendFormat: q.legend, refId: String.fromCharCode(65 + i) })),
    xaxis: { mode: 'time', show: true },
    yaxes: [
      { format: unit, min: 0, show: true },
      { format: 'short', show: false },
    ],
  };
}

function row(title: string, panels: Json[]): Json {
  return { title, showTitle: true, collapse: false, height: '250px', panels };
}

export function quayDashboard(target: DashboardTarget): Json {
  const sel = `namespace="${target.namespace}", service="${target.service}"`;
  const rate = (metric: string) => `rate(${metric}{${sel}}[5m])`;
  const quantile = (q: number, by = '') => `histogram_quantile(${q}, sum by (le${by}) (${rate('quay_request_duration_seconds_bucket')}))`;
  return {
    title: `Quay - ${target.namespace} - ${target.name}`,
    // Stable per registry, so re-importing into Grafana updates the same dashboard.
    uid: `quay-${contentHash({ namespace: target.namespace, name: target.name })}`,
    tags: ['quay'],
    editable: false,
    schemaVersion: 16,
    version: 1,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    timezone: '',
    annotations: { list: [] },
    links: [],
    templating: { list: [] },
    rows: [
      row('Registry contents', [
        singlestat(1, 'Organizations', `max(quay_org_rows{${sel}})`),
        singlestat(2, 'Repositories', `max(quay_repository_rows{${sel}})`),
        singlestat(3, 'Users', `max(quay_user_rows{${sel}})`),
        singlestat(4, 'Robot accounts', `max(quay_robot_rows{${sel}})`),
      ]),
      row('Resources', [
        // Quay's processes report their own usage; summed over the quay-app pods, per process.
        graph(5, 'CPU usage (cores)', [{ expr: `sum by (process_name) (${rate('process_cpu_seconds_total')})`, legend: '{{process_name}}' }], 'short', 6),
        graph(6, 'Max memory usage', [{ expr: `max by (process_name) (process_resident_memory_bytes{${sel}})`, legend: '{{process_name}}' }], 'bytes', 6),
      ]),
      row('Traffic', [
        graph(7, 'Image pulls', [{ expr: `sum(${rate('quay_registry_image_pulls_total')})`, legend: 'pulls/s' }], 'ops', 4),
        graph(8, 'Image pushes', [{ expr: `sum(${rate('quay_registry_image_pushes_total')})`, legend: 'pushes/s' }], 'ops', 4),
        graph(9, 'Authentication requests', [{ expr: `sum by (success) (${rate('quay_authentication_attempts_total')})`, legend: 'success={{success}}' }], 'ops', 4),
      ]),
      row('API', [
        graph(10, 'API request rate', [{ expr: `sum by (route) (${rate('quay_request_duration_seconds_count')})`, legend: '{{route}}' }], 'reqps', 12),
        graph(
          11,
          'Request latency',
          [
            { expr: quantile(0.5), legend: 'p50' },
            { expr: quantile(0.95), legend: 'p95' },
            { expr: quantile(0.99), legend: 'p99' },
          ],
          's',
          6,
        ),
        graph(12, 'Request latency p95 by route', [{ expr: quantile(0.95, ', route'), legend: '{{route}}' }], 's', 6),
      ]),
    ],
  };
}

/** JSON with object keys sorted at every level: the same dashboard always gives the same bytes. */
export function stableStringify(value: unknown, indent = 2): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as Json)
          .sort()
          .map((k) => [k, sorted((v as Json)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sorted(value), null, indent);
}

export function quayDashboardJson(target: DashboardTarget): string {
  return stableStringify(quayDashboard(target));
}
