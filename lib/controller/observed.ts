// What the controller saw in the cluster for one registry, as plain data, and small readers over it.
import type { KubeObject } from '../synth';

export interface ObservedState {
  /** Objects labelled for the registry in its namespace (and its dashboard elsewhere), with status. */
  readonly owned: readonly KubeObject[];
  /**
   * The registry's pods, listed only when there are config objects to prune (pods are not watched:
   * a reconcile of an unchanged registry reads nothing). Undefined: not listed, so not known.
   */
  readonly pods?: readonly KubeObject[];
  /** The live quay-app Deployment in full, read only while an upgrade migrates: the previous version serves read-only. */
  readonly previousQuayApp?: KubeObject;
}

export function findObject(state: ObservedState, kind: string, name: string, namespace?: string): KubeObject | undefined {
  return state.owned.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
}

type Obj = Record<string, any>;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export function conditionOf(obj: KubeObject | undefined, type: string): Condition | undefined {
  return ((obj as Obj | undefined)?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);
}

/** A Deployment with at least one available pod. */
export function deploymentAvailable(d: KubeObject | undefined): boolean {
  return ((d as Obj | undefined)?.status?.availableReplicas ?? 0) > 0;
}

export type JobState = 'active' | 'succeeded' | 'failed' | 'pending';

export function jobState(job: KubeObject): JobState {
  const s = (job as Obj).status ?? {};
  if ((s.succeeded ?? 0) > 0 || conditionOf(job, 'Complete')?.status === 'True') return 'succeeded';
  if (conditionOf(job, 'Failed')?.status === 'True') return 'failed';
  if ((s.active ?? 0) > 0) return 'active';
  return 'pending';
}

export function annotation(obj: KubeObject | undefined, key: string): string | undefined {
  return obj?.metadata.annotations?.[key];
}

export function ownedBy(obj: KubeObject, uid: string | undefined): boolean {
  const refs = (obj.metadata.ownerReferences ?? []) as { uid?: string }[];
  return uid !== undefined && refs.some((r) => r.uid === uid);
}
