// What the planner's unit tests share: the render as the reconciler hands it to the planner, a plan
// of it against an observed cluster, and the managed dependencies made available.
import { Applier } from '../../lib/controller/applier';
import type { ObservedState } from '../../lib/controller/observed';
import { plan, Plan } from '../../lib/controller/plan';
import type { RegistryModel } from '../../lib/model';
import { KubeObject, renderCredentials, renderRegistry, sortObjects } from '../../lib/synth';
import { TestModelOptions, testModel } from './model';
import { UID, VERSION_ANNOTATION, deploymentNamed, keyOf, n, objectBucketClaim, observe, owned, ownedAll } from './observed';

type Obj = Record<string, any>;

/** With a config bundle Secret, so the config editor is rendered too. */
export const bundled = (options: TestModelOptions = {}) => testModel({ files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' }, ...options });

/** Rendered as the reconciler hands it to the planner: the render and the credential Secrets, owned by the registry, stamped with the applied hash. */
export function renderOwned(model: RegistryModel): KubeObject[] {
  return ownedAll(sortObjects([...renderRegistry(model).objects, ...renderCredentials(model)])).map((o) => Applier.stamp(o));
}

export function planFor(opts: { model?: RegistryModel; observed?: ObservedState; currentVersion?: string; uid?: string | undefined } = {}) {
  const model = opts.model ?? bundled();
  const rendered = renderOwned(model);
  const result = plan(model, rendered, opts.observed ?? observe(), opts.currentVersion, 'uid' in opts ? opts.uid : UID);
  return { model, rendered, result };
}

/** The managed dependencies, available. */
export const databasesUp = () => [
  deploymentNamed(n('quay-database'), { replicas: 1 }),
  deploymentNamed(n('clair-postgres'), { replicas: 1 }),
  deploymentNamed(n('quay-redis'), { replicas: 1 }),
];
export const dependenciesUp = () => [...databasesUp(), objectBucketClaim('Bound')];

/** The object the plan applies under `key` (Kind/name). */
export const applied = (p: Plan, key: string) => p.apply.find((o) => keyOf(o) === key) as Obj | undefined;

export const QUAY_APP = `Deployment/${n('quay-app')}`;
export const MIRROR = `Deployment/${n('quay-mirror')}`;
export const EDITOR = `Deployment/${n('quay-config-editor')}`;
export const CLAIR = `Deployment/${n('clair-app')}`;
export const JOB = `Job/${n('quay-app-upgrade')}`;
export const HPA_QUAY = `HorizontalPodAutoscaler/${n('quay-app')}`;
export const HPA_MIRROR = `HorizontalPodAutoscaler/${n('quay-mirror')}`;
export const HPA_CLAIR = `HorizontalPodAutoscaler/${n('clair-app')}`;

/** A geo-replication site on an external database and redis; `run`: whether it migrates (spec.migrations.run). */
export const geoSite = (run: boolean) =>
  testModel({
    files: { 'config.yaml': ['DB_URI: postgresql://quay:pw@db.example.com/quay', 'BUILDLOGS_REDIS: {host: redis.example.com, port: 6379}', 'USER_EVENTS_REDIS: {host: redis.example.com, port: 6379}'].join('\n') },
    spec: { migrations: { run }, components: [{ kind: 'postgres', managed: false }, { kind: 'redis', managed: false }] },
  });

/** The rendered gate Job (migration or schema check) made live for `version`, with `status`. */
export function liveGateJob(rendered: readonly KubeObject[], version: string, status: Obj): KubeObject {
  const job = rendered.find((o) => o.kind === 'Job')!;
  return owned({ ...job, metadata: { ...job.metadata, annotations: { ...job.metadata.annotations, [VERSION_ANNOTATION]: version } }, status } as KubeObject);
}
