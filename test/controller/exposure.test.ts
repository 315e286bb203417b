// A registry on plain Kubernetes (no Route, OpenShift config, bucket or Prometheus APIs) exposed by
// spec.exposure, end to end against the fake API server as the operator's own ServiceAccount: an
// Ingress reaches Available; switching to the Gateway API replaces it with an HTTPRoute (the Ingress
// pruned); a Gateway that refuses the route keeps the registry unavailable, saying why.
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { eventually, simulateCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const DOMAIN = 'apps.k8s.example.com';
const HOST = `${NAME}-quay-${NS}.${DOMAIN}`;
const STORAGE = [
  'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, s3_access_key: a, s3_secret_key: b, storage_path: /registry}]}',
  'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
  'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: []',
].join('\n');
/** What OpenShift serves and a plain Kubernetes cluster does not. */
const OPENSHIFT_ONLY = ['route.openshift.io/v1', 'config.openshift.io/v1', 'objectbucket.io/v1alpha1', 'monitoring.coreos.com/v1'];

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller | undefined;
let stopSim: () => void;

const registry = () => server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj;
const cond = (type: string) => (registry()?.status?.conditions ?? []).find((c: Obj) => c.type === type);
const names = (apiVersion: string, kind: string) => (server.list(apiVersion, kind, NS) as Obj[]).map((o) => o.metadata.name).sort();

async function deploy(exposure: Obj): Promise<void> {
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', exposure } });
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  server.setDiscovery([...new Set(server.servedTypes().map((t) => t.apiVersion))].filter((v) => !OPENSHIFT_ONLY.includes(v)));
  const kubeConfig = installOperator(server);
  server.createNamespace(NS);
  createBundleSecret(server, STORAGE);
  stopSim = simulateCluster(server);
  controller = await startController(kubeConfig, { quayVersion: DEFAULT_QUAY_VERSION, appsDomain: DOMAIN });
});

afterEach(async () => {
  stopSim();
  expect(await shutDown(server, controller, [409, 404])).toEqual([]);
});

test('an Ingress: Available, the host from the apps domain, route and tls managed, nothing of OpenShift applied', async () => {
  await deploy({ type: 'Ingress', ingressClassName: 'nginx' });
  await eventually(() => expect(cond('Available')).toMatchObject({ status: 'True' }));
  expect(names('networking.k8s.io/v1', 'Ingress')).toEqual([`${NAME}-quay`, `${NAME}-quay-config-editor`]);
  const ingress = server.get('networking.k8s.io/v1', 'Ingress', NS, `${NAME}-quay`) as Obj;
  expect(ingress.spec).toMatchObject({ ingressClassName: 'nginx', tls: [{ hosts: [HOST] }], rules: [{ host: HOST }] });
  expect(cond('ComponentRouteReady')).toMatchObject({ status: 'True', message: 'Ingress created' });
  const status = registry().status;
  expect(status.registryEndpoint).toBe(`https://${HOST}`);
  expect(status.configEditorEndpoint).toBe(`https://${NAME}-quay-config-editor-${NS}.${DOMAIN}`);
  expect(status.components.filter((c: Obj) => ['route', 'tls', 'objectstorage', 'monitoring'].includes(c.kind))).toEqual([
    { kind: 'objectstorage', managed: false },
    { kind: 'route', managed: true },
    { kind: 'monitoring', managed: false },
    { kind: 'tls', managed: true },
  ]);
  expect(server.writes().filter((w) => w.path.includes('route.openshift.io') || w.path.includes('objectbucket.io'))).toEqual([]);
});

test('switching to the Gateway API: an HTTPRoute accepted by the Gateway replaces the Ingress, which is pruned', async () => {
  await deploy({ type: 'Ingress' });
  await eventually(() => expect(cond('Available')).toMatchObject({ status: 'True' }));
  const live = registry();
  server.update({ ...live, spec: { ...live.spec, exposure: { gateway: { name: 'public', namespace: 'gateways' } } } });
  await eventually(() => {
    expect(names('gateway.networking.k8s.io/v1', 'HTTPRoute')).toEqual([`${NAME}-quay`, `${NAME}-quay-config-editor`]);
    expect(names('networking.k8s.io/v1', 'Ingress')).toEqual([]);
    expect(cond('ComponentRouteReady')).toMatchObject({ status: 'True', message: 'HTTPRoute accepted by Gateway public' });
    expect(cond('Available')).toMatchObject({ status: 'True' });
  });
});

test('a Gateway that refuses the route: not Available, and the condition says which Gateway and why', async () => {
  await deploy({ gateway: { name: 'closed' } });
  await eventually(() =>
    expect(cond('ComponentRouteReady')).toMatchObject({
      status: 'False',
      message: `HTTPRoute not accepted by Gateway ${NS}/closed: no listener of the Gateway allows routes from this namespace`,
    }),
  );
  expect(cond('Available')).toMatchObject({ status: 'False' });
});
