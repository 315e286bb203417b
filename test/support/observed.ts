// Builders of observed cluster objects (what the informers would hand the planner and the status
// computation): rendered objects made "live" with ownerReferences, generations and status.
import type { ObservedState } from '../../lib/controller/observed';
import type { KubeObject } from '../../lib/synth';

type Obj = Record<string, any>;

export const NAME = 'example-registry';
export const NAMESPACE = 'quay-enterprise';
/** The QuayRegistry's uid in every test. */
export const UID = '1b6c1f0e-5d4e-4c3a-9a1f-000000000001';
export const OTHER_UID = '1b6c1f0e-5d4e-4c3a-9a1f-0000000000ff';
export const VERSION_ANNOTATION = 'quay-operator/quay-version';

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

export const n = (suffix: string) => `${NAME}-${suffix}`;
export const keyOf = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
export const keysOf = (objs: readonly KubeObject[]) => objs.map(keyOf);

export function find(objs: readonly KubeObject[], kind: string, name: string): KubeObject {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not found among ${keysOf(objs).join(', ')}`);
  return o;
}

/** Adds the controller ownerReference the reconciler stamps on everything in the registry's namespace. */
export function owned<T extends KubeObject>(obj: T, uid: string = UID): T {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      ownerReferences: [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: NAME, uid, controller: true, blockOwnerDeletion: true }],
    },
  };
}

export function ownedAll(objs: readonly KubeObject[], uid: string = UID): KubeObject[] {
  return objs.map((o) => (o.metadata.namespace === NAMESPACE ? owned(o, uid) : o));
}

export function observe(...objs: (KubeObject | readonly KubeObject[])[]): ObservedState {
  return { owned: objs.flat() as KubeObject[] };
}

export interface DeploymentState {
  /** spec.replicas as the API server holds it (always set on a live Deployment). */
  readonly replicas?: number;
  readonly available?: number;
  readonly updated?: number;
  /** status.replicas: pods of every ReplicaSet. */
  readonly current?: number;
  readonly generation?: number;
  readonly observedGeneration?: number;
  /** The Deployment's Available condition; derived from `available` when omitted. */
  readonly availableCondition?: { status: 'True' | 'False'; reason: string; message: string } | null;
  /** The Deployment's Progressing condition; a completed rollout when omitted. */
  readonly progressingCondition?: { status: 'True' | 'False'; reason: string; message: string };
}

/** A live Deployment: rendered spec, spec.replicas set, status as given (default: fully rolled out). */
export function liveDeployment(rendered: KubeObject, s: DeploymentState = {}, uid: string = UID): KubeObject {
  const d = clone(rendered) as Obj;
  const replicas = s.replicas ?? d.spec?.replicas ?? 2;
  const available = s.available ?? replicas;
  const generation = s.generation ?? 1;
  const cond =
    s.availableCondition === null
      ? undefined
      : (s.availableCondition ??
        (available > 0
          ? { status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
          : { status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }));
  d.metadata.generation = generation;
  d.spec = { ...d.spec, replicas };
  d.status = {
    observedGeneration: s.observedGeneration ?? generation,
    replicas: s.current ?? replicas,
    updatedReplicas: s.updated ?? replicas,
    readyReplicas: available,
    availableReplicas: available,
    ...(available < replicas ? { unavailableReplicas: replicas - available } : {}),
    conditions: [
      ...(cond ? [{ type: 'Available', lastTransitionTime: '2024-01-01T00:00:00Z', lastUpdateTime: '2024-01-01T00:00:00Z', ...cond }] : []),
      { type: 'Progressing', ...(s.progressingCondition ?? { status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${d.metadata.name}-5d9c" has successfully progressed.` }) },
    ],
  };
  return owned(d as KubeObject, uid);
}

/** A minimal live Deployment by name, for objects the current render does not have. */
export function deploymentNamed(name: string, s: DeploymentState = {}, uid: string = UID): KubeObject {
  return liveDeployment(
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NAMESPACE, labels: { 'quay-operator/quayregistry': NAME } }, spec: { replicas: 1 } },
    s,
    uid,
  );
}

export interface JobStatus {
  readonly active?: number;
  readonly succeeded?: number;
  readonly failed?: number;
  /** Adds a Failed=True condition with this message. */
  readonly failedMessage?: string;
}

/** The migration Job `<name>-quay-app-upgrade` of a Quay version, with status. */
export function migrationJob(version: string, s: JobStatus = {}, uid: string = UID): KubeObject {
  const status: Obj = {
    ...(s.active !== undefined ? { active: s.active } : {}),
    ...(s.succeeded !== undefined ? { succeeded: s.succeeded } : {}),
    ...(s.failed !== undefined ? { failed: s.failed } : {}),
  };
  if (s.succeeded) status.conditions = [{ type: 'Complete', status: 'True' }];
  if (s.failedMessage !== undefined) status.conditions = [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: s.failedMessage }];
  return owned(
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: n('quay-app-upgrade'),
        namespace: NAMESPACE,
        labels: { 'quay-component': 'quay-app-upgrade', 'quay-operator/quayregistry': NAME },
        annotations: { [VERSION_ANNOTATION]: version },
      },
      spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'quay-app-upgrade', args: ['migrate', 'head'] }] } } },
      status,
    },
    uid,
  );
}

export function objectBucketClaim(phase: string | undefined, uid: string = UID): KubeObject {
  return owned(
    {
      apiVersion: 'objectbucket.io/v1alpha1',
      kind: 'ObjectBucketClaim',
      metadata: { name: n('quay-datastore'), namespace: NAMESPACE, labels: { 'quay-operator/quayregistry': NAME } },
      spec: { generateBucketName: n('quay-datastore'), storageClassName: 'openshift-storage.noobaa.io' },
      ...(phase ? { status: { phase } } : {}),
    },
    uid,
  );
}

export function pvc(name: string, phase: string, uid: string = UID): KubeObject {
  return owned(
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: NAMESPACE, labels: { 'quay-operator/quayregistry': NAME } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
      status: { phase },
    },
    uid,
  );
}

export function secret(name: string, opts: { uid?: string | null; namespace?: string } = {}): KubeObject {
  const s: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: opts.namespace ?? NAMESPACE, labels: { 'quay-operator/quayregistry': NAME } },
    type: 'Opaque',
    data: {},
  };
  return opts.uid === null ? s : owned(s, opts.uid ?? UID);
}

/** A Route made live: admitted on every router unless told otherwise. */
export function liveRoute(rendered: KubeObject, ingress?: Obj[]): KubeObject {
  const r = clone(rendered) as Obj;
  const host = r.spec?.host ?? `${r.metadata.name}-${NAMESPACE}.apps.example.com`;
  r.status = { ingress: ingress ?? [{ host, routerName: 'default', conditions: [{ type: 'Admitted', status: 'True' }] }] };
  return owned(r as KubeObject);
}

/**
 * Everything rendered, as a healthy cluster would hold it after the migration for `version`:
 * Deployments rolled out and available, Job succeeded, OBC and PVCs bound, Routes admitted.
 */
export function healthyCluster(rendered: readonly KubeObject[], version: string): KubeObject[] {
  return rendered.map((o) => {
    switch (o.kind) {
      case 'Deployment':
        return liveDeployment(o);
      case 'Job':
        return owned({ ...clone(o), metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, [VERSION_ANNOTATION]: version } }, status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } });
      case 'ObjectBucketClaim':
        return owned({ ...clone(o), status: { phase: 'Bound' } });
      case 'PersistentVolumeClaim':
        return owned({ ...clone(o), status: { phase: 'Bound' } });
      case 'Route':
        return liveRoute(o);
      default:
        return o.metadata.namespace === NAMESPACE ? owned(clone(o)) : clone(o);
    }
  });
}

/** Replaces the objects of the same kind and name. */
export function replacing(objs: readonly KubeObject[], ...replacements: KubeObject[]): KubeObject[] {
  return objs.map((o) => replacements.find((r) => keyOf(r) === keyOf(o) && r.metadata.namespace === o.metadata.namespace) ?? o);
}

export function without(objs: readonly KubeObject[], ...keys: string[]): KubeObject[] {
  return objs.filter((o) => !keys.includes(keyOf(o)));
}
