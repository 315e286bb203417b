import { App, Chart } from 'cdk8s';
import { quayDashboardJson, stableStringify } from '../../constructs/grafana-dashboard';
import { Monitoring } from '../../constructs/monitoring';
import type { RegistryModel } from '../../lib/model';
import { testEnvironment, testModel } from '../support/model';
import { validateAll } from '../support/schema';

function render(model: RegistryModel): any[] {
  const chart = new Chart(new App(), 'test', { namespace: model.namespace, disableResourceNameHashes: true });
  new Monitoring(chart, 'monitoring', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}

const find = (objs: any[], kind: string, name: string) => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objs.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')}`);
  return found;
};

const REGISTRY_LABEL = { 'quay-operator/quayregistry': 'example-registry' };

/** Every PromQL expression of the dashboard. */
function dashboardExprs(dashboard: any): string[] {
  return dashboard.rows.flatMap((r: any) => r.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)));
}

describe('Monitoring', () => {
  const objs = render(testModel());

  it('renders the monitoring objects with their upstream names', () => {
    expect(objs.map((o) => `${o.kind} ${o.metadata.name}`).sort()).toEqual([
      'ConfigMap example-registry-grafana-dashboard-quay',
      'PrometheusRule example-registry-quay-prometheus-rules',
      'Role example-registry-quay-alerts-role',
      'Role example-registry-quay-metrics',
      'RoleBinding example-registry-quay-alerts-rolebinding',
      'RoleBinding example-registry-quay-metrics',
      'Service example-registry-quay-metrics',
      'ServiceMonitor example-registry-quay-metrics-monitor',
    ]);
    for (const o of objs) expect(o.metadata.labels).toMatchObject({ 'quay-component': 'monitoring', ...REGISTRY_LABEL });
  });

  it('renders no dashboard where the OpenShift console is not (its namespace would not exist)', () => {
    const env = testEnvironment('openshift');
    const plain = render(testModel({ environment: { capabilities: { ...env.capabilities, consoleDashboards: false } } }));
    expect(plain.map((o) => `${o.kind} ${o.metadata.name}`)).not.toContain('ConfigMap example-registry-grafana-dashboard-quay');
    expect(plain.map((o) => o.metadata.namespace)).not.toContain('openshift-config-managed');
    expect(plain.map((o) => o.kind)).toEqual(expect.arrayContaining(['ServiceMonitor', 'PrometheusRule']));
  });

  it('exposes port 9091 of this registry\'s quay-app pods through the metrics Service', () => {
    const svc = find(objs, 'Service', 'example-registry-quay-metrics');
    expect(svc.metadata.namespace).toBe('quay-enterprise');
    expect(svc.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/scheme': 'http', 'prometheus.io/port': '9091' });
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.selector).toEqual({ 'quay-component': 'quay-app', ...REGISTRY_LABEL });
    expect(svc.spec.ports).toEqual([{ name: 'quay-metrics', protocol: 'TCP', port: 9091, targetPort: 9091 }]);
  });

  it('scopes the ServiceMonitor to this namespace and this registry\'s Service', () => {
    const sm = find(objs, 'ServiceMonitor', 'example-registry-quay-metrics-monitor');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.spec.endpoints).toEqual([{ port: 'quay-metrics' }]);
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ['quay-enterprise'] });
    expect(sm.spec.selector).toEqual({ matchLabels: { 'quay-component': 'monitoring', ...REGISTRY_LABEL } });
    // The selector matches the metrics Service's labels.
    expect(find(objs, 'Service', 'example-registry-quay-metrics').metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
  });

  it('alerts on this registry\'s frequently restarting quay-app pods only', () => {
    const rule = find(objs, 'PrometheusRule', 'example-registry-quay-prometheus-rules');
    expect(rule.metadata.labels).toMatchObject({ prometheus: 'k8s', role: 'alert-rules' });
    expect(rule.spec.groups).toHaveLength(1);
    const [group] = rule.spec.groups;
    expect(group.name).toBe('quay-alerts.rules');
    expect(group.rules).toHaveLength(1);
    const [alert] = group.rules;
    expect(alert.alert).toBe('QuayPodFrequentlyRestarting');
    expect(alert.expr).toBe('increase(kube_pod_container_status_restarts_total{namespace="quay-enterprise",pod=~"example-registry-quay-app-.*"}[1h]) > 5');
    expect(alert.for).toBe('10m');
    expect(alert.labels).toEqual({ severity: 'warning' });
    expect(alert.annotations).toEqual({
      summary: 'Quay pod is restarting frequently',
      description: 'Pod {{ $labels.namespace }}/{{ $labels.pod }} was restarted {{ $value }} times within the last hour.',
    });
  });

  it('grants the cluster Prometheus read access for discovery, and the Prometheus operator read access to rules', () => {
    const metricsRole = find(objs, 'Role', 'example-registry-quay-metrics');
    expect(metricsRole.rules).toEqual([{ apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] }]);
    const metricsBinding = find(objs, 'RoleBinding', 'example-registry-quay-metrics');
    expect(metricsBinding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'example-registry-quay-metrics' });
    expect(metricsBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'prometheus-k8s', namespace: 'openshift-monitoring' }]);

    const alertsRole = find(objs, 'Role', 'example-registry-quay-alerts-role');
    expect(alertsRole.rules).toEqual([{ apiGroups: ['monitoring.coreos.com'], resources: ['prometheusrules'], verbs: ['get', 'list', 'watch'] }]);
    const alertsBinding = find(objs, 'RoleBinding', 'example-registry-quay-alerts-rolebinding');
    expect(alertsBinding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'example-registry-quay-alerts-role' });
    expect(alertsBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'prometheus-operator', namespace: 'openshift-monitoring' }]);
    // No write verbs anywhere.
    const verbs = [metricsRole, alertsRole].flatMap((r) => r.rules.flatMap((x: any) => x.verbs));
    expect(new Set(verbs)).toEqual(new Set(['get', 'list', 'watch']));
  });

  it('puts the console dashboard in openshift-config-managed with labels to find it by', () => {
    const cm = find(objs, 'ConfigMap', 'example-registry-grafana-dashboard-quay');
    expect(cm.metadata.namespace).toBe('openshift-config-managed');
    expect(cm.metadata).not.toHaveProperty('ownerReferences');
    expect(cm.metadata.labels).toEqual({
      'console.openshift.io/dashboard': 'true',
      'quay-component': 'monitoring',
      'quay-operator/quayregistry-namespace': 'quay-enterprise',
      ...REGISTRY_LABEL,
    });
    expect(Object.keys(cm.data)).toEqual(['quay.json']);
  });

  it('stableStringify sorts keys at every level and keeps nulls and arrays in order', () => {
    expect(stableStringify({ b: null, a: [2, { d: 1, c: [null] }] }, 0)).toBe('{"a":[2,{"c":[null],"d":1}],"b":null}');
  });

  it('the dashboard as rendered: panels, units, legends and layout (snapshot)', () => {
    expect(find(objs, 'ConfigMap', 'example-registry-grafana-dashboard-quay').data['quay.json']).toMatchSnapshot();
  });

  it('renders a dashboard that parses, is titled for the registry and queries only its Service', () => {
    const dashboard = JSON.parse(find(objs, 'ConfigMap', 'example-registry-grafana-dashboard-quay').data['quay.json']);
    expect(dashboard.title).toBe('Quay - quay-enterprise - example-registry');
    const exprs = dashboardExprs(dashboard);
    expect(exprs.length).toBeGreaterThanOrEqual(12);
    for (const expr of exprs) expect(expr).toContain('namespace="quay-enterprise", service="example-registry-quay-metrics"');
    const all = exprs.join('\n');
    for (const metric of [
      'quay_org_rows',
      'quay_repository_rows',
      'quay_user_rows',
      'quay_robot_rows',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'quay_registry_image_pulls_total',
      'quay_registry_image_pushes_total',
      'quay_authentication_attempts_total',
      'quay_request_duration_seconds_count',
      'quay_request_duration_seconds_bucket',
    ]) {
      expect(all).toContain(metric);
    }
    expect(all).toContain('histogram_quantile(0.95');
    expect(all).not.toContain('$');
    const ids = dashboard.rows.flatMap((r: any) => r.panels.map((p: any) => p.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('serializes the dashboard deterministically, keys sorted', () => {
    const target = { namespace: 'ns', name: 'reg', service: 'reg-quay-metrics' };
    expect(quayDashboardJson(target)).toBe(quayDashboardJson(target));
    expect(stableStringify({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } }, 0)).toBe('{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}');
    const other = JSON.parse(quayDashboardJson({ namespace: 'other', name: 'reg', service: 'reg-quay-metrics' }));
    expect(other.uid).not.toBe(JSON.parse(quayDashboardJson(target)).uid);
  });

  it('follows the registry\'s name and namespace', () => {
    const other = render(testModel({ name: 'second', namespace: 'team-a' }));
    const sm = find(other, 'ServiceMonitor', 'second-quay-metrics-monitor');
    expect(sm.metadata.namespace).toBe('team-a');
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ['team-a'] });
    const dashboard = JSON.parse(find(other, 'ConfigMap', 'second-grafana-dashboard-quay').data['quay.json']);
    expect(dashboard.title).toBe('Quay - team-a - second');
    for (const expr of dashboardExprs(dashboard)) expect(expr).toContain('namespace="team-a", service="second-quay-metrics"');
  });

  it('takes the monitoring override labels and annotations', () => {
    const model = testModel({ spec: { components: [{ kind: 'monitoring', managed: true, overrides: { labels: { team: 'obs' }, annotations: { note: 'm' } } }] } });
    const rendered = render(model);
    for (const o of rendered) {
      expect(o.metadata.labels.team).toBe('obs');
      expect(o.metadata.annotations).toMatchObject({ note: 'm' });
    }
    // Overrides do not replace the labels objects are selected by.
    expect(find(rendered, 'Service', 'example-registry-quay-metrics').spec.selector).toEqual({ 'quay-component': 'quay-app', ...REGISTRY_LABEL });
  });
});
