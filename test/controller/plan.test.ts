// The planner's sequencing and pruning rules, one observed cluster per case.
// Upstream: go-quay-operator.md §2.4 (migration Job), §7 items 2, 4, 5, 6, 10, 11, 12.
import { APPLIED_HASH } from '../../lib/controller/applier';
import { dependentWorkloads, Plan } from '../../lib/controller/plan';
import type { KubeObject } from '../../lib/synth';
import { TestModelOptions, testModel } from '../support/model';
import {
  NAMESPACE,
  OTHER_UID,
  deploymentNamed,
  find,
  healthyCluster,
  keyOf,
  keysOf,
  liveDeployment,
  migrationJob,
  n,
  objectBucketClaim,
  observe,
  owned,
  replacing,
  secret,
  without,
} from '../support/observed';
import { CLAIR, EDITOR, HPA_CLAIR, HPA_MIRROR, HPA_QUAY, JOB, MIRROR, QUAY_APP, applied, bundled, databasesUp, dependenciesUp, planFor, renderOwned } from '../support/plan';

type Obj = Record<string, any>;

const VERSION = bundled().environment.quayVersion;
const OLD_VERSION = 'v3.8.0';

/** Without the applied-hash annotation (a held Deployment is re-stamped). */
function unstamped(o: KubeObject | Obj | undefined): Obj {
  const { [APPLIED_HASH]: _hash, ...annotations } = (o as Obj).metadata.annotations ?? {};
  return { ...o, metadata: { ...(o as Obj).metadata, annotations } };
}


const WORKLOADS = [QUAY_APP, MIRROR, EDITOR, CLAIR, JOB, HPA_QUAY, HPA_MIRROR, HPA_CLAIR];

const UNMANAGED_FILES = {
  'config.yaml': [
    'DB_URI: postgresql://quay:secret@db.example.com:5432/quay',
    'BUILDLOGS_REDIS: {host: redis.example.com, port: 6379}',
    'USER_EVENTS_REDIS: {host: redis.example.com, port: 6379}',
    'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, s3_access_key: a, s3_secret_key: b, storage_path: /registry}]}',
    'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
    'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: []',
    '',
  ].join('\n'),
};
const unmanagedModel = (extra: { kind: string; managed: boolean }[] = []) =>
  testModel({
    files: UNMANAGED_FILES,
    objectBucket: null,
    spec: { components: [{ kind: 'postgres', managed: false }, { kind: 'redis', managed: false }, { kind: 'objectstorage', managed: false }, ...extra] },
  });

describe('the dependent workloads', () => {
  test('are quay-app, mirror, config editor, clair-app, the migration Job and their HPAs', () => {
    expect([...dependentWorkloads(bundled())].sort()).toEqual([...WORKLOADS].sort());
  });
});

describe('first deploy: dependencies first, workloads held back', () => {
  const cases: [string, TestModelOptions][] = [
    ['bucket credentials not known yet', { objectBucket: null }],
    ['bucket credentials known', {}],
  ];
  test.each(cases)('nothing observed, %s', (_, options) => {
    const { rendered, result } = planFor({ model: bundled(options) });
    const keys = keysOf(result.apply);
    for (const k of [
      `Deployment/${n('quay-database')}`,
      `Deployment/${n('clair-postgres')}`,
      `Deployment/${n('quay-redis')}`,
      `ObjectBucketClaim/${n('quay-datastore')}`,
      `PersistentVolumeClaim/${n('quay-postgres-13')}`,
      `PersistentVolumeClaim/${n('clair-postgres-15')}`,
      `Service/${n('quay-app')}`,
      `Service/${n('quay-database')}`,
      `Secret/${n('postgres-config-secret')}`,
      `Secret/${n('quay-registry-managed-secret-keys')}`,
      `ConfigMap/${n('cluster-service-ca')}`,
      `Route/${n('quay')}`,
      `Route/${n('quay-config-editor')}`,
      `ServiceMonitor/${n('quay-metrics-monitor')}`,
      `PrometheusRule/${n('quay-prometheus-rules')}`,
    ]) {
      expect(keys).toContain(k);
    }
    for (const k of WORKLOADS) expect(keys).not.toContain(k);
    // Everything else rendered goes out now, unchanged and in the rendered order.
    expect(keys).toEqual(keysOf(rendered).filter((k) => !WORKLOADS.includes(k)));
    expect(result.apply).toEqual(rendered.filter((o) => !WORKLOADS.includes(keyOf(o))));
    expect(result.waitingFor).toEqual(['postgres', 'clairpostgres', 'redis', 'objectstorage']);
    expect(result.migration).toEqual({ phase: 'waiting' });
    expect(result.remove).toEqual([]);
    expect(result.currentVersion).toBeUndefined();
  });
});

describe('dependency gates', () => {
  const cases: [string, TestModelOptions, () => KubeObject[], string[]][] = [
    ['databases and redis available, OBC Pending', {}, () => [...databasesUp(), objectBucketClaim('Pending')], ['objectstorage']],
    ['databases and redis available, OBC without status', {}, () => [...databasesUp(), objectBucketClaim(undefined)], ['objectstorage']],
    ['databases and redis available, OBC Bound but its credentials not read yet', { objectBucket: null }, () => [...databasesUp(), objectBucketClaim('Bound')], ['objectstorage']],
    ['postgres with zero available pods', {}, () => [deploymentNamed(n('quay-database'), { replicas: 1, available: 0 }), ...databasesUp().slice(1), objectBucketClaim('Bound')], ['postgres']],
    ['clair-postgres missing', {}, () => [databasesUp()[0], databasesUp()[2], objectBucketClaim('Bound')], ['clairpostgres']],
    ['redis with zero available pods', {}, () => [...databasesUp().slice(0, 2), deploymentNamed(n('quay-redis'), { replicas: 1, available: 0 }), objectBucketClaim('Bound')], ['redis']],
    ['everything available', {}, dependenciesUp, []],
  ];
  test.each(cases)('%s', (_, options, cluster, waiting) => {
    const { result } = planFor({ model: bundled(options), observed: observe(cluster()) });
    expect(result.waitingFor).toEqual(waiting);
    const keys = keysOf(result.apply);
    if (waiting.length > 0) for (const k of WORKLOADS) expect(keys).not.toContain(k);
    else expect(keys).toEqual(expect.arrayContaining([QUAY_APP, MIRROR, EDITOR, CLAIR, JOB, HPA_CLAIR]));
  });

  describe('unmanaged postgres, redis and objectstorage are not gated on', () => {
    test('only clair-postgres (still managed) is awaited', () => {
      const { result } = planFor({ model: unmanagedModel() });
      expect(result.waitingFor).toEqual(['clairpostgres']);
    });
    test('with clair-postgres available the workloads and the Job go out', () => {
      const { result } = planFor({ model: unmanagedModel(), observed: observe(deploymentNamed(n('clair-postgres'))) });
      expect(result.waitingFor).toEqual([]);
      expect(keysOf(result.apply)).toEqual(expect.arrayContaining([QUAY_APP, MIRROR, EDITOR, CLAIR, JOB]));
    });
    test('clairpostgres unmanaged (clair managed, on the user\'s database): not awaited', () => {
      const conn = 'host=db.example.com port=5432 dbname=clair user=clair password=secret';
      const model = testModel({
        files: { 'config.yaml': '', 'clair-config.yaml': `indexer: {connstring: '${conn}'}\nmatcher: {connstring: '${conn}'}\nnotifier: {connstring: '${conn}'}\n` },
        spec: { components: [{ kind: 'clairpostgres', managed: false }] },
      });
      const { result } = planFor({ model, observed: observe(databasesUp()[0], databasesUp()[2], objectBucketClaim('Bound')) });
      expect(result.waitingFor).toEqual([]);
      expect(keysOf(result.apply)).toContain(CLAIR);
    });
    test('with clair unmanaged as well nothing is awaited', () => {
      const model = unmanagedModel([
        { kind: 'clair', managed: false },
        { kind: 'clairpostgres', managed: false },
      ]);
      const { result } = planFor({ model });
      expect(result.waitingFor).toEqual([]);
      expect(keysOf(result.apply)).toEqual(expect.arrayContaining([QUAY_APP, JOB]));
    });
  });
});

describe('migration Job sequencing', () => {
  test('dependencies available and no Job: the Job is applied, quay-app and mirror held at 0, their HPAs not applied', () => {
    const { rendered, result } = planFor({ observed: observe(dependenciesUp()) });
    expect(result.migration).toEqual({ phase: 'waiting' });
    expect(applied(result, JOB)).toEqual(find(rendered, 'Job', n('quay-app-upgrade')));
    for (const k of [QUAY_APP, MIRROR]) {
      const [kind, name] = k.split('/');
      expect(applied(result, k)!.spec.replicas).toBe(0);
      // Only the replicas (and so the applied hash) differ from what was rendered.
      expect({ ...unstamped(applied(result, k)), spec: { ...applied(result, k)!.spec, replicas: undefined } }).toEqual({
        ...unstamped(find(rendered, kind, name)),
        spec: { ...(find(rendered, kind, name) as Obj).spec, replicas: undefined },
      });
      // Re-stamped: the applier must not skip it as "already as rendered".
      expect(applied(result, k)!.metadata.annotations[APPLIED_HASH]).toEqual(expect.any(String));
      expect(applied(result, k)!.metadata.annotations[APPLIED_HASH]).not.toBe(find(rendered, kind, name).metadata.annotations![APPLIED_HASH]);
    }
    expect(keysOf(result.apply)).not.toContain(HPA_QUAY);
    expect(keysOf(result.apply)).not.toContain(HPA_MIRROR);
    // Clair and the config editor are not held.
    expect(applied(result, CLAIR)).toEqual(find(rendered, 'Deployment', n('clair-app')));
    expect(applied(result, EDITOR)).toEqual(find(rendered, 'Deployment', n('quay-config-editor')));
    expect(keysOf(result.apply)).toContain(HPA_CLAIR);
    expect(result.currentVersion).toBeUndefined();
  });

  test('the Job is applied after the Secrets it mounts and the Deployments (creation order)', () => {
    const { result } = planFor({ observed: observe(dependenciesUp()) });
    const keys = keysOf(result.apply);
    const job = keys.indexOf(JOB);
    expect(job).toBeGreaterThan(0);
    const before = keys.filter((k) => ['Secret', 'ConfigMap', 'Deployment', 'Service'].includes(k.split('/')[0]));
    for (const k of before) expect(keys.indexOf(k)).toBeLessThan(job);
  });

  // The log to read and the documented retry, after the Job's own message.
  const RETRY_HINT = '; see `kubectl logs -n quay-enterprise job/example-registry-quay-app-upgrade`; once the cause is fixed, retry with `kubectl annotate quayregistry -n quay-enterprise example-registry --overwrite quay-operator/retry-migration=<a new value>`';
  const jobCases: [string, () => KubeObject, string | undefined, Plan['migration']][] = [
    ['an active Job for this version', () => migrationJob(VERSION, { active: 1 }), undefined, { phase: 'running' }],
    ['a just-created Job for this version (no status yet)', () => migrationJob(VERSION), undefined, { phase: 'running' }],
    ['an active Job for this version during an upgrade', () => migrationJob(VERSION, { active: 1 }), OLD_VERSION, { phase: 'running' }],
    [
      'a failed Job for this version',
      () => migrationJob(VERSION, { failed: 6, failedMessage: 'Job has reached the specified backoff limit' }),
      undefined,
      { phase: 'failed', message: `Job has reached the specified backoff limit${RETRY_HINT}` },
    ],
    ['a failed Job without a message', failedNoMessage, undefined, { phase: 'failed', message: `failed to run migrations${RETRY_HINT}` }],
  ];
  test.each(jobCases)('%s: not re-applied, quay-app and mirror still held at 0', (_, job, current, migration) => {
    const { result } = planFor({ observed: observe(dependenciesUp(), job()), currentVersion: current });
    expect(result.migration).toEqual(migration);
    expect(keysOf(result.apply)).not.toContain(JOB);
    expect(keysOf(result.remove)).not.toContain(JOB);
    expect(applied(result, QUAY_APP)!.spec.replicas).toBe(0);
    expect(applied(result, MIRROR)!.spec.replicas).toBe(0);
    expect(keysOf(result.apply)).not.toContain(HPA_QUAY);
    expect(result.currentVersion).toBe(current);
  });

  test('the Job succeeded for this version: currentVersion set, quay-app applied as rendered (no replicas: the HPA decides), HPAs applied', () => {
    const { rendered, result } = planFor({ observed: observe(dependenciesUp(), migrationJob(VERSION, { succeeded: 1 })), currentVersion: OLD_VERSION });
    expect(result.migration).toEqual({ phase: 'succeeded' });
    expect(result.currentVersion).toBe(VERSION);
    expect(applied(result, QUAY_APP)).toEqual(find(rendered, 'Deployment', n('quay-app')));
    expect(applied(result, QUAY_APP)!.spec).not.toHaveProperty('replicas');
    expect(applied(result, MIRROR)).toEqual(find(rendered, 'Deployment', n('quay-mirror')));
    expect(keysOf(result.apply)).toEqual(expect.arrayContaining([HPA_QUAY, HPA_MIRROR, HPA_CLAIR]));
    expect(keysOf(result.apply)).not.toContain(JOB);
    expect(result.remove).toEqual([]);
  });

  test.each([
    ['the Job is missing', () => [] as KubeObject[]],
    ['the succeeded Job is still there', () => [migrationJob(VERSION, { succeeded: 1 })]],
    ['the Job failed long ago', () => [migrationJob(VERSION, { failed: 1, failedMessage: 'old failure' })]],
  ])('currentVersion already this version and %s: the Job is never re-run', (_, job) => {
    const { rendered, result } = planFor({ observed: observe(dependenciesUp(), job()), currentVersion: VERSION });
    expect(result.migration).toEqual({ phase: 'done' });
    expect(result.currentVersion).toBe(VERSION);
    expect(keysOf(result.apply)).not.toContain(JOB);
    expect(keysOf(result.remove)).not.toContain(JOB);
    expect(applied(result, QUAY_APP)).toEqual(find(rendered, 'Deployment', n('quay-app')));
    expect(keysOf(result.apply)).toContain(HPA_QUAY);
  });

  test.each([
    ['succeeded', { succeeded: 1 }],
    ['failed', { failed: 6, failedMessage: 'DuplicateTable' }],
  ])('a %s Job of an OLD version with currentVersion old is replaced (PROJQUAY-11189): removed now, not applied in the same pass', (_, status) => {
    const old = migrationJob(OLD_VERSION, status);
    const { result } = planFor({ observed: observe(dependenciesUp(), old), currentVersion: OLD_VERSION });
    expect(result.remove).toEqual([old]);
    expect(keysOf(result.apply)).not.toContain(JOB);
    expect(result.migration.phase).toBe('waiting');
    expect(applied(result, QUAY_APP)!.spec.replicas).toBe(0);
    expect(result.currentVersion).toBe(OLD_VERSION);
  });

  test('the pass after the old Job is gone creates the Job of the new version', () => {
    const { rendered, result } = planFor({ observed: observe(dependenciesUp()), currentVersion: OLD_VERSION });
    expect(applied(result, JOB)).toEqual(find(rendered, 'Job', n('quay-app-upgrade')));
    expect(applied(result, JOB)!.metadata.annotations['quay-operator/quay-version']).toBe(VERSION);
  });

  test('an ACTIVE Job of an old version is not removed (never while it runs)', () => {
    const { result } = planFor({ observed: observe(dependenciesUp(), migrationJob(OLD_VERSION, { active: 1 })), currentVersion: OLD_VERSION });
    expect(result.remove).toEqual([]);
    expect(keysOf(result.apply)).not.toContain(JOB);
    expect(result.migration).toEqual({ phase: 'running' });
  });

  test('while dependencies are unavailable no Job is created even when none exists', () => {
    const { result } = planFor({ observed: observe(databasesUp()), currentVersion: OLD_VERSION });
    expect(result.waitingFor).toEqual(['objectstorage']);
    expect(keysOf(result.apply)).not.toContain(JOB);
  });
});

function failedNoMessage(): KubeObject {
  const job = migrationJob(VERSION, { failed: 6 }) as Obj;
  job.status.conditions = [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }];
  return job as KubeObject;
}

describe('pruning', () => {
  const current = () => healthyCluster(renderOwned(bundled()), VERSION);

  test('a healthy cluster holding exactly what is rendered: nothing removed or kept', () => {
    const { result } = planFor({ observed: observe(current()), currentVersion: VERSION });
    expect(result.remove).toEqual([]);
    expect(result.keptVolumes).toEqual([]);
    expect(result.waitingFor).toEqual([]);
  });

  test('during a migration the quay-app and mirror HPAs are not applied, and not removed either', () => {
    const { result } = planFor({ observed: observe(current()), currentVersion: OLD_VERSION });
    // The live Job is of this version (healthyCluster) and succeeded: the migration is complete.
    expect(result.migration.phase).toBe('succeeded');
    const running = replacing(current(), migrationJob(VERSION, { active: 1 }));
    const during = planFor({ observed: observe(running), currentVersion: OLD_VERSION }).result;
    expect(keysOf(during.apply)).not.toContain(HPA_QUAY);
    expect(during.remove).toEqual([]);
  });

  // Mirror unmanaged: everything rolled out on the new render, plus the mirror objects of the old one.
  const noMirror = () => testModel({ spec: { components: [{ kind: 'mirror', managed: false }] } });
  const mirrorLeftOver = () => [
    ...healthyCluster(renderOwned(noMirror()), VERSION),
    liveDeployment(find(renderOwned(bundled()), 'Deployment', n('quay-mirror'))),
    owned(find(renderOwned(bundled()), 'HorizontalPodAutoscaler', n('quay-mirror'))),
  ];

  test('mirror unmanaged: its owned Deployment and HPA are removed, nothing else', () => {
    const { result } = planFor({ model: noMirror(), observed: observe(mirrorLeftOver()), currentVersion: VERSION });
    expect(keysOf(result.remove).sort()).toEqual([MIRROR, HPA_MIRROR].sort());
    expect(result.keptVolumes).toEqual([]);
  });

  test('owned objects of every pruned kind that are no longer rendered go: Route, ObjectBucketClaim, ServiceAccount, ConfigMap, Secret', () => {
    const leftover = (apiVersion: string, kind: string, name: string) =>
      owned({ apiVersion, kind, metadata: { name, namespace: NAMESPACE, labels: { 'quay-operator/quayregistry': 'example-registry' } } } as KubeObject);
    const extra = [
      leftover('route.openshift.io/v1', 'Route', n('quay-old')),
      leftover('objectbucket.io/v1alpha1', 'ObjectBucketClaim', n('quay-datastore-old')),
      leftover('v1', 'ServiceAccount', n('clair-app-old')),
      leftover('v1', 'ConfigMap', n('quay-config-0000000000')),
      leftover('v1', 'Secret', n('quay-config-secret-0000000000')),
    ];
    // No pod of the registry runs (listed: none): nothing reads the old ConfigMap and Secret.
    const { result } = planFor({ observed: { ...observe([...current(), ...extra]), pods: [] }, currentVersion: VERSION });
    expect(keysOf(result.remove).sort()).toEqual(extra.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    expect(result.configInUse).toEqual([]);
  });

  test('postgres unmanaged: its PVC is kept and reported, never removed; its Deployment and Service are removed', () => {
    const model = testModel({
      files: { 'config.yaml': 'DB_URI: postgresql://quay:secret@db.example.com:5432/quay\n' },
      spec: { components: [{ kind: 'postgres', managed: false }] },
    });
    const cluster = current().filter((o) => !(o.kind === 'Secret' && o.metadata.name.startsWith(n('quay-config-secret-'))));
    const { result } = planFor({ model, observed: observe(cluster), currentVersion: VERSION });
    expect(result.keptVolumes).toEqual([n('quay-postgres-13')]);
    expect(keysOf(result.remove)).not.toContain(`PersistentVolumeClaim/${n('quay-postgres-13')}`);
    expect(keysOf(result.remove)).toEqual(expect.arrayContaining([`Deployment/${n('quay-database')}`, `Service/${n('quay-database')}`]));
    expect(result.remove.every((o) => o.kind !== 'PersistentVolumeClaim')).toBe(true);
  });

  describe('old config objects: removed once nothing reads them (PROJQUAY-9157), whatever other Deployments do', () => {
    // The same registry before the user dropped their own SECRET_KEY: the operator's part of
    // config.yaml changed, so another quay-config-<hash> ConfigMap.
    const before = renderOwned(testModel({ files: { 'config.yaml': 'SECRET_KEY: their-own\n' } }));
    const assembly = (objs: KubeObject[]) => objs.find((o) => o.kind === 'ConfigMap' && /-quay-config-[0-9a-f]{10}$/.test(o.metadata.name))!.metadata.name;
    const oldName = assembly(before);
    const now = renderOwned(bundled());
    const newName = assembly(now);
    const oldConfig = () => ({ ...secret(oldName), kind: 'ConfigMap', type: undefined, data: {} }) as KubeObject;
    /** A pod of `workload` (a rendered Deployment or Job) as the kubelet runs it. */
    const podOf = (objs: KubeObject[], kind: string, name: string, extra: { phase?: string; deletionTimestamp?: string } = {}) =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${name}-abc12`, namespace: NAMESPACE, ...(extra.deletionTimestamp ? { deletionTimestamp: extra.deletionTimestamp } : {}) },
        spec: (find(objs, kind, name) as Obj).spec.template.spec,
        status: { phase: extra.phase ?? 'Running' },
      }) as KubeObject;
    const planWith = (pods: KubeObject[] | undefined, cluster: KubeObject[] = [...current(), oldConfig()]) =>
      planFor({ observed: { ...observe(cluster), ...(pods ? { pods } : {}) }, currentVersion: VERSION }).result;

    test('the two renders name different config ConfigMaps; the old template reads the old one, the new the new', () => {
      expect(oldName).not.toBe(newName);
      expect(JSON.stringify(find(before, 'Deployment', n('quay-app')))).toContain(oldName);
      expect(JSON.stringify(find(now, 'Deployment', n('quay-app')))).not.toContain(oldName);
    });

    test('pods not listed: kept (not known who mounts it), reported as in use', () => {
      const result = planWith(undefined);
      expect(keysOf(result.remove)).toEqual([]);
      expect(result.configInUse).toEqual([`ConfigMap/${oldName}`]);
    });

    test.each([
      ['an old quay-app pod still runs', 'Deployment', n('quay-app'), {}],
      ['an old mirror pod is stopping (deletionTimestamp set)', 'Deployment', n('quay-mirror'), { deletionTimestamp: '2026-06-01T12:00:00Z' }],
      ['an old pod is Pending', 'Deployment', n('quay-app'), { phase: 'Pending' }],
      ['the old migration Job still runs', 'Job', n('quay-app-upgrade'), {}],
    ])('kept while a pod reads it: %s', (_, kind, name, extra) => {
      const result = planWith([podOf(before, kind, name, extra), podOf(now, 'Deployment', n('quay-app'))]);
      expect(keysOf(result.remove)).toEqual([]);
      expect(result.configInUse).toEqual([`ConfigMap/${oldName}`]);
    });

    test('removed once only new pods run; the current ConfigMap never', () => {
      const result = planWith([podOf(now, 'Deployment', n('quay-app')), podOf(now, 'Deployment', n('quay-mirror'))]);
      expect(keysOf(result.remove)).toEqual([`ConfigMap/${oldName}`]);
      expect(result.configInUse).toEqual([]);
    });

    test('a finished pod (the old migration Job, Succeeded or Failed) reads nothing any more', () => {
      const result = planWith([podOf(before, 'Job', n('quay-app-upgrade'), { phase: 'Succeeded' }), podOf(before, 'Job', n('quay-app-upgrade'), { phase: 'Failed' })]);
      expect(keysOf(result.remove)).toEqual([`ConfigMap/${oldName}`]);
    });

    test('removed while the config editor (or any Deployment) is not ready and mid-rollout: it mounts none of it', () => {
      const editor = liveDeployment(find(now, 'Deployment', n('quay-config-editor')), { replicas: 1, available: 0, updated: 0, generation: 2, observedGeneration: 1 });
      const quayApp = liveDeployment(find(now, 'Deployment', n('quay-app')), { replicas: 3, updated: 1, current: 4, available: 3, generation: 2 });
      const result = planWith([podOf(now, 'Deployment', n('quay-app'))], [...replacing(current(), editor, quayApp), oldConfig()]);
      expect(keysOf(result.remove)).toEqual([`ConfigMap/${oldName}`]);
    });

    test('kept while dependencies are not ready: held-back Deployments still carry their old templates', () => {
      const cluster = [...without(current(), `Deployment/${n('quay-database')}`), oldConfig()];
      const result = planWith([], cluster);
      expect(result.waitingFor).toEqual(['postgres']);
      expect(keysOf(result.remove)).not.toContain(`ConfigMap/${oldName}`);
      expect(result.configInUse).toEqual([`ConfigMap/${oldName}`]);
    });
  });

  test.each([
    ['owned by another QuayRegistry uid', () => secret(n('quay-config-secret-0000000000'), { uid: OTHER_UID })],
    ['owned by this uid but in another namespace', () => secret(n('quay-config-secret-0000000000'), { namespace: 'other-namespace' })],
    ['the Deployment of another owner', () => deploymentNamed(n('quay-mirror'), {}, OTHER_UID)],
    ["the user's config bundle Secret (labelled, no ownerReference)", () => secret('config-bundle-secret', { uid: null })],
    ['a Secret without ownerReference named like ours', () => secret(n('quay-config-secret-0000000000'), { uid: null })],
  ])('never removed: %s', (_, extra) => {
    const { result } = planFor({ model: noMirror(), observed: observe(without(mirrorLeftOver(), MIRROR, HPA_MIRROR), extra()), currentVersion: VERSION });
    expect(result.remove).toEqual([]);
    // Not even reported as config in use: not the registry's to keep or prune.
    expect(result.configInUse).toEqual([]);
  });

  test('without a registry uid nothing is removed', () => {
    const { result } = planFor({ model: noMirror(), observed: observe(mirrorLeftOver()), currentVersion: VERSION, uid: undefined });
    expect(result.remove).toEqual([]);
  });

  test('while the bucket is not bound nothing is pruned and Quay waits for it (its pods would wait for its Secret)', () => {
    const model = testModel({ objectBucket: null });
    const cluster = [...current(), secret(n('quay-config-secret-0000000000'))];
    const { rendered, result } = planFor({ model, observed: observe(cluster), currentVersion: VERSION });
    // Rendered complete, but not applied before the bucket is bound.
    expect(keysOf(rendered)).toContain(QUAY_APP);
    expect(keysOf(result.apply)).not.toContain(QUAY_APP);
    expect(result.remove).toEqual([]);
    expect(result.keptVolumes).toEqual([]);
    expect(result.waitingFor).toEqual(['objectstorage']);
  });

  test('an owned object of a kind no longer rendered in another namespace (the dashboard) is left to the reconciler', () => {
    const model = testModel({ spec: { components: [{ kind: 'monitoring', managed: false }] } });
    const dashboard = owned(find(renderOwned(bundled()), 'ConfigMap', n('grafana-dashboard-quay')));
    expect(dashboard.metadata.namespace).not.toBe(NAMESPACE);
    const { result } = planFor({ model, observed: observe(current(), dashboard), currentVersion: VERSION });
    expect(keysOf(result.remove)).not.toContain(`ConfigMap/${n('grafana-dashboard-quay')}`);
    expect(result.configInUse).not.toContain(`ConfigMap/${n('grafana-dashboard-quay')}`);
    // The monitoring objects in the registry's namespace do go.
    expect(keysOf(result.remove)).toEqual(expect.arrayContaining([`ServiceMonitor/${n('quay-metrics-monitor')}`, `PrometheusRule/${n('quay-prometheus-rules')}`]));
  });
});
