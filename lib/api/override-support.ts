// Which overrides each component takes. Pod placement (affinity, tolerations, nodeSelector) works on
// every component with pods, so the seeds' "infrastructure nodes" scenario covers databases too.
// Replicas only where more than one pod is safe: databases hold a ReadWriteOnce volume, and redis is
// a single in-memory instance.
import { ComponentKind, OverrideKind } from './types';

const POD_PLACEMENT: OverrideKind[] = ['affinity', 'tolerations', 'nodeSelector'];
const METADATA: OverrideKind[] = ['labels', 'annotations'];

// storageClassName where the component has volumes (the databases' claims, Clair's layer volume, the
// bucket claim); securityContext wherever there are pods (a cluster's user and group ranges, fsGroup
// for storage that needs it).
export const OVERRIDE_SUPPORT: Record<ComponentKind, readonly OverrideKind[]> = {
  quay: ['env', 'replicas', 'resources', 'securityContext', ...POD_PLACEMENT, ...METADATA],
  postgres: ['env', 'volumeSize', 'storageClassName', 'resources', 'securityContext', ...POD_PLACEMENT, ...METADATA],
  clair: ['env', 'replicas', 'volumeSize', 'storageClassName', 'resources', 'securityContext', ...POD_PLACEMENT, ...METADATA],
  clairpostgres: ['env', 'volumeSize', 'storageClassName', 'resources', 'securityContext', ...POD_PLACEMENT, ...METADATA],
  redis: ['env', 'resources', 'securityContext', ...POD_PLACEMENT, ...METADATA],
  mirror: ['env', 'replicas', 'resources', 'securityContext', ...POD_PLACEMENT, ...METADATA],
  horizontalpodautoscaler: METADATA,
  objectstorage: ['storageClassName', ...METADATA],
  route: METADATA,
  monitoring: METADATA,
  tls: [],
};

/** Components whose Deployment an HPA scales when horizontalpodautoscaler is managed. */
export const AUTOSCALED: readonly ComponentKind[] = ['quay', 'clair', 'mirror'];

/** Labels the operator selects on; an override may not change them. */
export const RESERVED_LABELS = ['quay-component', 'app', 'quay-operator/quayregistry'];
