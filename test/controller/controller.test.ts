// The controller end to end, against the in-process fake API server: the real @kubernetes/client-node
// (KubeConfig, Watch) and the operator's raw HTTP requests.
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import { createLogger } from '../../lib/controller/runtime/logger';
import { Registry } from '../../lib/controller/runtime/metrics';
import { DEFAULT_IMAGES } from '../../lib/images';
import { FakeApiServer } from '../support/fake-apiserver';
import { syncPods, admitRoutes, bindBucket, completeJob, deploymentUnavailable, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { installOperator } from '../support/operator-install';
import { leaksOf, reconcileCount } from '../support/controller-harness';
import { tlsFixture } from '../support/model';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const VERSION = 'v3.99.0-dev';

let server: FakeApiServer;
let controller: Controller;
let metrics: Registry;
let logs: string[] = [];

const get = (apiVersion: string, kind: string, name: string, ns = NS) => server.get(apiVersion, kind, ns, name) as Obj | undefined;
const deployment = (suffix: string) => get('apps/v1', 'Deployment', `${NAME}-${suffix}`);
const registry = () => get('quay.redhat.com/v1', 'QuayRegistry', NAME) as Obj;
const cond = (type: string) => (registry().status?.conditions ?? []).find((c: Obj) => c.type === type);
const names = (kind: string, apiVersion: string) => (server.list(apiVersion, kind, NS) as Obj[]).map((o) => o.metadata.name).sort();

function bundle(config: string): Obj {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'config-bundle-secret', namespace: NS }, stringData: undefined, data: { 'config.yaml': Buffer.from(config).toString('base64') } };
}

const CONFIG = 'SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com\nFEATURE_USER_INITIALIZE: true\n';

function createRegistry(spec: Obj = { configBundleSecret: 'config-bundle-secret' }): void {
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec });
}

function updateSpec(spec: Obj): void {
  const r = registry();
  server.update({ ...r, spec });
}

/** The databases' pods come up (as they are created) and the provisioner binds the bucket, until the migration Job appears. */
async function databasesUpAndBucketBound(): Promise<void> {
  await eventually(() => {
    settleDeployments(server, NS);
    bindBucket(server, NS, NAME);
    expect(get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)).toBeDefined();
  });
}

/** Drives a registry to healthy: databases up, bucket bound, migration done, pods and routes ready. */
async function deployToHealthy(): Promise<void> {
  await databasesUpAndBucketBound();
  completeJob(server, NS, `${NAME}-quay-app-upgrade`);
  await eventually(() => expect(registry().status?.currentVersion).toBe(VERSION));
  await eventually(() => {
    settleDeployments(server, NS);
    admitRoutes(server, NS);
    expect(cond('Available')).toMatchObject({ status: 'True', reason: 'HealthChecksPassing' });
  });
  await controller.whenIdle();
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  server.create(bundle(CONFIG));
  controller = new Controller({
    // As the ServiceAccount `quay-operator manifests` creates, with its token: exactly the RBAC users grant.
    client: new KubeClient(installOperator(server)),
    environment: { images: DEFAULT_IMAGES, quayVersion: VERSION },
    // Debug level, for the leak scan after each test.
    logger: createLogger({ level: 'debug', stream: { write: (line: string) => logs.push(line) } }),
    metrics: (metrics = new Registry()),
    discoveryIntervalMs: 3_600_000,
  });
  await controller.start();
});

/**
 * Writes of the operator the API server refused: there must be none. Injected failures aside, and
 * optimistic-lock conflicts (a write made from a cache a dropped watch left behind is retried).
 */
function refusedWrites(): string[] {
  const conflict = (m = '') => m.includes('the object has been modified; please apply your changes to the latest version');
  return server
    .writes()
    .filter((w) => w.user === 'system:serviceaccount:quay-operator:quay-operator' && (w.code ?? 0) >= 400 && !w.message?.startsWith('injected failure') && !(w.code === 409 && conflict(w.message)))
    .map((w) => `${w.method} ${w.path}: ${w.code} ${w.message}`);
}

afterEach(async () => {
  await controller.stop();
  // Every write the operator made was valid for the API server (which validates as a real one).
  const refused = [...refusedWrites(), ...leaksOf(server, { logs, metrics })];
  logs = [];
  await server.stop();
  expect(refused).toEqual([]);
});

describe('first deploy, in order, without crash loops', () => {
  test('databases, redis and the bucket claim first; Quay waits for them', async () => {
    createRegistry();
    await eventually(() => expect(deployment('quay-database')).toBeDefined());
    await controller.whenIdle();
    expect(names('Deployment', 'apps/v1')).toEqual([`${NAME}-clair-postgres`, `${NAME}-quay-database`, `${NAME}-quay-redis`]);
    expect(get('objectbucket.io/v1alpha1', 'ObjectBucketClaim', `${NAME}-quay-datastore`)).toBeDefined();
    expect(get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)).toBeUndefined();
    expect(cond('ComponentsCreated')).toMatchObject({ status: 'False', reason: 'AwaitingDependencies' });
    expect(cond('RolloutBlocked')).toMatchObject({ status: 'False', reason: 'ComponentsCreationSuccess' });
    // Every object is owned by the registry, so deleting it garbage-collects them (seeds).
    const uid = registry().metadata.uid;
    for (const d of server.list('apps/v1', 'Deployment', NS) as Obj[]) expect(d.metadata.ownerReferences).toEqual([expect.objectContaining({ uid, controller: true })]);
  });

  test('databases available and bucket bound: the migration Job runs while quay-app and mirror are held at 0', async () => {
    createRegistry();
    await databasesUpAndBucketBound();
    await eventually(() => expect(deployment('quay-app')?.spec.replicas).toBe(0));
    expect(deployment('quay-mirror')?.spec.replicas).toBe(0);
    expect(get('autoscaling/v2', 'HorizontalPodAutoscaler', `${NAME}-quay-app`)).toBeUndefined();
    await eventually(() => expect(cond('Available')).toMatchObject({ status: 'False', reason: 'MigrationsInProgress', message: 'running database migrations' }));
  });

  test('the Job completes: currentVersion is set, Quay scales up under its HPA, and the registry becomes Available', async () => {
    createRegistry();
    await deployToHealthy();
    // The operator no longer applies replicas (the API server defaults the field; the HPA scales it).
    const applied = server.managedFields('apps/v1', 'Deployment', NS, `${NAME}-quay-app`).find((e: Obj) => e.manager === 'quay-operator' && e.operation === 'Apply');
    expect(applied!.fieldsV1['f:spec']).not.toHaveProperty('f:replicas');
    expect(get('autoscaling/v2', 'HorizontalPodAutoscaler', `${NAME}-quay-app`)).toBeDefined();
    expect(registry().status).toMatchObject({
      currentVersion: VERSION,
      registryEndpoint: 'https://example-registry-quay-quay-enterprise.apps.example.com',
      configEditorEndpoint: expect.stringMatching(/^https:\/\//),
      configEditorCredentialsSecret: `${NAME}-quay-config-editor-credentials`,
      observedGeneration: 1,
    });
    expect(cond('ComponentsCreated')).toMatchObject({ status: 'True', reason: 'ComponentsCreationSuccess' });
    expect(registry().status.components).toHaveLength(11);
    // Events tell the admin what happened.
    const reasons = (server.list('v1', 'Event', NS) as Obj[]).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['ComponentsCreationSuccess', 'MigrationsInProgress', 'HealthChecksPassing']));
  });

  test('a succeeded migration is not run again for the same version', async () => {
    createRegistry();
    await deployToHealthy();
    server.delete('batch/v1', 'Job', NS, `${NAME}-quay-app-upgrade`);
    updateSpec({ ...registry().spec, components: [{ kind: 'quay', managed: true, overrides: { env: [{ name: 'DEBUGLOG', value: 'true' }] } }] });
    await eventually(() => expect(deployment('quay-app')?.spec.template.spec.containers[0].env).toContainEqual({ name: 'DEBUGLOG', value: 'true' }));
    await controller.whenIdle();
    expect(get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)).toBeUndefined();
  });
});

describe('day 2', () => {
  test('a second reconcile with nothing changed makes zero writes', async () => {
    createRegistry();
    await deployToHealthy();
    server.clearRequests();
    // A resync re-delivers the registry as if it changed; nothing differs, so nothing is written.
    const before = reconcileCount(metrics);
    server.update({ ...registry(), metadata: { ...registry().metadata, labels: { touched: 'yes' } } });
    await eventually(() => expect(reconcileCount(metrics)).toBeGreaterThan(before));
    await controller.whenIdle();
    // Not even the registry: no finalizer, status or event written again (the test's own update is direct, unrecorded).
    expect(server.writes().map((w) => `${w.method} ${w.path}`)).toEqual([]);
    // Nor read: the bundle and the keys come from the caches.
    expect(server.requests.filter((r) => r.method === 'GET' && !r.query.includes('watch=true')).map((r) => r.path)).toEqual([]);
  });

  test('a config.yaml change rolls Quay and mirror only; the old config ConfigMap goes once no pod mounts it', async () => {
    createRegistry();
    await deployToHealthy();
    syncPods(server, NS);
    const before = Object.fromEntries(['quay-database', 'clair-postgres', 'quay-redis', 'clair-app', 'quay-app', 'quay-mirror'].map((d) => [d, deployment(d)!.metadata.resourceVersion]));
    const oldSecret = names('ConfigMap', 'v1').find((n) => /-quay-config-[0-9a-f]{10}$/.test(n))!;
    const b = server.get('v1', 'Secret', NS, 'config-bundle-secret') as Obj;
    // The user sets their own SECRET_KEY: the operator's part of config.yaml changes too (a new ConfigMap).
    server.update({ ...b, data: { 'config.yaml': Buffer.from(`${CONFIG}TAG_EXPIRATION_OPTIONS: [2w, 4w]\nSECRET_KEY: their-own\n`).toString('base64') } });
    await eventually(() => expect(deployment('quay-app')!.metadata.resourceVersion).not.toBe(before['quay-app']));
    await eventually(() => expect(deployment('quay-mirror')!.metadata.resourceVersion).not.toBe(before['quay-mirror']));
    await controller.whenIdle();
    for (const d of ['quay-database', 'clair-postgres', 'quay-redis', 'clair-app']) expect([d, deployment(d)!.metadata.resourceVersion]).toEqual([d, before[d]]);
    // The rollout is in progress: the old pods still run and mount the old ConfigMap, so it stays.
    expect(names('ConfigMap', 'v1')).toContain(oldSecret);
    // New pods replace the old ones; the Deployments' status change brings a reconcile that lists them.
    syncPods(server, NS);
    settleDeployments(server, NS);
    await eventually(() => expect(names('ConfigMap', 'v1')).not.toContain(oldSecret));
  });

  test('spec.tlsSecret: a cert-manager renewal of the Secret rolls Quay (the watch maps it to the registry); nothing of it is rendered', async () => {
    const tlsSecret = (cert: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'registry-tls', namespace: NS },
      data: { 'tls.crt': Buffer.from(cert).toString('base64'), 'tls.key': Buffer.from(tlsFixture('leaf.key')).toString('base64') },
    });
    server.create(tlsSecret(tlsFixture('leaf.crt')));
    createRegistry({ configBundleSecret: 'config-bundle-secret', tlsSecret: 'registry-tls' });
    await deployToHealthy();
    expect(get('route.openshift.io/v1', 'Route', `${NAME}-quay`)!.spec.tls.termination).toBe('passthrough');
    const hash = () => deployment('quay-app')!.spec.template.metadata.annotations['quay-operator/config-hash'];
    const before = hash();
    // cert-manager renews: same key, new certificate (here the chain).
    server.update({ ...(server.get('v1', 'Secret', NS, 'registry-tls') as Obj), data: tlsSecret(tlsFixture('leaf-chain.crt')).data });
    await eventually(() => expect(hash()).not.toBe(before));
    expect(JSON.stringify(deployment('quay-app'))).not.toContain(Buffer.from(tlsFixture('leaf.key')).toString('base64'));
  });

  test('mirror unmanaged: its Deployment and HPA are pruned; managed again: they come back', async () => {
    createRegistry();
    await deployToHealthy();
    updateSpec({ configBundleSecret: 'config-bundle-secret', components: [{ kind: 'mirror', managed: false }] });
    await eventually(() => expect(deployment('quay-mirror')).toBeUndefined());
    await eventually(() => expect(get('autoscaling/v2', 'HorizontalPodAutoscaler', `${NAME}-quay-mirror`)).toBeUndefined());
    await eventually(() => expect(cond('ComponentMirrorReady')).toMatchObject({ status: 'True', reason: 'ComponentNotManaged' }));
    updateSpec({ configBundleSecret: 'config-bundle-secret', components: [{ kind: 'mirror', managed: true }] });
    await eventually(() => expect(deployment('quay-mirror')).toBeDefined());
  });

  test('quay scaled to 0: replicas 0 and no HPA for it', async () => {
    createRegistry();
    await deployToHealthy();
    updateSpec({ configBundleSecret: 'config-bundle-secret', components: [{ kind: 'quay', managed: true, overrides: { replicas: 0 } }] });
    await eventually(() => expect(deployment('quay-app')?.spec.replicas).toBe(0));
    await eventually(() => expect(get('autoscaling/v2', 'HorizontalPodAutoscaler', `${NAME}-quay-app`)).toBeUndefined());
  });

  test('postgres unmanaged: its PVC is kept and reported, never deleted', async () => {
    createRegistry();
    await deployToHealthy();
    const b = server.get('v1', 'Secret', NS, 'config-bundle-secret') as Obj;
    server.update({ ...b, data: { 'config.yaml': Buffer.from(`${CONFIG}DB_URI: postgresql://u:p@db.example.com/quay\n`).toString('base64') } });
    updateSpec({ configBundleSecret: 'config-bundle-secret', components: [{ kind: 'postgres', managed: false }] });
    await eventually(() => expect(deployment('quay-database')).toBeUndefined());
    expect(get('v1', 'PersistentVolumeClaim', `${NAME}-quay-postgres-13`)).toBeDefined();
    await eventually(() => expect((server.list('v1', 'Event', NS) as Obj[]).map((e) => e.reason)).toContain('PersistentVolumeClaimKept'));
  });

  test('a component that fails and heals: listed in unhealthyComponents, then the field is gone and Available again (no status write refused)', async () => {
    createRegistry();
    await deployToHealthy();
    deploymentUnavailable(server, NS, `${NAME}-quay-app`);
    await eventually(() => expect(registry().status.unhealthyComponents?.quay).toEqual([expect.objectContaining({ type: 'Available', status: 'False', message: `Deployment ${NAME}-quay-app: Deployment does not have minimum availability.` })]));
    expect(cond('Available')).toMatchObject({ status: 'False' });
    settleDeployments(server, NS);
    await eventually(() => expect(cond('Available')).toMatchObject({ status: 'True', reason: 'HealthChecksPassing' }));
    expect(registry().status).not.toHaveProperty('unhealthyComponents');
    // The status writes were server-side applies of the operator's own manager, accepted every time.
    expect(server.writes().filter((w) => w.path.endsWith(`/quayregistries/${NAME}/status`)).every((w) => w.code === 200)).toBe(true);
  });

  test('an invalid bundle blocks the rollout with ConfigInvalid and deletes nothing', async () => {
    createRegistry();
    await deployToHealthy();
    server.clearRequests();
    const b = server.get('v1', 'Secret', NS, 'config-bundle-secret') as Obj;
    server.update({ ...b, data: { 'config.yaml': Buffer.from('SERVER_HOSTNAME: [unclosed\n').toString('base64') } });
    await eventually(() => expect(cond('RolloutBlocked')).toMatchObject({ status: 'True', reason: 'ConfigInvalid' }));
    expect(cond('RolloutBlocked').message).toMatch(/config\.yaml|invalid YAML at line 1/);
    expect(server.writes().filter((w) => w.method === 'DELETE')).toEqual([]);
    expect(deployment('quay-app')).toBeDefined();
    // The Event follows the status write: waited for, not raced (this was the suite's one flaky check).
    await eventually(() => expect((server.list('v1', 'Event', NS) as Obj[]).some((e) => e.type === 'Warning' && e.reason === 'ConfigInvalid')).toBe(true));
  });

  test('a missing bundle Secret is reported, not crashed on; an unknown component kind never reaches the operator (the CRD refuses it)', async () => {
    createRegistry({ configBundleSecret: 'no-such-secret' });
    await eventually(() => expect(cond('RolloutBlocked')).toMatchObject({ status: 'True', reason: 'ConfigInvalid', message: expect.stringContaining('no-such-secret') }));
    expect(() => updateSpec({ components: [{ kind: 'mirroring', managed: false }] })).toThrow(/spec\.components\[0\]\.kind: Unsupported value: "mirroring"/);
    expect(server.list('apps/v1', 'Deployment', NS)).toEqual([]);
  });

  test('the spec is never written', async () => {
    createRegistry();
    await deployToHealthy();
    updateSpec({ configBundleSecret: 'config-bundle-secret', components: [{ kind: 'mirror', managed: false }] });
    await eventually(() => expect(deployment('quay-mirror')).toBeUndefined());
    expect(registry().spec).toEqual({ configBundleSecret: 'config-bundle-secret', components: [{ kind: 'mirror', managed: false }] });
    const registryWrites = server.writes().filter((w) => w.path.includes('/quayregistries/') && !w.path.endsWith('/status'));
    // Only the finalizer (metadata) for the dashboard outside the namespace, never the spec.
    for (const w of registryWrites) expect(w.contentType).toBe('application/merge-patch+json');
  });
});

describe('surviving the API', () => {
  test('a dropped watch and an expired one: events are not lost', async () => {
    createRegistry();
    await eventually(() => expect(deployment('quay-database')).toBeDefined());
    server.dropWatches();
    await databasesUpAndBucketBound();
    server.expireWatches();
    completeJob(server, NS, `${NAME}-quay-app-upgrade`);
    await eventually(() => expect(registry().status?.currentVersion).toBe(VERSION));
  });

  test('a 500 from the API is retried with backoff', async () => {
    server.failNext({ method: 'PATCH', pathIncludes: '/deployments/' }, 500, 1);
    createRegistry();
    await eventually(() => expect(deployment('quay-database')).toBeDefined(), 15_000);
    await eventually(() => expect(cond('RolloutBlocked')).toMatchObject({ status: 'False' }), 15_000);
  });

  test('the keys Secret answered 409 but then not found: the keys used are the keys stored, one set', async () => {
    // A create that raced (409) and a re-read that misses it (deleted in between): the keys the
    // reconcile goes on with are applied with the rest (constructs/credentials.ts renders the keys
    // Secret), so the database's password is never derived from keys that were not stored.
    const keys = `${NAME}-quay-registry-managed-secret-keys`;
    const conflict = server.failNext({ method: 'POST', pathIncludes: '/secrets' }, 409, 1);
    const missing = server.failNext({ method: 'GET', pathIncludes: `/secrets/${keys}` }, 404, 1);
    const passwords = new Set<string>();
    const stop = server.onChange(({ obj }) => {
      if (obj.kind === 'Secret' && obj.metadata.name === `${NAME}-postgres-config-secret`) passwords.add(JSON.stringify(obj.data ?? obj.stringData));
    });
    createRegistry();
    await eventually(() => expect(deployment('quay-database')).toBeDefined(), 15_000);
    await controller.whenIdle();
    stop();
    expect(get('v1', 'Secret', keys)).toBeDefined();
    expect([conflict.fired, missing.fired]).toEqual([1, 1]);
    expect(passwords.size).toBe(1);
  });
});
