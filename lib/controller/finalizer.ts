// A registry being deleted: its objects in its namespace go by garbage collection (ownerReferences);
// what lies elsewhere is removed here before the finalizer is: the Grafana dashboard ConfigMap in
// openshift-config-managed, and the namespace's monitoring label (unless another registry wants it).
import { DASHBOARD_NAMESPACE } from '../../constructs/monitoring';
import type { KubeObject } from '../synth';
import { ApiError, KubeClient } from './kube-client';
import type { MonitoringLabel } from './monitoring-label';
import type { ReadCache } from './reconciler';
import type { RefusalReporter } from './refusals';
import type { RegistryWrites } from './registry-writes';
import { typeOf } from './resources';

export const FINALIZER = 'quay-operator/finalizer';

export interface FinalizerDeps {
  readonly client: KubeClient;
  readonly owned: ReadonlyMap<string, ReadCache>;
  readonly refusals: RefusalReporter;
  readonly writes: RegistryWrites;
  readonly monitoringLabel: MonitoringLabel;
}

/** Deletes the registry's Grafana dashboard (also when monitoring becomes unmanaged). */
export async function removeDashboard(deps: Pick<FinalizerDeps, 'client' | 'owned' | 'writes'>, registry: KubeObject): Promise<{ writes: number; error?: unknown }> {
  const dashboard = deps.owned.get('ConfigMap')?.get(DASHBOARD_NAMESPACE, `${registry.metadata.name}-grafana-dashboard-quay`);
  // Only this registry's: another namespace's registry of the same name may own a dashboard of that name.
  if (!dashboard || dashboard.metadata.labels?.['quay-operator/quayregistry-namespace'] !== registry.metadata.namespace) return { writes: 0 };
  const error = await deps.writes.guarded(registry, { verb: 'delete', kind: 'ConfigMap', name: `${DASHBOARD_NAMESPACE}/${dashboard.metadata.name}` }, () =>
    deps.client.delete(typeOf('ConfigMap'), DASHBOARD_NAMESPACE, dashboard.metadata.name),
  );
  return error ? { writes: 0, error } : { writes: 1 };
}

/** Cleans up outside the namespace and removes the finalizer; throws (to be retried) when a step was refused. Returns the writes made. */
export async function finalizeRegistry(deps: FinalizerDeps, registry: KubeObject): Promise<number> {
  const finalizers = registry.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER)) return 0;
  const removed = await removeDashboard(deps, registry);
  if (removed.error) throw removed.error;
  // The finalizer is there because monitoring was managed: the label goes unless another registry wants it.
  const unlabelled = await deps.monitoringLabel.reconcile(registry, false, true);
  if (unlabelled.error) throw unlabelled.error;
  const error = await deps.writes.guarded(registry, { verb: 'patch', kind: 'QuayRegistry', name: registry.metadata.name }, async () => {
    try {
      await deps.client.mergePatch(typeOf('QuayRegistry'), registry.metadata.namespace, registry.metadata.name, {
        metadata: { finalizers: finalizers.filter((f) => f !== FINALIZER), resourceVersion: registry.metadata.resourceVersion },
      });
    } catch (err) {
      // Gone already: a reconcile from a cache not yet told finalized it before.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  });
  if (error) throw error;
  deps.refusals.forgetRegistry(registry.metadata.namespace as string, registry.metadata.name);
  return removed.writes + unlabelled.writes + 1;
}
