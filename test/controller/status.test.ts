// computeStatus, mergeConditions and statusChanged: what the QuayRegistry reports, from observations.
// Messages follow upstream (go-quay-operator.md §1.5, §2.8) and the seeds' status examples.
import type { ObservedState } from '../../lib/controller/observed';
import type { Plan } from '../../lib/controller/plan';
import { CONDITION_TYPE, computeStatus, mergeConditions, statusChanged, StatusInputs } from '../../lib/controller/status';
import { COMPONENT_KINDS, Condition, QuayRegistryStatus, isComponentKind } from '../../lib/api/types';
import type { RegistryModel } from '../../lib/model';
import { problem } from '../../lib/problems';
import { KubeObject, renderRegistry } from '../../lib/synth';
import { testModel } from '../support/model';
import { UID, find, healthyCluster, keyOf, liveDeployment, liveRoute, migrationJob, n, observe, ownedAll, pvc, replacing, without } from '../support/observed';

type Obj = Record<string, any>;

const VERSION = testModel().environment.quayVersion;
const NOW = '2026-06-01T12:00:00.000Z';
const EARLIER = '2026-05-01T08:00:00.000Z';

const planOf = (p: Partial<Plan> = {}): Plan => ({
  apply: [],
  remove: [],
  keptVolumes: [],
  waitingFor: [],
  configInUse: [],
  databaseUpgrades: [],
  scaleDown: [],
  replace: [],
  migration: { phase: 'done' },
  currentVersion: VERSION,
  ...p,
});

const render = (model: RegistryModel) => ownedAll(renderRegistry(model).objects);

function statusFor(opts: { model?: RegistryModel; cluster?: (rendered: KubeObject[]) => KubeObject[]; plan?: Partial<Plan>; previous?: QuayRegistryStatus; applyError?: string; uid?: string } = {}) {
  const model = opts.model ?? testModel({ files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' } });
  const rendered = render(model);
  const observed: ObservedState = observe((opts.cluster ?? ((r) => healthyCluster(r, VERSION)))(rendered));
  const inputs: StatusInputs = {
    previous: opts.previous,
    generation: 3,
    now: NOW,
    uid: opts.uid ?? UID,
    model,
    plan: planOf(opts.plan),
    observed,
    ...(opts.applyError ? { applyError: opts.applyError } : {}),
  };
  return { status: computeStatus(inputs), rendered, model };
}

const cond = (s: QuayRegistryStatus, type: string) => s.conditions?.find((c) => c.type === type);
const brief = (c: Condition | undefined) => c && { status: c.status, reason: c.reason, message: c.message };

describe('invalid input: the rollout is blocked, nothing else changes', () => {
  const previous: QuayRegistryStatus = {
    currentVersion: VERSION,
    registryEndpoint: 'https://quay.example.com',
    conditions: [
      { type: 'Available', status: 'True', reason: 'HealthChecksPassing', message: 'All components reporting as healthy', lastTransitionTime: EARLIER, lastUpdateTime: EARLIER },
      { type: 'RolloutBlocked', status: 'False', reason: 'ComponentsCreationSuccess', message: 'All objects created/updated successfully', lastTransitionTime: EARLIER, lastUpdateTime: EARLIER },
      { type: 'ComponentQuayReady', status: 'True', reason: 'ComponentReady', message: 'Quay component healthy', lastTransitionTime: EARLIER, lastUpdateTime: EARLIER },
    ],
  };
  const blocked = (problems = [problem('config.yaml', 'unable to parse config.yaml: bad indentation')], prev: QuayRegistryStatus | null = previous) =>
    computeStatus({ previous: prev ?? undefined, generation: 4, now: NOW, uid: UID, problems });

  test('RolloutBlocked True with the problem reason (ConfigInvalid) and message; the transition is stamped now', () => {
    const s = blocked();
    expect(cond(s, 'RolloutBlocked')).toEqual({
      type: 'RolloutBlocked',
      status: 'True',
      reason: 'ConfigInvalid',
      message: expect.stringContaining('unable to parse config.yaml: bad indentation'),
      lastTransitionTime: NOW,
      lastUpdateTime: NOW,
    });
  });

  test('the other previous conditions and fields are kept as they were', () => {
    const s = blocked();
    for (const type of ['Available', 'ComponentQuayReady']) expect(cond(s, type)).toEqual(cond(previous, type));
    expect(s.conditions).toHaveLength(3);
    expect(s.currentVersion).toBe(VERSION);
    expect(s.registryEndpoint).toBe('https://quay.example.com');
    expect(s.observedGeneration).toBe(4);
    expect(s.lastUpdated).toBe(NOW);
  });

  test('the reason is the first problem’s; every message is reported', () => {
    const s = blocked([problem('spec.components[0].overrides', 'replicas not supported for tls', 'ComponentOverrideInvalid'), problem('config.yaml', 'second')]);
    const c = cond(s, 'RolloutBlocked')!;
    expect([c.status, c.reason]).toEqual(['True', 'ComponentOverrideInvalid']);
    expect(c.message).toMatch(/replicas not supported for tls.*; .*second$/);
  });

  test('no previous status: only RolloutBlocked', () => {
    const s = blocked(undefined, null);
    expect(s.conditions!.map((c) => c.type)).toEqual(['RolloutBlocked']);
  });

  test('still blocked for the same reason: lastTransitionTime kept', () => {
    const first = blocked();
    const again = computeStatus({ previous: first, generation: 4, now: '2026-06-01T12:05:00.000Z', uid: UID, problems: [problem('config.yaml', 'unable to parse config.yaml: bad indentation')] });
    expect(cond(again, 'RolloutBlocked')!.lastTransitionTime).toBe(NOW);
    expect(statusChanged(first, again)).toBe(false);
  });
});

describe('rollout progress', () => {
  test('waiting for dependencies: ComponentsCreated False AwaitingDependencies', () => {
    const { status } = statusFor({ plan: { waitingFor: ['postgres', 'objectstorage'], migration: { phase: 'waiting' }, currentVersion: undefined }, cluster: () => [] });
    expect(brief(cond(status, 'ComponentsCreated'))).toEqual({ status: 'False', reason: 'AwaitingDependencies', message: 'waiting for postgres, objectstorage to become available' });
    expect(brief(cond(status, 'RolloutBlocked'))).toEqual({ status: 'False', reason: 'ComponentsCreationSuccess', message: 'All objects created/updated successfully' });
    expect(cond(status, 'Available')!.status).toBe('False');
    expect(status.currentVersion).toBeUndefined();
  });

  test.each([['running' as const], ['waiting' as const]])('migration %s: Available False MigrationsInProgress "running database migrations" (seeds)', (phase) => {
    const { status } = statusFor({
      plan: { migration: { phase }, currentVersion: undefined },
      cluster: (r) => replacing(healthyCluster(r, VERSION), migrationJob(VERSION, { active: 1 })),
    });
    expect(brief(cond(status, 'Available'))).toEqual({ status: 'False', reason: 'MigrationsInProgress', message: 'running database migrations' });
    expect(brief(cond(status, 'ComponentsCreated'))).toEqual({ status: 'False', reason: 'MigrationsInProgress', message: 'running database migrations' });
    expect(cond(status, 'ComponentQuayReady')!.status).toBe('False');
    expect(status.currentVersion).toBeUndefined();
  });

  test('migration failed: ComponentsCreated False MigrationsFailed with the Job message; Available False', () => {
    const { status } = statusFor({ plan: { migration: { phase: 'failed', message: 'Job has reached the specified backoff limit' }, currentVersion: undefined } });
    expect(brief(cond(status, 'ComponentsCreated'))).toEqual({ status: 'False', reason: 'MigrationsFailed', message: 'Job has reached the specified backoff limit' });
    expect(cond(status, 'Available')!.status).toBe('False');
    expect(cond(status, 'ComponentQuayReady')!.status).toBe('False');
  });

  test('an apply error: RolloutBlocked True ComponentCreationFailed with the error', () => {
    const { status } = statusFor({ applyError: 'error creating/updating object Deployment example-registry-quay-app: 422 Unprocessable' });
    expect(brief(cond(status, 'RolloutBlocked'))).toEqual({
      status: 'True',
      reason: 'ComponentCreationFailed',
      message: 'error creating/updating object Deployment example-registry-quay-app: 422 Unprocessable',
    });
  });

  test('currentVersion comes from the plan', () => {
    expect(statusFor({ plan: { migration: { phase: 'succeeded' }, currentVersion: VERSION } }).status.currentVersion).toBe(VERSION);
    expect(statusFor({ plan: { migration: { phase: 'running' }, currentVersion: 'v3.8.0' } }).status.currentVersion).toBe('v3.8.0');
  });
});

describe('all healthy', () => {
  const { status, rendered } = statusFor();

  test('Available True HealthChecksPassing, RolloutBlocked False, ComponentsCreated True', () => {
    expect(brief(cond(status, 'Available'))).toEqual({ status: 'True', reason: 'HealthChecksPassing', message: 'All components reporting as healthy' });
    expect(brief(cond(status, 'RolloutBlocked'))).toEqual({ status: 'False', reason: 'ComponentsCreationSuccess', message: 'All objects created/updated successfully' });
    expect(brief(cond(status, 'ComponentsCreated'))).toEqual({ status: 'True', reason: 'ComponentsCreationSuccess', message: 'All registry components created' });
  });

  const expected: [string, string][] = [
    ['ComponentQuayReady', 'Quay component healthy'],
    ['ComponentPostgresReady', `Deployment ${n('quay-database')} healthy`],
    ['ComponentClairReady', 'Clair component healthy'],
    ['ComponentRedisReady', `Deployment ${n('quay-redis')} healthy`],
    ['ComponentHPAReady', 'Horizontal pod autoscaler found'],
    ['ComponentObjectStorageReady', 'Object bucket claim bound'],
    ['ComponentRouteReady', 'Route admitted'],
    ['ComponentMirrorReady', `Deployment ${n('quay-mirror')} healthy`],
    ['ComponentMonitoringReady', 'ServiceMonitor and PrometheusRules created'],
    ['ComponentTLSReady', 'Using cluster wildcard certs'],
    ['ComponentClairPostgresReady', `Deployment ${n('clair-postgres')} healthy`],
  ];
  test.each(expected)('%s True ComponentReady "%s"', (type, message) => {
    expect(brief(cond(status, type))).toEqual({ status: 'True', reason: 'ComponentReady', message });
  });

  test('one Component<Kind>Ready per kind (11), plus Available, RolloutBlocked and ComponentsCreated; all stamped now', () => {
    const types = status.conditions!.map((c) => c.type);
    expect(new Set(types).size).toBe(types.length);
    expect(types.filter((t) => t.startsWith('Component') && t.endsWith('Ready')).sort()).toEqual(COMPONENT_KINDS.map((k) => CONDITION_TYPE[k]).sort());
    expect(types.sort()).toEqual([...COMPONENT_KINDS.map((k) => CONDITION_TYPE[k]), 'Available', 'RolloutBlocked', 'ComponentsCreated'].sort());
    for (const c of status.conditions!) expect([c.lastTransitionTime, c.lastUpdateTime]).toEqual([NOW, NOW]);
  });

  test('endpoints, credentials Secret, generation, time; no unhealthyComponents field when all are healthy (an applied {} after entries is refused)', () => {
    expect(status.registryEndpoint).toBe('https://example-registry-quay-quay-enterprise.apps.example.com');
    expect(status.configEditorEndpoint).toBe('https://example-registry-quay-config-editor-quay-enterprise.apps.example.com');
    // The Secret `quay-operator keys` prints and the controller applies (renderCredentials).
    expect(status.configEditorCredentialsSecret).toBe(n('quay-config-editor-credentials'));
    void rendered;
    expect(status).not.toHaveProperty('unhealthyComponents');
    expect(status.observedGeneration).toBe(3);
    expect(status.lastUpdated).toBe(NOW);
    expect(status.currentVersion).toBe(VERSION);
  });

  test('status.components lists the 11 resolved kinds with their managed flag (defaults in status, never in spec)', () => {
    const model = testModel({ spec: { components: [{ kind: 'mirror', managed: false }] } });
    const s = statusFor({ model }).status;
    expect(s.components).toEqual(COMPONENT_KINDS.map((kind) => ({ kind, managed: kind !== 'mirror' })));
    expect(status.components).toEqual(COMPONENT_KINDS.map((kind) => ({ kind, managed: true })));
    expect(s).not.toHaveProperty('spec');
  });

  test('registryEndpoint is https://<SERVER_HOSTNAME> from the config bundle', () => {
    const model = testModel({ files: { 'config.yaml': 'SERVER_HOSTNAME: registry.example.org\n' } });
    expect(statusFor({ model }).status.registryEndpoint).toBe('https://registry.example.org');
  });

  test('configEditorEndpoint follows the config-editor Route as admitted (status.ingress host)', () => {
    const s = statusFor({
      cluster: (r) => replacing(healthyCluster(r, VERSION), liveRoute(find(r, 'Route', n('quay-config-editor')), [{ host: 'editor.apps.example.net', conditions: [{ type: 'Admitted', status: 'True' }] }])),
    }).status;
    expect(s.configEditorEndpoint).toBe('https://editor.apps.example.net');
    expect(statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), `Route/${n('quay-config-editor')}`) }).status.configEditorEndpoint).toBeUndefined();
  });

  test('no config bundle Secret, no editor: neither its endpoint nor its credentials are reported', () => {
    const s = statusFor({ model: testModel() }).status;
    expect(s).not.toHaveProperty('configEditorEndpoint');
    expect(s).not.toHaveProperty('configEditorCredentialsSecret');
  });
});

describe('unmanaged components: True ComponentNotManaged "... not managed by the operator"', () => {
  const files = {
    'config.yaml': [
      'SERVER_HOSTNAME: quay.example.com',
      'EXTERNAL_TLS_TERMINATION: true',
      'DB_URI: postgresql://quay:secret@db.example.com:5432/quay',
      'BUILDLOGS_REDIS: {host: redis.example.com, port: 6379}',
      'USER_EVENTS_REDIS: {host: redis.example.com, port: 6379}',
      'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, s3_access_key: a, s3_secret_key: b, storage_path: /registry}]}',
      'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
      'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: []',
      '',
    ].join('\n'),
  };
  const kinds = ['postgres', 'redis', 'objectstorage', 'clair', 'clairpostgres', 'mirror', 'horizontalpodautoscaler', 'monitoring', 'route'];
  // Route unmanaged requires TLS unmanaged (TLS terminated outside Quay here).
  const model = testModel({ files, objectBucket: null, spec: { components: [...kinds, 'tls'].map((kind) => ({ kind, managed: false })) } });
  const { status } = statusFor({ model });

  test.each([
    ['ComponentPostgresReady', 'Postgres not managed by the operator'],
    ['ComponentRedisReady', 'Redis not managed by the operator'],
    ['ComponentObjectStorageReady', 'Object storage not managed by the operator'],
    ['ComponentClairReady', 'Clair not managed by the operator'],
    ['ComponentClairPostgresReady', 'ClairPostgres not managed by the operator'],
    ['ComponentMirrorReady', 'Mirror not managed by the operator'],
    ['ComponentHPAReady', 'Horizontal pod autoscaler not managed by the operator'],
    ['ComponentMonitoringReady', 'Monitoring not managed by the operator'],
    ['ComponentRouteReady', 'Route is not managed by the operator'],
  ])('%s: "%s"', (type, message) => {
    expect(brief(cond(status, type))).toEqual({ status: 'True', reason: 'ComponentNotManaged', message });
  });

  test('Quay (managed) healthy and the registry Available', () => {
    expect(brief(cond(status, 'ComponentQuayReady'))).toEqual({ status: 'True', reason: 'ComponentReady', message: 'Quay component healthy' });
    expect(cond(status, 'Available')!.status).toBe('True');
    expect(status.components!.filter((c) => !c.managed).map((c) => c.kind).sort()).toEqual([...kinds, 'tls'].sort());
  });
});

describe('unhealthy components', () => {
  const deployment = (r: KubeObject[], name: string, s: Parameters<typeof liveDeployment>[1]) => liveDeployment(find(r, 'Deployment', name), s);

  test('a Deployment with zero available pods: "Deployment <name> has zero replicas available"', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-mirror'), { replicas: 2, available: 0 })) });
    expect(brief(cond(status, 'ComponentMirrorReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: `Deployment ${n('quay-mirror')} has zero replicas available` });
    expect(brief(cond(status, 'Available'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: 'Some components are not ready' });
  });

  test('redis with zero available pods', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-redis'), { replicas: 1, available: 0 })) });
    expect(brief(cond(status, 'ComponentRedisReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: `Deployment ${n('quay-redis')} has zero replicas available` });
  });

  test('a Deployment below its own minimum availability but serving (a scale-up, a drained node): ready, Available stays True, nothing unhealthy', () => {
    const { status } = statusFor({
      cluster: (r) =>
        replacing(
          healthyCluster(r, VERSION),
          deployment(r, n('clair-app'), { replicas: 2, available: 1, availableCondition: { status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' } }),
        ),
    });
    expect(brief(cond(status, 'ComponentClairReady'))).toEqual({ status: 'True', reason: 'ComponentReady', message: 'Clair component healthy' });
    expect(cond(status, 'Available')!.status).toBe('True');
    expect(status).not.toHaveProperty('unhealthyComponents');
  });

  test('no Available condition yet but pods available: serving', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-mirror'), { availableCondition: null })) });
    expect(brief(cond(status, 'ComponentMirrorReady'))).toEqual({ status: 'True', reason: 'ComponentReady', message: `Deployment ${n('quay-mirror')} healthy` });
  });

  test('a rollout past its progress deadline while the old pods serve: still Available, the Progressing condition in unhealthyComponents', () => {
    const stuck = { status: 'False' as const, reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${n('quay-app')}-7f8d" has timed out progressing.` };
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-app'), { replicas: 2, available: 2, updated: 1, progressingCondition: stuck })) });
    expect(cond(status, 'Available')!.status).toBe('True');
    expect(status.unhealthyComponents).toEqual({ quay: [expect.objectContaining({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `Deployment ${n('quay-app')}: ${stuck.message}` })] });
  });

  test('a missing Deployment is reported by name', () => {
    const { status } = statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), `Deployment/${n('quay-database')}`) });
    expect(brief(cond(status, 'ComponentPostgresReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: `Postgres deployment ${n('quay-database')} not found` });
  });

  test('a Deployment owned by another registry: "... not owned by QuayRegistry"', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), liveDeployment(find(r, 'Deployment', n('clair-postgres')), {}, 'someone-else')) });
    expect(brief(cond(status, 'ComponentClairPostgresReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: `ClairPostgres deployment ${n('clair-postgres')} not owned by QuayRegistry` });
  });

  test('a pending database PVC: ComponentPostgresReady False PVCPending', () => {
    const { status } = statusFor({
      cluster: (r) => replacing(healthyCluster(r, VERSION), pvc(n('quay-postgres-13'), 'Pending'), deployment(r, n('quay-database'), { replicas: 1, available: 0 })),
    });
    expect(brief(cond(status, 'ComponentPostgresReady'))).toEqual({ status: 'False', reason: 'PVCPending', message: `Postgres PersistentVolumeClaim ${n('quay-postgres-13')} is pending` });
    expect(cond(status, 'Available')!.status).toBe('False');
  });

  test('a pending Clair database PVC: ComponentClairPostgresReady False PVCPending', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), pvc(n('clair-postgres-15'), 'Pending')) });
    expect(brief(cond(status, 'ComponentClairPostgresReady'))).toEqual({
      status: 'False',
      reason: 'PVCPending',
      message: `ClairPostgres PersistentVolumeClaim ${n('clair-postgres-15')} is pending`,
    });
  });

  test('OBC not bound / missing', () => {
    const pending = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), { ...find(healthyCluster(r, VERSION), 'ObjectBucketClaim', n('quay-datastore')), status: { phase: 'Pending' } }) }).status;
    expect(brief(cond(pending, 'ComponentObjectStorageReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: 'Object bucket claim not bound' });
    const missing = statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), `ObjectBucketClaim/${n('quay-datastore')}`) }).status;
    expect(cond(missing, 'ComponentObjectStorageReady')!.message).toBe('Unable to locate object bucket claim');
  });

  test.each([
    ['no ingress', [] as Obj[], 'Route found but no ingress'],
    ['not admitted on every router', [{ host: 'h', conditions: [{ type: 'Admitted', status: 'True' }] }, { host: 'h', conditions: [{ type: 'Admitted', status: 'False' }] }], 'Route not fully admitted'],
  ])('Route %s', (_, ingress, message) => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), liveRoute(find(r, 'Route', n('quay')), ingress)) });
    expect(brief(cond(status, 'ComponentRouteReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message });
  });

  test('a missing HPA', () => {
    const { status } = statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), `HorizontalPodAutoscaler/${n('quay-mirror')}`) });
    expect(cond(status, 'ComponentHPAReady')!.status).toBe('False');
    expect(cond(status, 'ComponentHPAReady')!.message).toContain('Horizontal pod autoscaler not found');
  });

  test('Quay not ready: mirror awaits Quay', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-app'), { replicas: 2, available: 0 })) });
    expect(brief(cond(status, 'ComponentQuayReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: `Deployment ${n('quay-app')} has zero replicas available` });
    expect(brief(cond(status, 'ComponentMirrorReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: 'Awaiting for component quay to become available' });
  });

  test('a failed prerequisite with Quay down: Quay awaits it by name', () => {
    const { status } = statusFor({
      cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-app'), { replicas: 2, available: 0 }), deployment(r, n('quay-redis'), { replicas: 1, available: 0 })),
    });
    expect(brief(cond(status, 'ComponentQuayReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: 'Awaiting for component redis to become available' });
  });

  // Upstream §2.8 step 3: any failed prerequisite (postgres, objectstorage, clair, clairpostgres,
  // tls, redis) makes Quay "Awaiting for component ..." and mirror "Awaiting for component quay",
  // whether or not quay-app's own pods are up: Quay does not serve without its database.
  test('a failed prerequisite makes Quay await it even while quay-app pods are up (upstream order)', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-database'), { replicas: 1, available: 0 })) });
    expect(brief(cond(status, 'ComponentQuayReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: 'Awaiting for component postgres to become available' });
    expect(cond(status, 'ComponentMirrorReady')!.message).toBe('Awaiting for component quay to become available');
  });

  test('Quay scaled to 0 by override with no pods left: ComponentQuayReady True, registry Available', () => {
    const model = testModel({ spec: { components: [{ kind: 'quay', managed: true, overrides: { replicas: 0 } }] } });
    const { status } = statusFor({ model, cluster: (r) => healthyCluster(r, VERSION).map((o) => (keyOf(o) === `Deployment/${n('quay-app')}` ? liveDeployment(o, { replicas: 0, available: 0 }) : o)) });
    expect(cond(status, 'ComponentQuayReady')).toMatchObject({ status: 'True', reason: 'ComponentReady' });
    expect(cond(status, 'ComponentHPAReady')!.status).toBe('True');
    expect(cond(status, 'Available')!.status).toBe('True');
  });

  test('Quay scaled to 0 by override but pods still available: not ready (being scaled down)', () => {
    const model = testModel({ spec: { components: [{ kind: 'quay', managed: true, overrides: { replicas: 0 } }] } });
    const { status } = statusFor({ model, cluster: (r) => replacing(healthyCluster(r, VERSION), liveDeployment(find(r, 'Deployment', n('quay-app')), { replicas: 0, available: 1 })) });
    expect(cond(status, 'ComponentQuayReady')!.status).toBe('False');
    expect(cond(status, 'ComponentQuayReady')!.message).toContain('being scaled down');
  });

  // Without a replicas override, a quay-app at 0 replicas (someone ran `kubectl scale --replicas=0`,
  // or the pass right after the migration, when the live Deployment is still held at 0) serves
  // nothing: upstream only treats 0 as healthy when the override asks for it (§2.8 Quay).
  test('quay-app at 0 replicas WITHOUT an override: not ready, registry not Available', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-app'), { replicas: 0, available: 0 })) });
    expect(brief(cond(status, 'ComponentQuayReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: `Deployment ${n('quay-app')} has zero replicas available` });
    expect(cond(status, 'Available')!.status).toBe('False');
  });

  describe('unhealthyComponents (seeds: Available=False conditions of Deployments that do not serve)', () => {
    const failing = { status: 'False' as const, reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
    const { status } = statusFor({
      plan: { migration: { phase: 'running' }, currentVersion: undefined },
      cluster: (r) =>
        replacing(
          healthyCluster(r, VERSION),
          deployment(r, n('clair-postgres'), { replicas: 1, available: 0, availableCondition: failing }),
          deployment(r, n('clair-app'), { replicas: 2, available: 0, availableCondition: failing }),
          deployment(r, n('quay-mirror'), { replicas: 0, available: 0, availableCondition: failing }),
        ),
    });
    const all = Object.values(status.unhealthyComponents ?? {}).flat();

    test('each carries the Deployment Available condition, message prefixed "Deployment <name>: "', () => {
      expect(all).toHaveLength(3);
      for (const name of [n('clair-postgres'), n('clair-app'), n('quay-mirror')]) {
        expect(all).toContainEqual(
          expect.objectContaining({ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: `Deployment ${name}: Deployment does not have minimum availability.` }),
        );
      }
    });

    test('keyed by component kind, as in the seeds (clair, mirror), not by the quay-component label', () => {
      expect(Object.keys(status.unhealthyComponents!).filter((k) => !isComponentKind(k))).toEqual([]);
      expect(status.unhealthyComponents!.mirror?.map((c) => c.message)).toEqual([`Deployment ${n('quay-mirror')}: Deployment does not have minimum availability.`]);
      expect(status.unhealthyComponents!.clair?.map((c) => c.message)).toContain(`Deployment ${n('clair-app')}: Deployment does not have minimum availability.`);
    });
  });
});

describe('mergeConditions', () => {
  const old: Condition = { type: 'Available', status: 'True', reason: 'HealthChecksPassing', message: 'All components reporting as healthy', lastTransitionTime: EARLIER, lastUpdateTime: EARLIER };
  const next = (c: Partial<Condition>) => [{ type: 'Available', status: 'True' as const, reason: 'HealthChecksPassing', message: 'All components reporting as healthy', ...c }];

  test.each<[string, Condition[] | undefined, Partial<Condition>, string, string]>([
    ['unchanged: both timestamps kept', [old], {}, EARLIER, EARLIER],
    ['same status, new message: transition kept, update now', [old], { message: 'other' }, EARLIER, NOW],
    ['same status, new reason: transition kept, update now', [old], { reason: 'Other' }, EARLIER, NOW],
    ['status flips: both now', [old], { status: 'False', reason: 'ComponentNotReady', message: 'Some components are not ready' }, NOW, NOW],
    ['no previous condition: both now', undefined, {}, NOW, NOW],
    ['previous of another type only: both now', [{ ...old, type: 'RolloutBlocked' }], {}, NOW, NOW],
    ['previous without timestamps: both now', [{ ...old, lastTransitionTime: undefined, lastUpdateTime: undefined }], {}, NOW, NOW],
  ])('%s', (_, previous, change, transition, update) => {
    const [c] = mergeConditions(previous, next(change), NOW);
    expect(c.lastTransitionTime).toBe(transition);
    expect(c.lastUpdateTime).toBe(update);
    expect(brief(c)).toEqual(brief({ ...next(change)[0] } as Condition));
  });

  test('a full status recomputed later with nothing changed keeps every timestamp', () => {
    const model = testModel();
    const first = statusFor({ model }).status;
    const later = computeStatus({
      previous: first,
      generation: 3,
      now: '2026-06-01T13:00:00.000Z',
      uid: UID,
      model,
      plan: planOf(),
      observed: observe(healthyCluster(render(model), VERSION)),
    });
    expect(later.conditions).toEqual(first.conditions);
    expect(later.lastUpdated).toBe('2026-06-01T13:00:00.000Z');
    expect(statusChanged(first, later)).toBe(false);
  });
});

describe('statusChanged: timestamps only are ignored', () => {
  const base = statusFor().status;
  const withCondition = (type: string, change: Partial<Condition>): QuayRegistryStatus => ({
    ...base,
    conditions: base.conditions!.map((c) => (c.type === type ? { ...c, ...change } : c)),
  });

  test.each<[string, boolean, QuayRegistryStatus | undefined]>([
    ['identical', false, JSON.parse(JSON.stringify(base))],
    ['lastUpdated differs', false, { ...base, lastUpdated: '2030-01-01T00:00:00Z' }],
    ['condition timestamps differ', false, { ...base, conditions: base.conditions!.map((c) => ({ ...c, lastTransitionTime: EARLIER, lastUpdateTime: EARLIER })) }],
    ['no previous status', true, undefined],
    ['a condition status differs', true, withCondition('Available', { status: 'False' })],
    ['a condition message differs', true, withCondition('ComponentRouteReady', { message: 'Route not found' })],
    ['a condition reason differs', true, withCondition('ComponentsCreated', { reason: 'MigrationsInProgress' })],
    ['currentVersion differs', true, { ...base, currentVersion: 'v3.8.0' }],
    ['observedGeneration differs', true, { ...base, observedGeneration: 2 }],
    ['registryEndpoint differs', true, { ...base, registryEndpoint: 'https://other' }],
    ['a condition is missing', true, { ...base, conditions: base.conditions!.slice(1) }],
  ])('%s → changed: %s', (_, changed, previous) => {
    expect(statusChanged(previous, base)).toBe(changed);
  });

  // The previous status is read back from the API server, which serializes custom resources from
  // maps: keys come back sorted, not in the order computeStatus wrote them. Same content, no write.
  test('the same status with its keys in another order (as read back from the API server) is unchanged', () => {
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Obj)[k])])) : v;
    const readBack = sortKeys(JSON.parse(JSON.stringify(base))) as QuayRegistryStatus;
    expect(readBack).toEqual(base);
    expect(statusChanged(readBack, base)).toBe(false);
  });
});

// Status goes out as a server-side apply: an empty map or list where the last apply had entries
// reads as null to the API server, which the CRD schema refuses (422), and the status is never
// written. No status may hold one, whatever the registry's state.
describe('no empty map or list anywhere in a status', () => {
  const empties = (v: unknown, path = 'status'): string[] => {
    if (Array.isArray(v)) return v.length === 0 ? [path] : v.flatMap((x, i) => empties(x, `${path}[${i}]`));
    if (v && typeof v === 'object') {
      const entries = Object.entries(v as Obj).filter(([, x]) => x !== undefined);
      return entries.length === 0 ? [path] : entries.flatMap(([k, x]) => empties(x, `${path}.${k}`));
    }
    return [];
  };
  const dep = (r: KubeObject[], name: string) => liveDeployment(find(r, 'Deployment', name), { replicas: 1, available: 0 });
  test.each([
    ['all healthy', statusFor().status],
    ['one component unhealthy', statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), dep(r, n('quay-redis'))) }).status],
    ['one component healed (previous status listed it)', statusFor({ previous: statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), dep(r, n('quay-redis'))) }).status }).status],
    ['awaiting dependencies', statusFor({ plan: { waitingFor: ['postgres'] } }).status],
    ['an apply error', statusFor({ applyError: 'boom' }).status],
    ['invalid input, no previous status', computeStatus({ previous: undefined, generation: 1, now: NOW, uid: UID, problems: [problem('config.yaml', 'unable to parse config.yaml')] })],
  ])('%s', (_, status) => {
    expect(empties(status)).toEqual([]);
  });
});
