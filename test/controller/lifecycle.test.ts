// Deleting a registry, and what the controller learns about the cluster (plain Kubernetes, one
// namespace, APIs appearing later).
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import { createLogger } from '../../lib/controller/runtime/logger';
import { leaksOf } from '../support/controller-harness';
import { Registry } from '../../lib/controller/runtime/metrics';
import { DEFAULT_IMAGES } from '../../lib/images';
import { FakeApiServer } from '../support/fake-apiserver';
import { eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { installOperator } from '../support/operator-install';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const KUBERNETES_APIS = ['v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'rbac.authorization.k8s.io/v1', 'coordination.k8s.io/v1', 'apiextensions.k8s.io/v1', 'quay.redhat.com/v1'];

let server: FakeApiServer;
let controller: Controller | undefined;
/** What the controller said (debug level), for the leak scan after each test. */
let said: { logs: string[]; metrics: Registry } = { logs: [], metrics: new Registry() };

async function startController(options: { namespace?: string; discoveryIntervalMs?: number } = {}): Promise<Controller> {
  controller = new Controller({
    // As the ServiceAccount `quay-operator manifests` creates (namespace mode: a Role in the watched namespace).
    client: new KubeClient(installOperator(server, options.namespace ? { watchNamespace: options.namespace } : {})),
    environment: { images: DEFAULT_IMAGES, quayVersion: 'v3.99.0-dev' },
    logger: createLogger({ level: 'debug', stream: { write: (line: string) => said.logs.push(line) } }),
    metrics: said.metrics,
    discoveryIntervalMs: options.discoveryIntervalMs ?? 3_600_000,
    ...(options.namespace ? { namespace: options.namespace } : {}),
  });
  await controller.start();
  return controller;
}

const registry = () => server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj | undefined;
const cond = (type: string) => (registry()?.status?.conditions ?? []).find((c: Obj) => c.type === type);
const componentsOf = () => Object.fromEntries(((registry()?.status?.components ?? []) as Obj[]).map((c) => [c.kind, c.managed]));

function createBundle(config: string): void {
  server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'config-bundle-secret', namespace: NS }, data: { 'config.yaml': Buffer.from(config).toString('base64') } });
}

function createRegistry(spec: Obj = { configBundleSecret: 'config-bundle-secret' }): void {
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec });
}

beforeEach(async () => {
  server = await FakeApiServer.start();
});

afterEach(async () => {
  await controller?.stop();
  controller = undefined;
  const leaks = leaksOf(server, said);
  said = { logs: [], metrics: new Registry() };
  await server.stop();
  expect(leaks).toEqual([]);
});

test('deleting the registry removes everything it owns, and the dashboard outside its namespace', async () => {
  openshiftCluster(server);
  createBundle('SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com\n');
  await startController();
  createRegistry();
  await eventually(() => expect(server.get('v1', 'ConfigMap', 'openshift-config-managed', `${NAME}-grafana-dashboard-quay`)).toBeDefined());
  await eventually(() => expect(registry()?.metadata.finalizers).toEqual(['quay-operator/finalizer']));
  server.delete('quay.redhat.com/v1', 'QuayRegistry', NS, NAME);
  await eventually(() => expect(registry()).toBeUndefined());
  expect(server.get('v1', 'ConfigMap', 'openshift-config-managed', `${NAME}-grafana-dashboard-quay`)).toBeUndefined();
  expect(server.list('apps/v1', 'Deployment', NS)).toEqual([]);
  expect(server.list('v1', 'Service', NS)).toEqual([]);
  // The user's bundle is not the operator's: it stays.
  expect(server.get('v1', 'Secret', NS, 'config-bundle-secret')).toBeDefined();
});

test('on plain Kubernetes, route, tls, objectstorage and monitoring default to unmanaged', async () => {
  server.setDiscovery(KUBERNETES_APIS);
  createBundle(
    [
      'SERVER_HOSTNAME: quay.example.com',
      'EXTERNAL_TLS_TERMINATION: true',
      'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, s3_access_key: a, s3_secret_key: b, storage_path: /r}]}',
      'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
    ].join('\n'),
  );
  await startController();
  createRegistry();
  await eventually(() => expect(componentsOf()).toMatchObject({ route: false, tls: false, objectstorage: false, monitoring: false, quay: true, postgres: true }));
  await eventually(() => expect(server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-database`)).toBeDefined());
  // Nothing of the missing APIs was attempted.
  expect(server.requests.some((r) => r.path.includes('route.openshift.io') && r.method !== 'GET')).toBe(false);
  // The spec still says nothing: defaults live in status only.
  expect(registry()?.spec).toEqual({ configBundleSecret: 'config-bundle-secret' });
});

test('on plain Kubernetes, a registry asking for a managed Route is blocked with a clear message', async () => {
  server.setDiscovery(KUBERNETES_APIS);
  createBundle('SERVER_HOSTNAME: quay.example.com\nEXTERNAL_TLS_TERMINATION: true\n');
  await startController();
  createRegistry({ configBundleSecret: 'config-bundle-secret', components: [{ kind: 'route', managed: true }] });
  await eventually(() => expect(cond('RolloutBlocked')).toMatchObject({ status: 'True', reason: 'ComponentUnsupported', message: expect.stringContaining('Route API not available') }));
  expect(server.list('apps/v1', 'Deployment', NS)).toEqual([]);
});

test('watching one namespace: monitoring defaults to unmanaged (it needs all namespaces), other namespaces are left alone', async () => {
  openshiftCluster(server);
  createBundle('SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com\n');
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'elsewhere', namespace: 'other' }, spec: {} });
  await startController({ namespace: NS });
  createRegistry();
  await eventually(() => expect(componentsOf()).toMatchObject({ monitoring: false, route: true }));
  await controller!.whenIdle();
  expect(server.list('apps/v1', 'Deployment', 'other')).toEqual([]);
  expect((server.get('quay.redhat.com/v1', 'QuayRegistry', 'other', 'elsewhere') as Obj).status).toBeUndefined();
});

test('an API that appears later is discovered, and registries are reconciled with it', async () => {
  server.setDiscovery(KUBERNETES_APIS);
  createBundle('SERVER_HOSTNAME: quay.example.com\nEXTERNAL_TLS_TERMINATION: true\nDISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {}]}\n');
  await startController({ discoveryIntervalMs: 100 });
  createRegistry();
  await eventually(() => expect(componentsOf()).toMatchObject({ monitoring: false }));
  settleDeployments(server, NS);
  server.setDiscovery([...KUBERNETES_APIS, 'monitoring.coreos.com/v1']);
  await eventually(() => expect(componentsOf()).toMatchObject({ monitoring: true }));
  await eventually(() => expect(server.get('monitoring.coreos.com/v1', 'ServiceMonitor', NS, `${NAME}-quay-metrics-monitor`)).toBeDefined());
});
