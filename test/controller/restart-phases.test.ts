// Sequencing stays crash-loop free with the operator restarted in the middle of each phase of a
// first deploy (databases, migration, Quay, mirror): after every restart nothing runs before what it
// needs, the keys are not generated again and the migration Job is not run twice.
import type { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../../lib/controller/controller';
import { admitRoutes, bindBucket, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { OPERATOR_USER, createBundleSecret, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const VERSION = 'v3.99.0';

jest.setTimeout(40_000);

let server: FakeApiServer;
let kubeConfig: KubeConfig;
let controller: Controller | undefined;

const get = (apiVersion: string, kind: string, name: string) => server.get(apiVersion, kind, NS, name) as Obj | undefined;
const deployment = (suffix: string) => get('apps/v1', 'Deployment', `${NAME}-${suffix}`);
const replicas = (suffix: string) => deployment(suffix)?.spec.replicas;
const registry = () => get('quay.redhat.com/v1', 'QuayRegistry', NAME)!;

/** Stops the running operator and starts a new one, as a pod restart would; waits for it to settle. */
async function restart(): Promise<void> {
  await controller?.stop();
  controller = await startController(kubeConfig, { quayVersion: VERSION });
  await controller.whenIdle();
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  kubeConfig = installOperator(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
});

afterEach(async () => {
  const refused = await shutDown(server, controller, [409, 404]);
  controller = undefined;
  expect(refused).toEqual([]);
});

test('a restart in each phase of a first deploy: the same order, one set of keys, one migration Job', async () => {
  await restart();
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });

  // Phase 1: databases created, not ready. Nothing that needs them exists.
  await eventually(() => expect(deployment('quay-database')).toBeDefined());
  const keys = get('v1', 'Secret', `${NAME}-quay-registry-managed-secret-keys`)!.metadata.uid;
  await restart();
  for (const d of ['quay-app', 'quay-mirror', 'clair-app']) expect([d, deployment(d)]).toEqual([d, undefined]);
  expect(get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)).toBeUndefined();
  expect(get('v1', 'Secret', `${NAME}-quay-registry-managed-secret-keys`)!.metadata.uid).toBe(keys);

  // Phase 2: dependencies ready, the migration Job running; Quay and mirror at 0.
  settleDeployments(server, NS);
  bindBucket(server, NS, NAME);
  await eventually(() => expect(get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)).toBeDefined());
  completeJob(server, NS, `${NAME}-quay-app-upgrade`, 'active');
  const job = get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)!.metadata.uid;
  await restart();
  expect(get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)!.metadata.uid).toBe(job);
  expect([replicas('quay-app'), replicas('quay-mirror')]).toEqual([0, 0]);
  expect(registry().status.currentVersion).toBeUndefined();

  // Phase 3: migrated; Quay rolls out (no longer held at 0: the HPA decides), not yet available.
  completeJob(server, NS, `${NAME}-quay-app-upgrade`);
  await eventually(() => expect(registry().status?.currentVersion).toBe(VERSION));
  await eventually(() => expect(replicas('quay-app')).toBeGreaterThan(0));
  await restart();
  expect(get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)!.metadata.uid).toBe(job);
  expect(replicas('quay-app')).toBeGreaterThan(0);

  // Phase 4: mirror and everything available; a last restart changes nothing.
  settleDeployments(server, NS);
  admitRoutes(server, NS);
  await eventually(() => expect(((registry().status.conditions ?? []) as Obj[]).find((c) => c.type === 'Available')).toMatchObject({ status: 'True' }));
  await controller!.whenIdle();
  server.clearRequests();
  await restart();
  const writes = server.writes().filter((w) => w.user === OPERATOR_USER);
  expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual([]);
  expect(get('v1', 'Secret', `${NAME}-quay-registry-managed-secret-keys`)!.metadata.uid).toBe(keys);
});
