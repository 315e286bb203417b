// Monitoring that OpenShift's cluster Prometheus scrapes: the registry's namespace is labelled
// openshift.io/cluster-monitoring=true while a registry there has monitoring managed (upstream does
// it), and the label goes when none has any more; the operator does it with the RBAC `manifests`
// grants (cluster-wide, or the watched namespace only).
import { Controller } from '../../lib/controller/controller';
import { eventually, openshiftCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator, InstallOptions } from '../support/operator-install';
import { OPERATOR_USER, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const LABEL = 'openshift.io/cluster-monitoring';

jest.setTimeout(20_000);

let server: FakeApiServer;
let controller: Controller | undefined;

async function start(options: InstallOptions & { openshift?: boolean } = {}): Promise<void> {
  server = await FakeApiServer.start();
  if (options.openshift ?? true) openshiftCluster(server);
  server.createNamespace(NS);
  controller = await startController(installOperator(server, options), { quayVersion: 'v3.99.0-dev', ...(options.watchNamespace ? { namespace: options.watchNamespace, appsDomain: 'apps.example.com' } : {}) });
}

afterEach(async () => {
  // 409 and 404: a write from a cache not yet told of a change (the registry just finalized and gone).
  const refused = await shutDown(server, controller, [409, 404]);
  controller = undefined;
  expect(refused).toEqual([]);
});

const labels = (ns = NS) => (server.get('v1', 'Namespace', undefined, ns) as Obj).metadata.labels ?? {};
const namespaceWrites = () => server.writes().filter((w) => w.user === OPERATOR_USER && w.path.startsWith('/api/v1/namespaces/') && !w.path.slice('/api/v1/namespaces/'.length).includes('/'));
const registry = (name: string, monitoring?: boolean) => ({
  apiVersion: 'quay.redhat.com/v1',
  kind: 'QuayRegistry',
  metadata: { name, namespace: NS },
  spec: monitoring === undefined ? {} : { components: [{ kind: 'monitoring', managed: monitoring }] },
});
const setMonitoring = (name: string, managed: boolean) => {
  const r = server.get('quay.redhat.com/v1', 'QuayRegistry', NS, name) as Obj;
  server.update({ ...r, spec: { components: [{ kind: 'monitoring', managed }] } });
};

test('monitoring managed: the namespace is labelled, once; unmanaged: the label goes', async () => {
  await start();
  server.create(registry('example-registry'));
  await eventually(() => expect(labels()[LABEL]).toBe('true'));
  await controller!.whenIdle();
  // A server-side apply by the operator's one field manager, of that label only.
  const [write] = namespaceWrites();
  expect([write.method, write.path, write.contentType, write.fieldManager, write.code]).toEqual(['PATCH', `/api/v1/namespaces/${NS}`, 'application/apply-patch+yaml', 'quay-operator', 200]);
  expect(labels()).toEqual({ 'kubernetes.io/metadata.name': NS, [LABEL]: 'true' });
  expect(namespaceWrites()).toHaveLength(1);
  // Another reconcile of the unchanged registry writes nothing to the namespace.
  server.update({ ...(server.get('quay.redhat.com/v1', 'QuayRegistry', NS, 'example-registry') as Obj), metadata: { ...(server.get('quay.redhat.com/v1', 'QuayRegistry', NS, 'example-registry') as Obj).metadata, labels: { touched: 'yes' } } });
  await eventually(() => expect(server.requests.some((r) => r.method === 'PATCH' && r.path.includes('quayregistries/example-registry/status'))).toBe(true));
  await controller!.whenIdle();
  expect(namespaceWrites()).toHaveLength(1);

  setMonitoring('example-registry', false);
  await eventually(() => expect(labels()).not.toHaveProperty(LABEL));
});

test('a label the admin set stays when monitoring becomes unmanaged (only what the operator applied is removed)', async () => {
  await start();
  server.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { [LABEL]: 'true' } } }, { fieldManager: 'admin' });
  server.create(registry('example-registry'));
  await eventually(() => expect(namespaceWrites()).toHaveLength(1));
  setMonitoring('example-registry', false);
  await eventually(() => expect(namespaceWrites()).toHaveLength(2));
  expect(labels()[LABEL]).toBe('true');
});

test('two registries in one namespace: one turning monitoring off keeps the label the other needs; deleting the last removes it', async () => {
  await start();
  server.create(registry('one'));
  server.create(registry('two'));
  await eventually(() => expect(labels()[LABEL]).toBe('true'));
  setMonitoring('one', false);
  await eventually(() => expect(((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, 'one') as Obj).status?.components ?? []).find((c: Obj) => c.kind === 'monitoring')?.managed).toBe(false));
  await controller!.whenIdle();
  expect(labels()[LABEL]).toBe('true');
  // Deleting `two` (its finalizer: monitoring was managed) removes the label no registry wants any more.
  await eventually(() => expect((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, 'two') as Obj).metadata.finalizers).toEqual(['quay-operator/finalizer']));
  server.delete('quay.redhat.com/v1', 'QuayRegistry', NS, 'two');
  await eventually(() => expect(server.get('quay.redhat.com/v1', 'QuayRegistry', NS, 'two')).toBeUndefined());
  expect(labels()).not.toHaveProperty(LABEL);
});

test('installed for one namespace (--watch-namespace): monitoring is not managed there (upstream\'s rule), so the namespace is not written', async () => {
  // One namespace: no cluster-wide read of OpenShift's apps domain; QUAY_APPS_DOMAIN gives it (manifests --apps-domain).
  await start({ watchNamespace: NS });
  server.create(registry('example-registry'));
  await eventually(() => expect((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, 'example-registry') as Obj).status?.components).toContainEqual({ kind: 'monitoring', managed: false }));
  await controller!.whenIdle();
  expect(namespaceWrites()).toEqual([]);
});

test('monitoring unmanaged from the start, or plain Kubernetes: the namespace is never written', async () => {
  await start();
  server.create(registry('example-registry', false));
  await eventually(() => expect((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, 'example-registry') as Obj).status?.conditions).toBeDefined());
  await controller!.whenIdle();
  expect(namespaceWrites()).toEqual([]);
  await controller!.stop();
  controller = undefined;
  await server.stop();

  await start({ openshift: false });
  server.create(registry('example-registry'));
  await eventually(() => expect((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, 'example-registry') as Obj).status?.conditions).toBeDefined());
  await controller!.whenIdle();
  expect(namespaceWrites()).toEqual([]);
});
