// The API resources the operator reads and writes, by kind: where they live in the REST API.
import { API_VERSION, KIND } from '../api/types';
import type { KubeObject } from '../synth';
export interface ResourceType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', plural: 'quayregistries', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true },
  { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true },
  { apiVersion: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false },
  { apiVersion: 'route.openshift.io/v1', kind: 'Route', plural: 'routes', namespaced: true },
  // Before OpenShift's config Ingress: typeOf('Ingress') means the networking one.
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', plural: 'httproutes', namespaced: true },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'TLSRoute', plural: 'tlsroutes', namespaced: true },
  { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', plural: 'certificates', namespaced: true },
  { apiVersion: 'objectbucket.io/v1alpha1', kind: 'ObjectBucketClaim', plural: 'objectbucketclaims', namespaced: true },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', plural: 'servicemonitors', namespaced: true },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', plural: 'prometheusrules', namespaced: true },
  { apiVersion: 'config.openshift.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: false },
  // OLM's, in the operator's namespace: read and written only when OPERATOR_CONDITION_NAME is set.
  { apiVersion: 'operators.coreos.com/v2', kind: 'OperatorCondition', plural: 'operatorconditions', namespaced: true },
];

const BY_KIND = new Map(RESOURCE_TYPES.map((t) => [`${t.apiVersion}/${t.kind}`, t]));

export function resourceType(apiVersion: string, kind: string): ResourceType {
  const t = BY_KIND.get(`${apiVersion}/${kind}`);
  if (!t) throw new Error(`unknown resource type ${apiVersion} ${kind}`);
  return t;
}

export function typeOf(kind: string): ResourceType {
  const t = RESOURCE_TYPES.find((x) => x.kind === kind);
  if (!t) throw new Error(`unknown kind ${kind}`);
  return t;
}

/** The collection path, e.g. /apis/apps/v1/namespaces/ns/deployments, or all namespaces without ns. */
export function collectionPath(t: ResourceType, namespace?: string): string {
  const base = t.apiVersion.includes('/') ? `/apis/${t.apiVersion}` : `/api/${t.apiVersion}`;
  return t.namespaced && namespace ? `${base}/namespaces/${namespace}/${t.plural}` : `${base}/${t.plural}`;
}

export function objectPath(t: ResourceType, namespace: string | undefined, name: string): string {
  return `${collectionPath(t, namespace)}/${encodeURIComponent(name)}`;
}

/** Kinds the operator renders for a registry, watched so drift and readiness changes reconcile. */
export const OWNED_KINDS = [
  'Secret',
  'ConfigMap',
  'Service',
  'ServiceAccount',
  'PersistentVolumeClaim',
  'Deployment',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
  'Role',
  'RoleBinding',
  'NetworkPolicy',
  'Route',
  'Ingress',
  'HTTPRoute',
  'TLSRoute',
  'Certificate',
  'ObjectBucketClaim',
  'ServiceMonitor',
  'PrometheusRule',
] as const;

/** The owner reference every object of a registry in its namespace carries (garbage collection on delete). */
export function ownerReference(registry: KubeObject) {
  return { apiVersion: API_VERSION, kind: KIND, name: registry.metadata.name, uid: registry.metadata.uid as string, controller: true, blockOwnerDeletion: true };
}
