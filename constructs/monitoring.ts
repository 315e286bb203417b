// Cluster monitoring for one registry: a metrics Service over the quay-app pods, the ServiceMonitor
// and alert rule the cluster Prometheus picks up, the RBAC it needs in this namespace, and the
// console's Grafana dashboard.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../imports/prometheusrule-monitoring.coreos.com';
import { ServiceMonitor } from '../imports/servicemonitor-monitoring.coreos.com';
import { LABEL_COMPONENT, LABEL_REGISTRY } from '../lib/api/types';
import type { RegistryModel } from '../lib/model';
import { quayDashboardJson } from './grafana-dashboard';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor, selectorLabels } from './shared/metadata';
import { LABEL_REGISTRY_NAMESPACE } from '../lib/names';

export const METRICS_PORT = 9091;
const COMPONENT = 'monitoring';
/** Where the cluster Prometheus and its operator run (their ServiceAccounts). */
const MONITORING_NAMESPACE = 'openshift-monitoring';
/** The console reads dashboards from ConfigMaps labelled console.openshift.io/dashboard here. */
export const DASHBOARD_NAMESPACE = 'openshift-config-managed';
// In lib/names: the controller reads it without loading the constructs.
export { LABEL_REGISTRY_NAMESPACE };

export function metricsServiceName(model: RegistryModel): string {
  return nameFor(model, 'quay-metrics');
}

export function dashboardConfigMapName(model: RegistryModel): string {
  return nameFor(model, 'grafana-dashboard-quay');
}

/** A Role in the registry's namespace, bound to a ServiceAccount of the cluster monitoring stack. */
function roleAndBinding(
  scope: Construct,
  id: string,
  meta: (name: string) => k8s.ObjectMeta,
  props: { role: string; binding: string; serviceAccount: string; rules: k8s.PolicyRule[] },
): void {
  new k8s.KubeRole(scope, `${id}-role`, { metadata: meta(props.role), rules: props.rules });
  new k8s.KubeRoleBinding(scope, `${id}-rolebinding`, {
    metadata: meta(props.binding),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: props.role },
    subjects: [{ kind: 'ServiceAccount', name: props.serviceAccount, namespace: MONITORING_NAMESPACE }],
  });
}

export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.monitoring.overrides;
    const meta = (name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) =>
      metadataFor(model, name, { component: COMPONENT, overrides, ...extra });
    const serviceName = metricsServiceName(model);

    new k8s.KubeService(this, 'service', {
      metadata: meta(serviceName, {
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/scheme': 'http', 'prometheus.io/port': String(METRICS_PORT) },
      }),
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels(model, SHARED_NAMES.quayApp),
        ports: [{ name: 'quay-metrics', protocol: 'TCP', port: METRICS_PORT, targetPort: k8s.IntOrString.fromNumber(METRICS_PORT) }],
      },
    });

    new ServiceMonitor(this, 'service-monitor', {
      metadata: meta(nameFor(model, 'quay-metrics-monitor')),
      spec: {
        endpoints: [{ port: 'quay-metrics' }],
        // This namespace only (not `any: true`), and this registry's Service only.
        namespaceSelector: { matchNames: [model.namespace] },
        selector: { matchLabels: { [LABEL_COMPONENT]: COMPONENT, [LABEL_REGISTRY]: model.name } },
      },
    });

    // Registry names are DNS labels, so the name needs no regex escaping.
    const pods = `${nameFor(model, SHARED_NAMES.quayApp)}-.*`;
    new PrometheusRule(this, 'rules', {
      metadata: meta(nameFor(model, 'quay-prometheus-rules'), { labels: { prometheus: 'k8s', role: 'alert-rules' } }),
      spec: {
        groups: [
          {
            name: 'quay-alerts.rules',
            rules: [
              {
                alert: 'QuayPodFrequentlyRestarting',
                // Scoped to this registry's pods (upstream matched every `.*-quay-app-.*` in the cluster).
                expr: PrometheusRuleSpecGroupsRulesExpr.fromString(
                  `increase(kube_pod_container_status_restarts_total{namespace="${model.namespace}",pod=~"${pods}"}[1h]) > 5`,
                ),
                for: '10m',
                labels: { severity: 'warning' },
                annotations: {
                  summary: 'Quay pod is restarting frequently',
                  description: 'Pod {{ $labels.namespace }}/{{ $labels.pod }} was restarted {{ $value }} times within the last hour.',
                },
              },
            ],
          },
        ],
      },
    });

    // The cluster Prometheus discovers the metrics endpoints (ServiceMonitor, endpoints role).
    roleAndBinding(this, 'metrics', meta, {
      role: nameFor(model, 'quay-metrics'),
      binding: nameFor(model, 'quay-metrics'),
      serviceAccount: 'prometheus-k8s',
      rules: [{ apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] }],
    });
    // The Prometheus operator loads PrometheusRules into the cluster Prometheus. Upstream granted it
    // read access to services, endpoints and pods, which it never reads here; least privilege is
    // reading the rules.
    roleAndBinding(this, 'alerts', meta, {
      role: nameFor(model, 'quay-alerts-role'),
      binding: nameFor(model, 'quay-alerts-rolebinding'),
      serviceAccount: 'prometheus-operator',
      rules: [{ apiGroups: ['monitoring.coreos.com'], resources: ['prometheusrules'], verbs: ['get', 'list', 'watch'] }],
    });

    // Lives in openshift-config-managed, so it cannot have an ownerReference to the QuayRegistry
    // (owners must be in the same namespace) and is not garbage-collected with it. It carries the
    // registry labels (plus the registry's namespace) so the controller can find and delete it.
    // Only where the OpenShift console is: elsewhere that namespace does not exist.
    if (!model.environment.capabilities.consoleDashboards) return;
    new k8s.KubeConfigMap(this, 'dashboard', {
      metadata: metadataFor(model, dashboardConfigMapName(model), {
        component: COMPONENT,
        overrides,
        namespace: DASHBOARD_NAMESPACE,
        labels: { 'console.openshift.io/dashboard': 'true', [LABEL_REGISTRY_NAMESPACE]: model.namespace },
      }),
      data: { 'quay.json': quayDashboardJson({ namespace: model.namespace, name: model.name, service: serviceName }) },
    });
  }
}
