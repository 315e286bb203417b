// A registry's deletion steps (lib/controller/finalizer.ts) against stubs: which Grafana dashboard is
// deleted (only this registry's), the order of the steps, what stops the finalizer's removal (any
// refused step, so the deletion is retried) and what does not (already gone). lifecycle.test.ts and
// monitoring-label.test.ts run the same inside the controller against the fake API server.
import { DASHBOARD_NAMESPACE } from '../../constructs/monitoring';
import { FINALIZER, FinalizerDeps, finalizeRegistry, removeDashboard } from '../../lib/controller/finalizer';
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import type { MonitoringLabel } from '../../lib/controller/monitoring-label';
import type { ReadCache } from '../../lib/controller/reconciler';
import type { RefusalReporter, WriteTarget } from '../../lib/controller/refusals';
import type { RegistryWrites } from '../../lib/controller/registry-writes';
import type { ResourceType } from '../../lib/controller/resources';
import type { KubeObject } from '../../lib/synth';

const DASHBOARD = 'r-grafana-dashboard-quay';
const registry = (finalizers?: string[]) =>
  ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: 'ns', uid: 'u-1', resourceVersion: '9', ...(finalizers ? { finalizers } : {}) } }) as KubeObject;
const dashboard = (labels?: Record<string, string>, name = DASHBOARD) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: DASHBOARD_NAMESPACE, ...(labels ? { labels } : {}) } }) as KubeObject;
const OURS = { 'quay-operator/quayregistry': 'r', 'quay-operator/quayregistry-namespace': 'ns' };

function cache(objects: KubeObject[]): ReadCache {
  return {
    get: (namespace, name) => objects.find((o) => o.metadata.namespace === namespace && o.metadata.name === name),
    list: () => objects,
  };
}

interface Opts {
  configMaps?: KubeObject[] | null;
  deleteError?: Error;
  label?: { writes: number; error?: unknown };
  patchError?: Error;
}

function setup(opts: Opts = {}) {
  const calls: string[] = [];
  const client = {
    delete: async (t: ResourceType, namespace: string, name: string) => {
      calls.push(`delete ${t.kind} ${namespace}/${name}`);
      if (opts.deleteError) throw opts.deleteError;
    },
    mergePatch: async (t: ResourceType, namespace: string, name: string, patch: unknown) => {
      calls.push(`mergePatch ${t.kind} ${namespace}/${name} ${JSON.stringify(patch)}`);
      if (opts.patchError) throw opts.patchError;
      return {};
    },
  } as unknown as KubeClient;
  const owned = new Map<string, ReadCache>(opts.configMaps === null ? [] : [['ConfigMap', cache(opts.configMaps ?? [dashboard(OURS)])]]);
  // As RegistryWrites.guarded: the write's error is returned (the refusal's reporting is registry-writes' own test).
  const writes = {
    guarded: async (r: KubeObject, t: WriteTarget, write: () => Promise<unknown>) => {
      calls.push(`guarded ${r.metadata.name} ${t.verb} ${t.kind} ${t.name}`);
      try {
        await write();
        return undefined;
      } catch (err) {
        return err;
      }
    },
  } as unknown as RegistryWrites;
  const monitoringLabel = {
    reconcile: async (r: KubeObject, thisOneWants: boolean, wasWanted: boolean) => {
      calls.push(`label ${r.metadata.name} ${thisOneWants} ${wasWanted}`);
      return opts.label ?? { writes: 1 };
    },
  } as unknown as MonitoringLabel;
  const refusals = { forgetRegistry: (namespace: string, name: string) => void calls.push(`forget ${namespace}/${name}`) } as unknown as RefusalReporter;
  const deps: FinalizerDeps = { client, owned, refusals, writes, monitoringLabel };
  return { deps, calls };
}

const DELETE_STEPS = [`guarded r delete ConfigMap ${DASHBOARD_NAMESPACE}/${DASHBOARD}`, `delete ConfigMap ${DASHBOARD_NAMESPACE}/${DASHBOARD}`];

describe('removeDashboard', () => {
  test('deletes this registry\'s dashboard in openshift-config-managed: one write', async () => {
    const s = setup();
    expect(await removeDashboard(s.deps, registry())).toStrictEqual({ writes: 1 });
    expect(s.calls).toEqual(DELETE_STEPS);
  });

  test('leaves a dashboard of the same name that another namespace\'s registry owns, or an unlabelled one', async () => {
    for (const labels of [{ ...OURS, 'quay-operator/quayregistry-namespace': 'other' }, undefined]) {
      const s = setup({ configMaps: [dashboard(labels)] });
      expect(await removeDashboard(s.deps, registry())).toStrictEqual({ writes: 0 });
      expect(s.calls).toEqual([]);
    }
  });

  test('nothing to delete: no dashboard of this name, or no ConfigMap cache at all', async () => {
    for (const configMaps of [[dashboard(OURS, 'r2-grafana-dashboard-quay'), { ...dashboard(OURS), metadata: { ...dashboard(OURS).metadata, namespace: 'ns' } }], null]) {
      const s = setup({ configMaps });
      expect(await removeDashboard(s.deps, registry())).toStrictEqual({ writes: 0 });
      expect(s.calls).toEqual([]);
    }
  });

  test('a refused delete is returned with no write counted', async () => {
    const err = new ApiError(403, 'Forbidden', 'configmaps is forbidden');
    const s = setup({ deleteError: err });
    expect(await removeDashboard(s.deps, registry())).toStrictEqual({ writes: 0, error: err });
  });
});

describe('finalizeRegistry', () => {
  test('without our finalizer: nothing to do', async () => {
    for (const r of [registry(), registry(['other/finalizer'])]) {
      const s = setup();
      expect(await finalizeRegistry(s.deps, r)).toBe(0);
      expect(s.calls).toEqual([]);
    }
  });

  test('dashboard, then the label (unless another registry wants it), then the finalizer removed at the version read; its refusals forgotten', async () => {
    const s = setup({ label: { writes: 1 } });
    expect(await finalizeRegistry(s.deps, registry(['other/finalizer', FINALIZER]))).toBe(3);
    expect(s.calls).toEqual([
      ...DELETE_STEPS,
      'label r false true',
      'guarded r patch QuayRegistry r',
      'mergePatch QuayRegistry ns/r {"metadata":{"finalizers":["other/finalizer"],"resourceVersion":"9"}}',
      'forget ns/r',
    ]);
  });

  test('the writes counted are those made: no dashboard, label left', async () => {
    const s = setup({ configMaps: [], label: { writes: 0 } });
    expect(await finalizeRegistry(s.deps, registry([FINALIZER]))).toBe(1);
    expect(s.calls).toEqual(['label r false true', 'guarded r patch QuayRegistry r', 'mergePatch QuayRegistry ns/r {"metadata":{"finalizers":[],"resourceVersion":"9"}}', 'forget ns/r']);
  });

  test('a refused dashboard delete throws (retried); the label and finalizer stay', async () => {
    const err = new ApiError(403, 'Forbidden', 'configmaps is forbidden');
    const s = setup({ deleteError: err });
    await expect(finalizeRegistry(s.deps, registry([FINALIZER]))).rejects.toBe(err);
    expect(s.calls).toEqual(DELETE_STEPS);
  });

  test('a refused label removal throws; the finalizer stays', async () => {
    const err = new ApiError(403, 'Forbidden', 'namespaces is forbidden');
    const s = setup({ label: { writes: 0, error: err } });
    await expect(finalizeRegistry(s.deps, registry([FINALIZER]))).rejects.toBe(err);
    expect(s.calls).toEqual([...DELETE_STEPS, 'label r false true']);
  });

  test('a registry already gone (404 on the patch) is finalized; a refused patch throws and its refusals are kept', async () => {
    const gone = setup({ patchError: new ApiError(404, 'NotFound', 'not found') });
    expect(await finalizeRegistry(gone.deps, registry([FINALIZER]))).toBe(3);
    expect(gone.calls[gone.calls.length - 1]).toBe('forget ns/r');
    const err = new ApiError(409, 'Conflict', 'the object has been modified');
    const refused = setup({ patchError: err });
    await expect(finalizeRegistry(refused.deps, registry([FINALIZER]))).rejects.toBe(err);
    expect(refused.calls.filter((c) => c.startsWith('forget'))).toEqual([]);
  });
});
