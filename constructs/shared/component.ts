// What every component construct receives. Components read the resolved model and emit objects;
// none of them knows another's internals beyond the shared names below.
import type { RegistryModel } from '../../lib/model';

export interface ComponentProps {
  readonly model: RegistryModel;
}

/**
 * Whether the managed bucket's credentials are known (the ObjectBucketClaim is bound). Rendering
 * does not wait for it (the pods read the claim's Secret when they start); the controller does:
 * Quay's workloads are applied only then, and nothing is pruned before (upstream PROJQUAY-10876).
 */
export function quayConfigReady(model: RegistryModel): boolean {
  return !model.components.objectstorage.managed || model.objectBucket !== undefined;
}

export { SHARED_NAMES } from '../../lib/names';
