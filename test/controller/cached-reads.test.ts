// Reads come from caches (issue 15: measured on a real API server, this operator made 88 reads until
// the registry was Available, the Go operator 28). Counted here as the operator's ServiceAccount
// made them: reads are GETs (gets, lists, discovery), watches are counted apart.
// - From start to Available, at or below the Go operator's 28: on plain Kubernetes (the issue's
//   measurement) reads and watches together; on OpenShift with every component managed, reads.
// - A reconcile of an unchanged registry makes no request at all, also after a restart.
// - Secrets and ConfigMaps are cached with data only where a registry reads it.
import { Controller } from '../../lib/controller/controller';
import { dataWanted, inputTransform } from '../../lib/controller/inputs';
import type { ReadCache } from '../../lib/controller/reconciler';
import { Registry } from '../../lib/controller/runtime/metrics';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import type { KubeObject } from '../../lib/synth';
import { eventually, openshiftCluster, simulateCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { OPERATOR_USER, createBundleSecret, reconcileCount, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
/** The Go operator's reads until Available, in the measurement. */
const GO_OPERATOR_READS = 28;
/** A kube-apiserver 1.26 without add-ons, as in the measurement. */
const KUBERNETES_APIS = ['v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'rbac.authorization.k8s.io/v1', 'networking.k8s.io/v1', 'coordination.k8s.io/v1', 'apiextensions.k8s.io/v1', 'quay.redhat.com/v1'];
const PLAIN_BUNDLE = [
  'SERVER_HOSTNAME: quay.example.com',
  'EXTERNAL_TLS_TERMINATION: true',
  'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, s3_access_key: a, s3_secret_key: b, storage_path: /r}]}',
  'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
].join('\n');

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller | undefined;
let metrics: Registry;
let stopCluster: (() => void) | undefined;

beforeEach(async () => {
  server = await FakeApiServer.start();
  metrics = new Registry();
});

afterEach(async () => {
  stopCluster?.();
  stopCluster = undefined;
  expect(await shutDown(server, controller, [409, 404])).toEqual([]);
  controller = undefined;
});

const isWatch = (r: { query: string }) => /(^|&)watch=(true|1)/.test(r.query);
const operatorGets = () => server.requests.filter((r) => r.user === OPERATOR_USER && r.method === 'GET');
const reads = () => operatorGets().filter((r) => !isWatch(r)).map((r) => r.path);
const watches = () => operatorGets().filter(isWatch).map((r) => r.path);
const available = () => ((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj | undefined)?.status?.conditions ?? []).some((c: Obj) => c.type === 'Available' && c.status === 'True');

async function start(): Promise<void> {
  controller = await startController(installOperator(server), { quayVersion: DEFAULT_QUAY_VERSION, metrics });
}

/** Creates the registry and waits for Available, the cluster playing along. */
async function rollOut(spec: Obj): Promise<void> {
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec });
  stopCluster = simulateCluster(server, 10);
  await eventually(() => expect(available()).toBe(true), 20_000);
  await controller!.whenIdle();
}

/** One more reconcile of the (unchanged) registry; the requests it made. */
async function reconcileAgain(): Promise<string[]> {
  server.clearRequests();
  const before = reconcileCount(metrics);
  controller!.queue.add(`${NS}/${NAME}`);
  await eventually(() => expect(reconcileCount(metrics)).toBeGreaterThan(before));
  await controller!.whenIdle();
  return server.requests.filter((r) => r.user === OPERATOR_USER).map((r) => `${r.method} ${r.path}`);
}

test(`plain Kubernetes, as the issue measured: reads and watches from start to Available <= ${GO_OPERATOR_READS}`, async () => {
  server.setDiscovery(KUBERNETES_APIS);
  server.createNamespace(NS);
  createBundleSecret(server, PLAIN_BUNDLE);
  server.clearRequests();
  await start();
  await rollOut({ configBundleSecret: 'config-bundle-secret' });
  const all = [...reads(), ...watches()];
  expect(all.length).toBeLessThanOrEqual(GO_OPERATOR_READS);
  // The bundle, created before its registry, was cached without data: read from the API once.
  expect(reads().filter((p) => p.endsWith('/secrets/config-bundle-secret'))).toHaveLength(1);
  // One list and one watch per informer: no re-list, no re-watch.
  expect(watches().length).toBe(new Set(watches()).size);
});

test(`OpenShift, every component managed (the benchmark's registry): reads from start to Available <= ${GO_OPERATOR_READS}; an unchanged registry reads nothing`, async () => {
  openshiftCluster(server);
  server.createNamespace(NS);
  server.clearRequests();
  await start();
  await rollOut({});
  // Discovery (/apis, two group documents, the apps domain), one list per informer, the namespace's monitoring label.
  expect(reads().length).toBeLessThanOrEqual(GO_OPERATOR_READS);
  expect(reads().filter((p) => p.includes('/secrets/') || p.includes('/configmaps/'))).toEqual([]);
  expect(watches().length).toBe(new Set(watches()).size);
  expect(await reconcileAgain()).toEqual([]);
});

test('a restarted operator reconciles an unchanged registry without reading it: inputs come from the first lists', async () => {
  openshiftCluster(server);
  server.createNamespace(NS);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  await start();
  await rollOut({ configBundleSecret: 'config-bundle-secret' });
  await controller!.stop();
  server.clearRequests();
  metrics = new Registry();
  await start();
  await eventually(() => expect(reconcileCount(metrics)).toBeGreaterThan(0));
  await controller!.whenIdle();
  // Only discovery and the informers' lists: no Secret or ConfigMap read by name.
  expect(reads().filter((p) => /\/(secrets|configmaps)\/[^/]+$/.test(p))).toEqual([]);
  expect(server.writes().filter((w) => w.user === OPERATOR_USER).map((w) => `${w.method} ${w.path}`)).toEqual([]);
  expect(await reconcileAgain()).toEqual([]);
});

test('a changed bundle reaches the registry through the watch, with no read', async () => {
  openshiftCluster(server);
  server.createNamespace(NS);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  await start();
  await rollOut({ configBundleSecret: 'config-bundle-secret' });
  server.clearRequests();
  const bundle = server.get('v1', 'Secret', NS, 'config-bundle-secret') as Obj;
  server.update({ ...bundle, data: { 'config.yaml': Buffer.from('FEATURE_USER_INITIALIZE: true\nFEATURE_MAILING: false\n').toString('base64') } }, 'kubectl-edit');
  // Quay's config is assembled in the pod from the bundle: its hash on quay-app's template changed.
  await eventually(() => expect(server.writes().some((w) => w.user === OPERATOR_USER && w.path.endsWith(`/deployments/${NAME}-quay-app`))).toBe(true));
  await controller!.whenIdle();
  // Pods may be listed (old config objects wait until no pod mounts them), the bundle is not read.
  expect(reads().filter((p) => p.includes('/secrets/'))).toEqual([]);
});

describe('Secret and ConfigMap data is cached only where a registry reads it', () => {
  const registry = (name: string, spec: Obj = {}): KubeObject => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name, namespace: NS }, spec });
  const cache = (...registries: KubeObject[]): ReadCache => ({ get: (ns, n) => registries.find((r) => r.metadata.namespace === ns && r.metadata.name === n), list: (ns) => registries.filter((r) => ns === undefined || r.metadata.namespace === ns) });
  const secret = (name: string, namespace = NS): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, managedFields: [{ manager: 'kubectl' }] } as KubeObject['metadata'], data: { k: 'dg==' } } as KubeObject);
  const configMap = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { k: 'v' } } as KubeObject);
  const registries = cache(registry('a', { configBundleSecret: 'bundle', tlsSecret: 'cert' }), registry('b'));

  test.each([
    ['the config bundle', secret('bundle'), true],
    ['the certificate (spec.tlsSecret)', secret('cert'), true],
    ['the generated keys', secret('b-quay-registry-managed-secret-keys'), true],
    ['the keys under their pre-3.6.4 hashed name', secret('a-quay-registry-managed-secret-keys-8c9d7f'), true],
    ["the bucket provisioner's Secret", secret('a-quay-datastore'), true],
    ["the bucket provisioner's ConfigMap", configMap('b-quay-datastore'), true],
    ['an unrelated Secret', secret('someone-elses-password'), false],
    ['a same-named Secret in another namespace', secret('bundle', 'elsewhere'), false],
    ['a Secret the operator renders (its content is known: it is compared by hash)', secret('a-quay-config-secret-abc123'), false],
    ['a ConfigMap named like a bundle (only Secrets hold bundles)', configMap('bundle'), false],
  ])('%s', (_what, obj, wanted) => {
    expect(dataWanted(registries, obj)).toBe(wanted);
    const cached = inputTransform(registries)(obj) as Obj;
    expect('data' in cached).toBe(wanted);
    expect(cached.metadata.managedFields).toBeUndefined();
  });
});
