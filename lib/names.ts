// Object name suffixes the renderer and the controller (and the config assembly) both need:
// `<registry>-<suffix>`. Users' runbooks name these objects; keep them.
/** Names shared between components (Services others connect to, Secrets others mount). */
export const SHARED_NAMES = {
  quayApp: 'quay-app',
  quayDatabase: 'quay-database',
  clairApp: 'clair-app',
  clairPostgres: 'clair-postgres',
  redis: 'quay-redis',
  mirror: 'quay-mirror',
  configEditor: 'quay-config-editor',
  managedKeys: 'quay-registry-managed-secret-keys',
  datastore: 'quay-datastore',
  clusterServiceCa: 'cluster-service-ca',
  clusterTrustedCa: 'cluster-trusted-ca',
} as const;

/** A namespace or QuayRegistry name (RFC 1123 label). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A cluster's apps domain (--apps-domain, QUAY_APPS_DOMAIN): at least two DNS labels. */
export const APPS_DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

/** `<registry>-<suffix>`. */
export function registryObjectName(registry: string, suffix: string): string {
  return `${registry}-${suffix}`;
}

/**
 * On OpenShift the cluster's Prometheus scrapes (and evaluates rules of) only namespaces with this
 * label; the operator sets it where a registry's monitoring is managed, as upstream does.
 */
export const CLUSTER_MONITORING_LABEL = 'openshift.io/cluster-monitoring';

/**
 * On the QuayRegistry (set by the admin) and on the migration Job it created: a new value on the
 * registry re-runs a failed migration (the failed Job is replaced by one carrying that value).
 */
export const RETRY_MIGRATION_ANNOTATION = 'quay-operator/retry-migration';

/** What Quay applies over config.yaml (app.py): the previous version serves read-only through it while migrations run. */
export const QUAY_OVERRIDE_CONFIG_ENV = 'QUAY_OVERRIDE_CONFIG';

/** With the registry label, tells apart same-named registries' dashboards in the console's dashboards namespace. */
export const LABEL_REGISTRY_NAMESPACE = 'quay-operator/quayregistry-namespace';
