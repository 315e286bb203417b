// spec.networkPolicies in a cluster: the operator (as its ServiceAccount) applies the managed
// backends' NetworkPolicies, owned by the registry; one deleted by hand comes back; turning them off
// prunes them and nothing else; turning them on again brings them back.
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { eventually, openshiftCluster, simulateCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const POLICIES = ['clair-app', 'clair-postgres', 'quay-database', 'quay-redis'].map((s) => `${NAME}-${s}`);

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller;
let stopSim: () => void;

const registry = () => server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj;
const available = () => (registry()?.status?.conditions ?? []).find((c: Obj) => c.type === 'Available')?.status;
const policies = () => (server.list('networking.k8s.io/v1', 'NetworkPolicy', NS) as Obj[]).map((p) => p.metadata.name).sort();
const others = () =>
  ['v1/Service', 'apps/v1/Deployment', 'v1/Secret', 'v1/ConfigMap', 'v1/PersistentVolumeClaim'].flatMap((t) => {
    const kind = t.slice(t.lastIndexOf('/') + 1);
    return (server.list(t.slice(0, t.lastIndexOf('/')), kind, NS) as Obj[]).map((o) => `${kind}/${o.metadata.name}/${o.metadata.uid}`);
  }).sort();
const setSpec = (spec: Obj) => server.update({ ...registry(), spec: { ...registry().spec, ...spec } });

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  stopSim = simulateCluster(server);
  controller = await startController(installOperator(server), { quayVersion: DEFAULT_QUAY_VERSION });
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });
  await eventually(() => expect(available()).toBe('True'));
});

afterEach(async () => {
  stopSim();
  expect(await shutDown(server, controller, [409, 404])).toEqual([]);
});

test('on by default: the four policies, owned by the registry; one deleted by hand comes back', async () => {
  expect(policies()).toEqual(POLICIES);
  for (const name of POLICIES) {
    const p = server.get('networking.k8s.io/v1', 'NetworkPolicy', NS, name) as Obj;
    expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'QuayRegistry', name: NAME, uid: registry().metadata.uid, controller: true })]);
  }
  server.delete('networking.k8s.io/v1', 'NetworkPolicy', NS, `${NAME}-quay-database`);
  await eventually(() => expect(policies()).toEqual(POLICIES));
});

test('enabled: false prunes them and touches nothing else; enabled again, they are back', async () => {
  const before = others();
  setSpec({ networkPolicies: { enabled: false } });
  await eventually(() => expect(policies()).toEqual([]));
  await controller.whenIdle();
  expect(available()).toBe('True');
  // Same objects, same uids: nothing else deleted or replaced.
  expect(others()).toEqual(before);
  const deletes = server.writes().filter((w) => w.method === 'DELETE').map((w) => w.path.split('/').slice(-2).join('/'));
  expect(deletes.sort()).toEqual(POLICIES.map((n) => `networkpolicies/${n}`));

  setSpec({ networkPolicies: { enabled: true } });
  await eventually(() => expect(policies()).toEqual(POLICIES));
});

test('a registry created with them off never gets any', async () => {
  const other = 'second';
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: other, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', networkPolicies: { enabled: false } } });
  await eventually(() => expect((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, other) as Obj).status?.conditions?.find((c: Obj) => c.type === 'Available')?.status).toBe('True'));
  expect(server.writes().filter((w) => w.path.includes('/networkpolicies/second-'))).toEqual([]);
  expect(policies()).toEqual(POLICIES);
});
