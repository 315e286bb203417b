// What every component construct receives. Components read the resolved model and emit objects;
// none of them knows another's internals beyond the shared names below.
import type { RegistryModel } from '../../lib/model';

export interface ComponentProps {
  readonly model: RegistryModel;
}

/**
 * Quay's config needs the managed bucket's credentials, which exist only once the
 * ObjectBucketClaim is bound. Until then the workloads that read the config are not rendered
 * (they would start with no storage and crash), upstream PROJQUAY-10876.
 */
export function quayConfigReady(model: RegistryModel): boolean {
  return !model.components.objectstorage.managed || model.objectBucket !== undefined;
}

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
