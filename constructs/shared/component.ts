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

export { SHARED_NAMES } from '../../lib/names';
