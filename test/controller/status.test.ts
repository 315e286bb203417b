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
import { UID, deploymentNamed, find, healthyCluster, keyOf, liveDeployment, liveRoute, migrationJob, n, observe, ownedAll, pvc, replacing, without } from '../support/observed';

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

// Computed inside each test (not at describe time), so that mutation testing attributes the code
// they run to them.
describe('status details an admin reads', () => {
  const deployment = (r: KubeObject[], name: string, s: Parameters<typeof liveDeployment>[1]) => liveDeployment(find(r, 'Deployment', name), s);
  const full = (s: QuayRegistryStatus, type: string) => cond(s, type);
  const at = (status: 'True' | 'False', reason: string, message: string, type: string) => ({ type, status, reason, message, lastTransitionTime: NOW, lastUpdateTime: NOW });
  /** computeStatus with a model the renderer is not asked about (exposure, bundle files): observed built from the default render. */
  const compute = (model: RegistryModel, objs: KubeObject[], plan: Partial<Plan> = {}) =>
    computeStatus({ previous: undefined, generation: 3, now: NOW, uid: UID, model, plan: planOf(plan), observed: observe(objs) });
  const base = () => testModel({ files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' } });
  const healthy = (model: RegistryModel = base()) => healthyCluster(render(model), VERSION);

  test('all healthy: whole Available, ComponentsCreated and RolloutBlocked conditions', () => {
    const { status } = statusFor({ plan: { migration: { phase: 'succeeded' } } });
    expect(full(status, 'Available')).toEqual(at('True', 'HealthChecksPassing', 'All components reporting as healthy', 'Available'));
    expect(full(status, 'ComponentsCreated')).toEqual(at('True', 'ComponentsCreationSuccess', 'All registry components created', 'ComponentsCreated'));
    expect(full(status, 'RolloutBlocked')).toEqual(at('False', 'ComponentsCreationSuccess', 'All objects created/updated successfully', 'RolloutBlocked'));
    expect(full(status, 'ComponentTLSReady')).toEqual(at('True', 'ComponentReady', 'Using cluster wildcard certs', 'ComponentTLSReady'));
    expect(full(status, 'ComponentMonitoringReady')).toEqual(at('True', 'ComponentReady', 'ServiceMonitor and PrometheusRules created', 'ComponentMonitoringReady'));
    expect(full(status, 'ComponentQuayReady')).toEqual(at('True', 'ComponentReady', 'Quay component healthy', 'ComponentQuayReady'));
  });

  test('an empty problems list is valid input: the full status is computed', () => {
    const model = base();
    const s = computeStatus({ previous: undefined, generation: 3, now: NOW, uid: UID, problems: [], model, plan: planOf(), observed: observe(healthy(model)) });
    expect(brief(cond(s, 'RolloutBlocked'))).toEqual({ status: 'False', reason: 'ComponentsCreationSuccess', message: 'All objects created/updated successfully' });
    expect(cond(s, 'Available')!.status).toBe('True');
  });

  test('migration failed: Quay not ready "migrations failed: <message>", Available ComponentNotReady (not MigrationsInProgress)', () => {
    const { status } = statusFor({ plan: { migration: { phase: 'failed', message: 'Job has reached the specified backoff limit' }, currentVersion: undefined } });
    expect(full(status, 'ComponentQuayReady')).toEqual(at('False', 'ComponentNotReady', 'migrations failed: Job has reached the specified backoff limit', 'ComponentQuayReady'));
    expect(full(status, 'Available')).toEqual(at('False', 'ComponentNotReady', 'Some components are not ready', 'Available'));
  });

  test('migration failed without a message: ComponentsCreated "failed to run migrations"', () => {
    const { status } = statusFor({ plan: { migration: { phase: 'failed' }, currentVersion: undefined } });
    expect(brief(cond(status, 'ComponentsCreated'))).toEqual({ status: 'False', reason: 'MigrationsFailed', message: 'failed to run migrations' });
  });

  test('migration running: Quay MigrationsInProgress, and a failed prerequisite does not replace that reason', () => {
    const { status } = statusFor({
      plan: { migration: { phase: 'running' }, currentVersion: undefined },
      cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-redis'), { replicas: 1, available: 0 })),
    });
    expect(full(status, 'ComponentQuayReady')).toEqual(at('False', 'MigrationsInProgress', 'running database migrations', 'ComponentQuayReady'));
    expect(full(status, 'Available')).toEqual(at('False', 'MigrationsInProgress', 'running database migrations', 'Available'));
  });

  test('another site migrates (spec.migrations.run false): AwaitingMigration on Quay, ComponentsCreated and Available, naming the version and the gate Job', () => {
    const { status } = statusFor({
      plan: { migration: { phase: 'waiting', elsewhere: true }, currentVersion: undefined },
      cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-redis'), { replicas: 1, available: 0 })),
    });
    const message = `spec.migrations.run is false: waiting for another site to migrate the shared database to Quay ${VERSION}; Job ${n('quay-app-upgrade')} compares its alembic revision with this Quay's`;
    expect(full(status, 'ComponentQuayReady')).toEqual(at('False', 'AwaitingMigration', message, 'ComponentQuayReady'));
    expect(full(status, 'ComponentsCreated')).toEqual(at('False', 'AwaitingMigration', message, 'ComponentsCreated'));
    expect(full(status, 'Available')).toEqual(at('False', 'AwaitingMigration', message, 'Available'));
  });

  test('a database upgrade under way: ComponentsCreated False with the upgrade’s reason and message; a finished one is ignored', () => {
    const upgrade = { kind: 'postgres' as const, fromMajor: 13, toMajor: 15, oldClaim: n('quay-postgres-13'), oldImage: 'postgres:13', jobName: n('quay-database-upgrade') };
    const { status } = statusFor({ plan: { databaseUpgrades: [{ ...upgrade, phase: 'done' }, { ...upgrade, phase: 'copying' }] } });
    expect(full(status, 'ComponentsCreated')).toEqual(
      at('False', 'PostgresUpgradeInProgress', `upgrading the postgres database from PostgreSQL 13 to 15: copying the data (Job ${n('quay-database-upgrade')}); Quay and mirror are stopped meanwhile`, 'ComponentsCreated'),
    );
    const done = statusFor({ plan: { databaseUpgrades: [{ ...upgrade, phase: 'done' }] } }).status;
    expect(brief(cond(done, 'ComponentsCreated'))).toEqual({ status: 'True', reason: 'ComponentsCreationSuccess', message: 'All registry components created' });
  });

  test('a prerequisite failing with Quay up: "Awaiting for component a,b" lists every failed one, comma-joined without spaces', () => {
    const { status } = statusFor({
      cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-database'), { replicas: 1, available: 0 }), deployment(r, n('quay-redis'), { replicas: 1, available: 0 })),
    });
    expect(full(status, 'ComponentQuayReady')).toEqual(at('False', 'ComponentNotReady', 'Awaiting for component postgres,redis to become available', 'ComponentQuayReady'));
    expect(full(status, 'ComponentMirrorReady')).toEqual(at('False', 'ComponentNotReady', 'Awaiting for component quay to become available', 'ComponentMirrorReady'));
  });

  test.each([
    ['quay', 'quay-app', 'ComponentQuayReady', 'Quay component scaled down'],
    ['clair', 'clair-app', 'ComponentClairReady', 'Clair manually scaled down'],
    ['mirror', 'quay-mirror', 'ComponentMirrorReady', 'Mirror manually scaled down'],
  ])('%s pinned at 0 replicas by override (Deployment %s), no pods left: ready', (kind, name, type, message) => {
    const model = testModel({ files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' }, spec: { components: [{ kind, managed: true, overrides: { replicas: 0 } }] } });
    const { status } = statusFor({ model, cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n(name), { replicas: 0, available: 0 })) });
    expect(full(status, type)).toEqual(at('True', 'ComponentReady', message, type));
  });

  test.each([
    ['quay', 'quay-app', 'ComponentQuayReady', `Deployment ${n('quay-app')} is being scaled down`],
    ['clair', 'clair-app', 'ComponentClairReady', `Deployment ${n('clair-app')} is being scaled down`],
    ['mirror', 'quay-mirror', 'ComponentMirrorReady', `Mirror deployment ${n('quay-mirror')} is being scaled down`],
  ])('%s pinned at 0 by override (Deployment %s) while pods still run: not ready, being scaled down', (kind, name, type, message) => {
    const model = testModel({ files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' }, spec: { components: [{ kind, managed: true, overrides: { replicas: 0 } }] } });
    const { status } = statusFor({ model, cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n(name), { replicas: 0, available: 1 })) });
    expect(full(status, type)).toEqual(at('False', 'ComponentNotReady', message, type));
  });

  test('a Deployment pinned at 0 by override that has no status yet: scaled down, ready', () => {
    const model = testModel({ files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' }, spec: { components: [{ kind: 'mirror', managed: true, overrides: { replicas: 0 } }] } });
    const { status } = statusFor({ model, cluster: (r) => replacing(healthyCluster(r, VERSION), { ...deployment(r, n('quay-mirror'), { replicas: 0 }), status: undefined } as KubeObject) });
    expect(brief(cond(status, 'ComponentMirrorReady'))).toEqual({ status: 'True', reason: 'ComponentReady', message: 'Mirror manually scaled down' });
  });

  test('a live Deployment with no status at all: not serving', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), { ...deployment(r, n('quay-redis'), {}), status: undefined } as KubeObject) });
    expect(brief(cond(status, 'ComponentRedisReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: `Deployment ${n('quay-redis')} has zero replicas available` });
  });

  test('a missing Redis Deployment: "Redis deployment <name> not found"', () => {
    const { status } = statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), `Deployment/${n('quay-redis')}`) });
    expect(brief(cond(status, 'ComponentRedisReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: `Redis deployment ${n('quay-redis')} not found` });
  });

  test('a database PVC without status (not Pending) does not block the database check', () => {
    const { status } = statusFor({ cluster: (r) => [...healthyCluster(r, VERSION).filter((o) => keyOf(o) !== `PersistentVolumeClaim/${n('quay-postgres-13')}`), { ...pvc(n('quay-postgres-13'), 'Bound'), status: undefined } as KubeObject] });
    expect(brief(cond(status, 'ComponentPostgresReady'))).toEqual({ status: 'True', reason: 'ComponentReady', message: `Deployment ${n('quay-database')} healthy` });
  });

  test('an OBC without status: not bound', () => {
    const { status } = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), { ...find(healthyCluster(r, VERSION), 'ObjectBucketClaim', n('quay-datastore')), status: undefined } as KubeObject) });
    expect(brief(cond(status, 'ComponentObjectStorageReady'))).toEqual({ status: 'False', reason: 'ComponentNotReady', message: 'Object bucket claim not bound' });
  });

  test('missing HPAs are all named, comma-separated, in quay, clair, mirror order', () => {
    const { status } = statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), ...['quay-app', 'clair-app', 'quay-mirror'].map((x) => `HorizontalPodAutoscaler/${n(x)}`)) });
    expect(full(status, 'ComponentHPAReady')).toEqual(
      at('False', 'ComponentNotReady', `Horizontal pod autoscaler not found: ${n('quay-app')}, ${n('clair-app')}, ${n('quay-mirror')}`, 'ComponentHPAReady'),
    );
    const one = statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), `HorizontalPodAutoscaler/${n('clair-app')}`) }).status;
    expect(cond(one, 'ComponentHPAReady')!.message).toBe(`Horizontal pod autoscaler not found: ${n('clair-app')}`);
  });

  test('Route missing; Route whose router has no Admitted condition; Route admitted by another condition type only', () => {
    const missing = statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), `Route/${n('quay')}`) }).status;
    expect(full(missing, 'ComponentRouteReady')).toEqual(at('False', 'ComponentNotReady', 'Route not found', 'ComponentRouteReady'));
    const noConditions = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), liveRoute(find(r, 'Route', n('quay')), [{ host: 'h' }])) }).status;
    expect(cond(noConditions, 'ComponentRouteReady')!.message).toBe('Route not fully admitted');
    const other = statusFor({
      cluster: (r) => replacing(healthyCluster(r, VERSION), liveRoute(find(r, 'Route', n('quay')), [{ host: 'h', conditions: [{ type: 'Admitted', status: 'True' }, { type: 'Other', status: 'False' }] }])),
    }).status;
    expect(full(other, 'ComponentRouteReady')).toEqual(at('True', 'ComponentReady', 'Route admitted', 'ComponentRouteReady'));
    const wrongType = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), liveRoute(find(r, 'Route', n('quay')), [{ host: 'h', conditions: [{ type: 'Ready', status: 'True' }] }])) }).status;
    expect(cond(wrongType, 'ComponentRouteReady')!.status).toBe('False');
  });

  test('monitoring: a missing PrometheusRule, then a missing ServiceMonitor, named', () => {
    const rule = statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), `PrometheusRule/${n('quay-prometheus-rules')}`) }).status;
    expect(full(rule, 'ComponentMonitoringReady')).toEqual(at('False', 'ComponentNotReady', `PrometheusRule ${n('quay-prometheus-rules')} not found`, 'ComponentMonitoringReady'));
    const monitor = statusFor({ cluster: (r) => without(healthyCluster(r, VERSION), `ServiceMonitor/${n('quay-metrics-monitor')}`) }).status;
    expect(full(monitor, 'ComponentMonitoringReady')).toEqual(at('False', 'ComponentNotReady', `ServiceMonitor ${n('quay-metrics-monitor')} not found`, 'ComponentMonitoringReady'));
  });

  describe('exposure through an Ingress or the Gateway API', () => {
    const withExposure = (type: string, extra: Partial<RegistryModel> = {}) => ({ ...base(), exposure: { type, settings: {} }, ...extra }) as unknown as RegistryModel;
    const ingress = (status?: Obj): KubeObject =>
      ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: n('quay'), namespace: 'quay-enterprise' }, spec: {}, ...(status ? { status } : {}) }) as KubeObject;
    const route = (kind: string, parents?: Obj[]): KubeObject =>
      ({ apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: { name: n('quay'), namespace: 'quay-enterprise' }, spec: {}, ...(parents ? { status: { parents } } : {}) }) as KubeObject;
    const ok = [{ type: 'Accepted', status: 'True' }, { type: 'ResolvedRefs', status: 'True' }];

    test('Ingress: missing; created without addresses; serving at its hostnames or IPs', () => {
      const model = withExposure('Ingress');
      expect(full(compute(model, healthy()), 'ComponentRouteReady')).toEqual(at('False', 'ComponentNotReady', 'Ingress not found', 'ComponentRouteReady'));
      expect(brief(cond(compute(model, [...healthy(), ingress()]), 'ComponentRouteReady'))).toEqual({ status: 'True', reason: 'ComponentReady', message: 'Ingress created' });
      const lb = { loadBalancer: { ingress: [{ hostname: 'lb.example.com', ip: '10.0.0.1' }, { ip: '10.0.0.2' }, {}] } };
      expect(brief(cond(compute(model, [...healthy(), ingress(lb)]), 'ComponentRouteReady'))).toEqual({ status: 'True', reason: 'ComponentReady', message: 'Ingress serving at lb.example.com, 10.0.0.2' });
    });

    test('Gateway: HTTPRoute without a certificate, TLSRoute with one; missing; not yet accepted', () => {
      const http = withExposure('Gateway');
      expect(full(compute(http, healthy()), 'ComponentRouteReady')).toEqual(at('False', 'ComponentNotReady', 'HTTPRoute not found', 'ComponentRouteReady'));
      expect(cond(compute(http, [...healthy(), route('HTTPRoute')]), 'ComponentRouteReady')!.message).toBe('HTTPRoute not yet accepted by its Gateway');
      const tls = withExposure('Gateway', { certificate: { source: 'bundle' } as any });
      expect(cond(compute(tls, [...healthy(), route('HTTPRoute', [{ parentRef: { name: 'gw' }, conditions: ok }])]), 'ComponentRouteReady')!.message).toBe('TLSRoute not found');
      expect(brief(cond(compute(tls, [...healthy(), route('TLSRoute', [{ parentRef: { name: 'gw' }, conditions: ok }])]), 'ComponentRouteReady'))).toEqual({
        status: 'True',
        reason: 'ComponentReady',
        message: 'TLSRoute accepted by Gateway gw',
      });
    });

    test('Gateway: every parent must have Accepted and ResolvedRefs True; the failing one is named namespace/name with its message', () => {
      const model = withExposure('Gateway');
      const check = (parents: Obj[]) => brief(cond(compute(model, [...healthy(), route('HTTPRoute', parents)]), 'ComponentRouteReady'));
      expect(check([{ parentRef: { name: 'a' }, conditions: ok }, { parentRef: { name: 'b', namespace: 'infra' }, conditions: ok }])).toEqual({ status: 'True', reason: 'ComponentReady', message: 'HTTPRoute accepted by Gateway a, b' });
      expect(check([{ parentRef: { name: 'a' }, conditions: ok }, { parentRef: { name: 'b', namespace: 'infra' }, conditions: [{ type: 'Accepted', status: 'False', message: 'NotAllowedByListeners' }, ok[1]] }])).toEqual({
        status: 'False',
        reason: 'ComponentNotReady',
        message: 'HTTPRoute not accepted by Gateway infra/b: NotAllowedByListeners',
      });
      expect(check([{ parentRef: { name: 'a' }, conditions: [ok[0], { type: 'ResolvedRefs', status: 'False', message: 'BackendNotFound' }] }])!.message).toBe('HTTPRoute not resolved by Gateway quay-enterprise/a: BackendNotFound');
      expect(check([{ parentRef: { name: 'a' }, conditions: [ok[0]] }])!.message).toBe('HTTPRoute not resolved by Gateway quay-enterprise/a');
      expect(check([{ parentRef: { name: 'a' } }])!.message).toBe('HTTPRoute not accepted by Gateway quay-enterprise/a');
    });
  });

  test('tls unmanaged: "Config bundle contains certs" with ssl.cert in the bundle, else terminated outside Quay', () => {
    const model = base();
    const unmanaged = { ...model, components: { ...model.components, tls: { ...model.components.tls, managed: false } } } as RegistryModel;
    expect(full(compute(unmanaged, healthy(model)), 'ComponentTLSReady')).toEqual(at('True', 'ComponentReady', 'TLS terminated outside Quay (EXTERNAL_TLS_TERMINATION)', 'ComponentTLSReady'));
    const withCert = { ...unmanaged, bundle: { ...model.bundle, files: new Map([...model.bundle.files, ['ssl.cert', Buffer.from('cert')]]) } } as RegistryModel;
    expect(full(compute(withCert, healthy(model)), 'ComponentTLSReady')).toEqual(at('True', 'ComponentReady', 'Config bundle contains certs', 'ComponentTLSReady'));
    // An unmanaged tls is never a failed prerequisite, and status.components says so.
    expect(cond(compute(unmanaged, healthy(model)), 'ComponentQuayReady')!.status).toBe('True');
    expect(compute(unmanaged, healthy(model)).components!.find((c) => c.kind === 'tls')).toEqual({ kind: 'tls', managed: false });
  });

  test('an unmanaged component is ready whatever is (not) in the cluster', () => {
    const model = testModel({ files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' }, spec: { components: [{ kind: 'monitoring', managed: false }] } });
    const { status } = statusFor({ model, cluster: () => [] });
    expect(full(status, 'ComponentMonitoringReady')).toEqual(at('True', 'ComponentNotManaged', 'Monitoring not managed by the operator', 'ComponentMonitoringReady'));
  });

  test('unhealthyComponents keys each Deployment by component (editor under quay, Clair’s database under clair, unknown under quay)', () => {
    const failing = { status: 'False' as const, reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
    const down = (r: KubeObject[], name: string) => deployment(r, n(name), { replicas: 1, available: 0, availableCondition: failing });
    const { status } = statusFor({
      cluster: (r) => [
        ...replacing(healthyCluster(r, VERSION), ...['quay-app', 'quay-config-editor', 'quay-database', 'quay-redis', 'clair-app', 'clair-postgres', 'quay-mirror'].map((x) => down(r, x))),
        deploymentNamed(n('something-else'), { replicas: 1, available: 0, availableCondition: failing }),
      ],
    });
    const names = Object.fromEntries(Object.entries(status.unhealthyComponents!).map(([k, v]) => [k, v.map((c) => c.message).sort()]));
    const msg = (x: string) => `Deployment ${n(x)}: Deployment does not have minimum availability.`;
    expect(names).toEqual({
      quay: [msg('quay-app'), msg('quay-config-editor'), msg('something-else')].sort(),
      postgres: [msg('quay-database')],
      redis: [msg('quay-redis')],
      clair: [msg('clair-app'), msg('clair-postgres')].sort(),
      mirror: [msg('quay-mirror')],
    });
    expect(status.unhealthyComponents!.redis).toEqual([{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: msg('quay-redis'), lastTransitionTime: '2024-01-01T00:00:00Z', lastUpdateTime: '2024-01-01T00:00:00Z' }]);
  });

  test('unhealthyComponents: a not-serving Deployment whose Available is True, or that has no Available condition, is not listed; a message-less one is "Deployment <name>:"', () => {
    const trueButDown = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-redis'), { replicas: 1, available: 0, availableCondition: { status: 'True', reason: 'X', message: 'm' } })) }).status;
    expect(trueButDown).not.toHaveProperty('unhealthyComponents');
    const noCondition = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), deployment(r, n('quay-redis'), { replicas: 1, available: 0, availableCondition: null })) }).status;
    expect(noCondition).not.toHaveProperty('unhealthyComponents');
    const bare = statusFor({
      cluster: (r) => {
        const d = deployment(r, n('quay-redis'), { replicas: 1, available: 0 }) as Obj;
        d.status.conditions = [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }];
        return replacing(healthyCluster(r, VERSION), d as KubeObject);
      },
    }).status;
    expect(bare.unhealthyComponents).toEqual({ redis: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: `Deployment ${n('quay-redis')}:` }] });
  });

  test('configEditorEndpoint: the Route’s spec.host before admission, else the Ingress rule’s, else the HTTPRoute’s hostname', () => {
    const editor = n('quay-config-editor');
    const noRoute = (r: KubeObject[]) => without(healthyCluster(r, VERSION), `Route/${editor}`);
    const specHost = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), { ...liveRoute(find(r, 'Route', editor), []), spec: { host: 'editor.spec.example.com' } } as KubeObject) }).status;
    expect(specHost.configEditorEndpoint).toBe('https://editor.spec.example.com');
    const noStatus = statusFor({ cluster: (r) => replacing(healthyCluster(r, VERSION), { ...find(r, 'Route', editor), status: undefined, spec: { host: 'editor.spec.example.com' } } as KubeObject) }).status;
    expect(noStatus.configEditorEndpoint).toBe('https://editor.spec.example.com');
    const meta = { name: editor, namespace: 'quay-enterprise' };
    const viaIngress = statusFor({ cluster: (r) => [...noRoute(r), { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta, spec: { rules: [{ host: 'editor.ingress.example.com' }] } } as KubeObject] }).status;
    expect(viaIngress.configEditorEndpoint).toBe('https://editor.ingress.example.com');
    const emptyIngress = statusFor({ cluster: (r) => [...noRoute(r), { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta, spec: {} } as KubeObject, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta, spec: { hostnames: ['editor.gw.example.com'] } } as KubeObject] }).status;
    expect(emptyIngress.configEditorEndpoint).toBe('https://editor.gw.example.com');
    const emptyRules = statusFor({ cluster: (r) => [...noRoute(r), { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta, spec: { rules: [] } } as KubeObject, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta, spec: {} } as KubeObject] }).status;
    expect(emptyRules).not.toHaveProperty('configEditorEndpoint');
  });

  test('configEditorCredentialsSecret names the editor’s credentials Secret', () => {
    expect(statusFor().status.configEditorCredentialsSecret).toBe(n('quay-config-editor-credentials'));
  });
});

describe('RolloutBlocked message for input problems', () => {
  const message = (problems: ReturnType<typeof problem>[]) => cond(computeStatus({ previous: undefined, generation: 1, now: NOW, uid: UID, problems }), 'RolloutBlocked')!.message;

  test('one problem: its message alone, or prefixed with its field when not a documented standalone one', () => {
    expect(message([problem('config.yaml', 'unable to parse config.yaml: bad indentation')])).toBe('config.yaml: unable to parse config.yaml: bad indentation');
    expect(message([problem('', 'required component `postgres` marked as unmanaged')])).toBe('required component `postgres` marked as unmanaged');
    expect(message([problem('configBundleSecret', 'secret not found')])).toBe('secret not found');
    expect(message([problem('spec.components', 'component `quay` listed twice')])).toBe('component `quay` listed twice');
    expect(message([problem('spec.components', 'something else')])).toBe('spec.components: something else');
    expect(message([problem('spec.tlsSecret', 'component `x` whatever')])).toBe('spec.tlsSecret: component `x` whatever');
    expect(message([problem('Stryker was here!', 'm')])).toBe('Stryker was here!: m');
  });

  test('several problems: joined by "; " in order, no leading separator', () => {
    expect(message([problem('a', 'one'), problem('', 'two'), problem('b', 'three')])).toBe('a: one; two; b: three');
  });

  test('thousands of problems: cut below the 32 KiB limit and counted', () => {
    const many = Array.from({ length: 2000 }, (_, i) => problem('spec.x', `problem number ${String(i).padStart(4, '0')} ${'.'.repeat(20)}`));
    const text = message(many);
    expect(text.length).toBeLessThanOrEqual(32 * 1024);
    const kept = text.split('; and ')[0].split('; ');
    expect(text).toBe(`${kept.join('; ')}; and ${2000 - kept.length} more problems`);
    expect(kept[0]).toBe(`spec.x: problem number 0000 ${'.'.repeat(20)}`);
    expect(kept[kept.length - 1]).toBe(`spec.x: problem number ${String(kept.length - 1).padStart(4, '0')} ${'.'.repeat(20)}`);
    // Each entry is 48 characters, 50 with its "; ": as many as fit in 32768 − 100 (48 + 50 × 652 = 32648).
    expect(kept.length).toBe(653);
  });

  test('exactly at the limit: kept whole; one character more: cut', () => {
    const limit = 32 * 1024 - 100;
    const exact = message([problem('', 'x'.repeat(limit))]);
    expect(exact).toBe('x'.repeat(limit));
    expect(message([problem('', 'x'.repeat(limit - 3)), problem('', 'y')])).toBe(`${'x'.repeat(limit - 3)}; y`);
    expect(message([problem('', 'x'.repeat(limit - 2)), problem('', 'y')])).toBe(`${'x'.repeat(limit - 2)}; and 1 more problem`);
  });
});

describe('mergeConditions: the transition follows the status only', () => {
  const old: Condition = { type: 'Available', status: 'True', reason: 'R', message: 'M', lastTransitionTime: EARLIER, lastUpdateTime: EARLIER };

  test('status flips with the same reason and message: both timestamps move', () => {
    expect(mergeConditions([old], [{ type: 'Available', status: 'False', reason: 'R', message: 'M' }], NOW)).toEqual([{ type: 'Available', status: 'False', reason: 'R', message: 'M', lastTransitionTime: NOW, lastUpdateTime: NOW }]);
  });

  test('unchanged but the previous had no lastUpdateTime: update stamped now, transition kept', () => {
    expect(mergeConditions([{ ...old, lastUpdateTime: undefined }], [{ type: 'Available', status: 'True', reason: 'R', message: 'M' }], NOW)).toEqual([
      { type: 'Available', status: 'True', reason: 'R', message: 'M', lastTransitionTime: EARLIER, lastUpdateTime: NOW },
    ]);
  });

  test('each condition is matched with the previous one of its type, order irrelevant', () => {
    const prev: Condition[] = [{ ...old, type: 'B', lastTransitionTime: 'tb', lastUpdateTime: 'ub' }, { ...old, type: 'A', status: 'False', lastTransitionTime: 'ta', lastUpdateTime: 'ua' }];
    expect(mergeConditions(prev, [{ type: 'A', status: 'True', reason: 'R', message: 'M' }, { type: 'B', status: 'True', reason: 'R', message: 'M' }], NOW)).toEqual([
      { type: 'A', status: 'True', reason: 'R', message: 'M', lastTransitionTime: NOW, lastUpdateTime: NOW },
      { type: 'B', status: 'True', reason: 'R', message: 'M', lastTransitionTime: 'tb', lastUpdateTime: 'ub' },
    ]);
  });

  test('a registry going down and back: Available’s transition moves each time, the others keep theirs', () => {
    const model = testModel();
    const objs = healthyCluster(render(model), VERSION);
    const down = replacing(objs, liveDeployment(find(objs, 'Deployment', n('quay-redis')), { replicas: 1, available: 0 }));
    const at = (previous: QuayRegistryStatus | undefined, observed: KubeObject[], now: string) => computeStatus({ previous, generation: 3, now, uid: UID, model, plan: planOf(), observed: observe(observed) });
    const t1 = '2026-06-01T12:00:00.000Z', t2 = '2026-06-01T12:10:00.000Z', t3 = '2026-06-01T12:20:00.000Z';
    const s1 = at(undefined, objs, t1);
    const s2 = at(s1, down, t2);
    const s3 = at(s2, objs, t3);
    expect(cond(s2, 'Available')).toEqual({ type: 'Available', status: 'False', reason: 'ComponentNotReady', message: 'Some components are not ready', lastTransitionTime: t2, lastUpdateTime: t2 });
    expect(cond(s3, 'Available')).toEqual({ type: 'Available', status: 'True', reason: 'HealthChecksPassing', message: 'All components reporting as healthy', lastTransitionTime: t3, lastUpdateTime: t3 });
    expect(cond(s3, 'ComponentTLSReady')).toEqual(cond(s1, 'ComponentTLSReady'));
    expect(cond(s3, 'ComponentRouteReady')!.lastTransitionTime).toBe(t1);
    expect([statusChanged(s1, s2), statusChanged(s2, s3), statusChanged(s1, s3)]).toEqual([true, true, false]);
  });
});
