// Upgrading a QuayRegistry, end to end against the fake API server: the seeds' rules (a supported
// path migrates, anything else is left alone with UpgradeUnsupported), the previous version serving
// read-only while the migration Job runs, a failed migration retried with an annotation, and an
// operator restart in the middle that runs no second Job.
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_IMAGES } from '../../lib/images';
import type { KubeConfig } from '@kubernetes/client-node';
import { admitRoutes, bindBucket, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { OPERATOR_USER, createBundleSecret, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const OLD = 'v3.98.4';
const NEW = 'v3.99.0';
const JOB = `${NAME}-quay-app-upgrade`;

jest.setTimeout(30_000);

let server: FakeApiServer;
let kubeConfig: KubeConfig;
let controller: Controller | undefined;

const get = (apiVersion: string, kind: string, name: string) => server.get(apiVersion, kind, NS, name) as Obj | undefined;
const registry = () => get('quay.redhat.com/v1', 'QuayRegistry', NAME)!;
const cond = (type: string) => (registry().status?.conditions ?? []).find((c: Obj) => c.type === type);
const quayApp = () => get('apps/v1', 'Deployment', `${NAME}-quay-app`)!;
const quayContainer = () => quayApp().spec.template.spec.containers.find((c: Obj) => c.name === 'quay-app');
const overrideEnv = () => (quayContainer().env ?? []).find((e: Obj) => e.name === 'QUAY_OVERRIDE_CONFIG')?.value;

async function runOperator(version: string): Promise<void> {
  await controller?.stop();
  controller = await startController(kubeConfig, { images: { ...DEFAULT_IMAGES, quay: `quay.io/projectquay/quay:${version}` }, quayVersion: version });
}

/** A registry deployed and migrated by an operator of `version`, every component healthy. */
async function deployedAt(version: string): Promise<void> {
  await runOperator(version);
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });
  await eventually(() => {
    settleDeployments(server, NS);
    bindBucket(server, NS, NAME);
    expect(get('batch/v1', 'Job', JOB)).toBeDefined();
  });
  completeJob(server, NS, JOB);
  await eventually(() => expect(registry().status?.currentVersion).toBe(version));
  await eventually(() => {
    settleDeployments(server, NS);
    admitRoutes(server, NS);
    expect(cond('Available')).toMatchObject({ status: 'True' });
  });
  await controller!.whenIdle();
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  kubeConfig = installOperator(server);
});

afterEach(async () => {
  const refused = await shutDown(server, controller, [409, 404]);
  controller = undefined;
  expect(refused).toEqual([]);
});

test('a supported upgrade: the previous version serves read-only while the migration runs, then the new one rolls out', async () => {
  await deployedAt(OLD);
  const oldJob = get('batch/v1', 'Job', JOB)!.metadata.uid;
  // The old Job's finished pod: replacing the Job must take it along (a Job deleted without a
  // propagation policy orphans its pods on a real server; the fake does the same).
  const jobPod = `${JOB}-x7k2p`;
  server.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: jobPod, namespace: NS, labels: { 'job-name': JOB }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: JOB, uid: oldJob, controller: true, blockOwnerDeletion: true }] },
    spec: { restartPolicy: 'Never', containers: [{ name: 'quay-app-upgrade', image: `quay.io/projectquay/quay:${OLD}` }] },
  });
  await runOperator(NEW);

  // The migration Job of the new version replaces the old one; quay-app keeps its old image, read-only.
  await eventually(() => expect(get('batch/v1', 'Job', JOB)?.metadata.annotations['quay-operator/quay-version']).toBe(NEW));
  expect(get('batch/v1', 'Job', JOB)!.metadata.uid).not.toBe(oldJob);
  expect(get('v1', 'Pod', jobPod)).toBeUndefined();
  await eventually(() => expect(overrideEnv()).toBe('{"REGISTRY_STATE":"readonly"}'));
  expect(quayContainer().image).toBe(`quay.io/projectquay/quay:${OLD}`);
  // Not held at 0: pulls keep working (the HPA keeps its replicas; mirror, which writes, waits at 0).
  expect(quayApp().spec.replicas).not.toBe(0);
  expect(get('apps/v1', 'Deployment', `${NAME}-quay-mirror`)!.spec.replicas).toBe(0);
  expect(cond('ComponentsCreated')).toMatchObject({ status: 'False', reason: 'MigrationsInProgress' });
  expect(registry().status.currentVersion).toBe(OLD);

  // An operator restart in the middle: no second Job, the same read-only Deployment.
  const runningJob = get('batch/v1', 'Job', JOB)!.metadata.uid;
  const readOnlyVersion = quayApp().metadata.resourceVersion;
  await runOperator(NEW);
  await controller!.whenIdle();
  expect(get('batch/v1', 'Job', JOB)!.metadata.uid).toBe(runningJob);
  expect(quayApp().metadata.resourceVersion).toBe(readOnlyVersion);

  completeJob(server, NS, JOB);
  await eventually(() => expect(registry().status?.currentVersion).toBe(NEW));
  await eventually(() => expect(quayContainer().image).toBe(`quay.io/projectquay/quay:${NEW}`));
  expect(overrideEnv()).toBeUndefined();
  expect(quayApp().spec.template.spec.containers[0].args).toEqual(['registry-nomigrate']);
});

test('a failed migration: the previous version keeps serving read-only, the message says where to look; an annotation retries', async () => {
  await deployedAt(OLD);
  await runOperator(NEW);
  await eventually(() => expect(get('batch/v1', 'Job', JOB)?.metadata.annotations['quay-operator/quay-version']).toBe(NEW));
  completeJob(server, NS, JOB, 'failed');
  await eventually(() => expect(cond('ComponentsCreated')?.reason).toBe('MigrationsFailed'));
  expect(cond('ComponentsCreated').message).toBe(
    `Job has reached the specified backoff limit; see \`kubectl logs -n ${NS} job/${JOB}\`; once the cause is fixed, retry with \`kubectl annotate quayregistry -n ${NS} ${NAME} --overwrite quay-operator/retry-migration=<a new value>\``,
  );
  expect(overrideEnv()).toBe('{"REGISTRY_STATE":"readonly"}');
  expect(quayApp().spec.replicas).not.toBe(0);
  const failed = get('batch/v1', 'Job', JOB)!.metadata.uid;
  await controller!.whenIdle();
  // Not retried on its own (migrations are not idempotent).
  expect(get('batch/v1', 'Job', JOB)!.metadata.uid).toBe(failed);

  // The admin fixed the cause and asks for another run.
  server.update({ ...registry(), metadata: { ...registry().metadata, annotations: { 'quay-operator/retry-migration': '1' } } });
  // The failed Job is deleted, a new one created, carrying the retry it answers.
  await eventually(() => expect([get('batch/v1', 'Job', JOB)?.metadata.uid !== failed, get('batch/v1', 'Job', JOB)?.metadata.annotations['quay-operator/retry-migration']]).toEqual([true, '1']));
  completeJob(server, NS, JOB);
  await eventually(() => expect(registry().status?.currentVersion).toBe(NEW));
  await eventually(() => expect(overrideEnv()).toBeUndefined());
});

test.each([
  ['a downgrade', 'v3.99.5', 'cannot upgrade from v3.99.5 to v3.99.0: a downgrade is not supported (the database was migrated to v3.99.5); install an operator of 3.99 or later'],
  ['a skipped minor', 'v3.96.0', 'cannot upgrade from v3.96.0 to v3.99.0: 3.96 → 3.99 skips minor versions; upgrade one supported step at a time: 3.96 → 3.97 → 3.98 → 3.99 (an operator of each version in turn)'],
])('%s: RolloutBlocked UpgradeUnsupported, an Event, nothing changed or deleted', async (_, current, message) => {
  await deployedAt(OLD);
  await controller!.stop();
  controller = undefined;
  server.updateStatus('quay.redhat.com/v1', 'QuayRegistry', NS, NAME, { ...registry().status, currentVersion: current });
  server.clearRequests();
  await runOperator(NEW);
  await eventually(() => expect(cond('RolloutBlocked')).toMatchObject({ status: 'True', reason: 'UpgradeUnsupported', message: `status.currentVersion: ${message}` }));
  await controller!.whenIdle();
  const writes = server.writes().filter((w) => w.user === OPERATOR_USER).map((w) => `${w.method} ${w.path.replace(/\/[^/]+\.[0-9a-f]{16}$/, '/<event>')}`);
  // The status and its Event: nothing else, no apply, no delete.
  expect(writes).toEqual([`PATCH /apis/quay.redhat.com/v1/namespaces/${NS}/quayregistries/${NAME}/status`, `POST /api/v1/namespaces/${NS}/events`]);
  const events = (server.list('v1', 'Event', NS) as Obj[]).filter((e) => e.reason === 'UpgradeUnsupported');
  expect(events.map((e) => [e.type, e.message])).toEqual([['Warning', `status.currentVersion: ${message}`]]);
  expect(registry().status.currentVersion).toBe(current);
  expect(quayContainer().image).toBe(`quay.io/projectquay/quay:${OLD}`);
});
