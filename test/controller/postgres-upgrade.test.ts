// A managed database on an older PostgreSQL major (as a registry from before Quay 3.6 has it:
// PostgreSQL 10, its data on PVC <name>-quay-database) is upgraded in steps, against the fake API
// server: the database stopped cleanly, the old major started on the old volume, a Job of the new
// image copying the data to the new volume, then the new major; Quay held at 0 meanwhile; the old
// volume kept and reported; a failure reported and retried; an operator restart mid-copy harmless.
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_IMAGES } from '../../lib/images';
import type { KubeConfig } from '@kubernetes/client-node';
import { bindBucket, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const VERSION = 'v3.99.0';
const DB = `${NAME}-quay-database`;
const JOB = `${NAME}-quay-postgres-upgrade`;

jest.setTimeout(30_000);

let server: FakeApiServer;
let kubeConfig: KubeConfig;
let controller: Controller | undefined;

const get = (apiVersion: string, kind: string, name: string) => server.get(apiVersion, kind, NS, name) as Obj | undefined;
const deployment = (name: string) => get('apps/v1', 'Deployment', name);
const cond = (type: string) => ((get('quay.redhat.com/v1', 'QuayRegistry', NAME)!.status?.conditions ?? []) as Obj[]).find((c) => c.type === type);
const claims = () => (server.list('v1', 'PersistentVolumeClaim', NS) as Obj[]).map((c) => c.metadata.name).sort();

/** A database as an older operator left it: its Deployment (applied by the same field manager) on `image`, its data on `claim`, owned by the registry. */
function oldDatabase(name: string, component: string, claim: string, image: string): void {
  const registry = get('quay.redhat.com/v1', 'QuayRegistry', NAME)!;
  const owner = [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: NAME, uid: registry.metadata.uid, controller: true, blockOwnerDeletion: true }];
  const labels = { 'quay-component': component, 'quay-operator/quayregistry': NAME };
  server.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claim, namespace: NS, labels, ownerReferences: owner }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } });
  server.apply(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS, labels, ownerReferences: owner },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'postgres', image }], volumes: [{ name: 'postgres-data', persistentVolumeClaim: { claimName: claim } }] } },
      },
    },
    { fieldManager: 'quay-operator', force: true },
  );
}

async function runOperator(): Promise<void> {
  await controller?.stop();
  controller = await startController(kubeConfig, { quayVersion: VERSION });
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  kubeConfig = installOperator(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });
  server.updateStatus('quay.redhat.com/v1', 'QuayRegistry', NS, NAME, { currentVersion: VERSION });
  // What a registry from before Quay 3.6 runs: PostgreSQL 10 on PVC <name>-quay-database, owned by the registry.
  oldDatabase(DB, 'postgres', DB, 'centos/postgresql-10-centos7');
  settleDeployments(server, NS);
});

afterEach(async () => {
  const deletedClaims = server.writes().filter((w) => w.method === 'DELETE' && w.path.includes('/persistentvolumeclaims/'));
  const refused = await shutDown(server, controller, [409, 404]);
  controller = undefined;
  expect(refused).toEqual([]);
  // No PVC is ever deleted.
  expect(deletedClaims).toEqual([]);
});

/** Until the upgrade Job exists: the database stopped, the old major serving from the old volume. */
async function untilCopying(): Promise<void> {
  await runOperator();
  // 1. The database stops cleanly (held at 0, 600 s grace), and Quay with it.
  await eventually(() => expect(deployment(DB)?.spec.replicas).toBe(0));
  await eventually(() => expect(cond('ComponentsCreated')).toMatchObject({ status: 'False', reason: 'PostgresUpgradeInProgress' }));
  expect(cond('ComponentsCreated')!.message).toBe('upgrading the postgres database from PostgreSQL 10 to 13: stopping the database cleanly; Quay and mirror are stopped meanwhile');
  expect(deployment(`${NAME}-quay-app`)?.spec.replicas ?? 0).toBe(0);
  expect(deployment(`${DB}-old`)).toBeUndefined();
  // 2. Its pods gone: PostgreSQL 10 again, on the old volume, behind its own Service.
  bindBucket(server, NS, NAME);
  settleDeployments(server, NS, (d) => d.metadata.name === DB);
  await eventually(() => expect(deployment(`${DB}-old`)).toBeDefined());
  const old = deployment(`${DB}-old`)!.spec.template.spec;
  // Exactly the image that served this data (RELATED_IMAGE_COMPONENT_POSTGRES_PREVIOUS unset).
  expect([old.containers[0].image, old.volumes[0].persistentVolumeClaim.claimName]).toEqual(['centos/postgresql-10-centos7', DB]);
  expect(get('v1', 'Service', `${DB}-old`)!.spec.selector).toEqual({ 'quay-component': 'postgres-old', 'quay-operator/quayregistry': NAME });
  // Fenced as the database it stands in for: only the copy Job's pods may connect.
  expect(get('networking.k8s.io/v1', 'NetworkPolicy', `${DB}-old`)!.spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: { 'quay-component': 'postgres-upgrade', 'quay-operator/quayregistry': NAME } } }]);
  expect(get('batch/v1', 'Job', JOB)).toBeUndefined();
  // 3. It serves: the Job of the new image copies it to the new volume.
  settleDeployments(server, NS, (d) => d.metadata.name === `${DB}-old`);
  await eventually(() => expect(get('batch/v1', 'Job', JOB)).toBeDefined());
  const job = get('batch/v1', 'Job', JOB)!.spec.template.spec;
  expect(job.containers[0].image).toBe(DEFAULT_IMAGES.postgres);
  expect(job.containers[0].env).toContainEqual({ name: 'POSTGRESQL_MIGRATION_REMOTE_HOST', value: `${DB}-old` });
  expect(job.volumes[0].persistentVolumeClaim.claimName).toBe(`${NAME}-quay-postgres-13`);
}

test('10 → 13: stopped, old major on the old volume, copied by a Job, then the new major; the old volume kept and reported', async () => {
  await untilCopying();
  // An operator restart in the middle of the copy: no second Job.
  const uid = get('batch/v1', 'Job', JOB)!.metadata.uid;
  await runOperator();
  await controller!.whenIdle();
  expect(get('batch/v1', 'Job', JOB)!.metadata.uid).toBe(uid);
  expect(cond('ComponentsCreated')!.message).toBe(`upgrading the postgres database from PostgreSQL 10 to 13: copying the data (Job ${JOB}); Quay and mirror are stopped meanwhile`);

  completeJob(server, NS, JOB);
  // 4. The new major, on the new volume; the old server goes, the old volume stays, reported once.
  await eventually(() => expect(deployment(DB)!.spec.template.spec.containers[0].image).toBe(DEFAULT_IMAGES.postgres));
  expect(deployment(DB)!.spec.replicas).toBe(1);
  expect(deployment(DB)!.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(`${NAME}-quay-postgres-13`);
  await eventually(() => expect(deployment(`${DB}-old`)).toBeUndefined());
  await eventually(() => expect(get('batch/v1', 'Job', JOB)).toBeUndefined());
  expect(get('v1', 'Service', `${DB}-old`)).toBeUndefined();
  expect(get('networking.k8s.io/v1', 'NetworkPolicy', `${DB}-old`)).toBeUndefined();
  expect(claims()).toEqual([`${NAME}-clair-postgres-15`, DB, `${NAME}-quay-postgres-13`].sort());
  await eventually(() => expect(get('v1', 'PersistentVolumeClaim', DB)!.metadata.annotations?.['quay-operator/kept']).toBe('true'));
  // The Event goes with the status write that follows the annotation.
  await eventually(() =>
    expect((server.list('v1', 'Event', NS) as Obj[]).filter((e) => e.reason === 'PersistentVolumeClaimKept').map((e) => e.message)).toEqual([
      `PersistentVolumeClaim ${DB} is no longer used and was kept with its data; delete it yourself when you no longer need it`,
    ]),
  );
  // Then Quay starts on the new database.
  settleDeployments(server, NS);
  await eventually(() => expect(cond('ComponentsCreated')?.reason).not.toMatch(/^PostgresUpgrade/));
});

test('a failed copy: PostgresUpgradeFailed, the old data untouched; deleting the Job retries', async () => {
  await untilCopying();
  completeJob(server, NS, JOB, 'failed');
  await eventually(() => expect(cond('ComponentsCreated')?.reason).toBe('PostgresUpgradeFailed'));
  expect(cond('ComponentsCreated')!.message).toBe(
    `upgrading the postgres database from PostgreSQL 10 to 13 failed: Job has reached the specified backoff limit; the old data is untouched on PersistentVolumeClaim ${DB}; see \`kubectl logs -n ${NS} job/${JOB}\`, then delete the Job to retry`,
  );
  expect(deployment(DB)!.spec.replicas).toBe(0);
  expect(deployment(`${NAME}-quay-app`)?.spec.replicas ?? 0).toBe(0);
  const failed = get('batch/v1', 'Job', JOB)!.metadata.uid;
  await controller!.whenIdle();
  expect(get('batch/v1', 'Job', JOB)!.metadata.uid).toBe(failed);
  server.delete('batch/v1', 'Job', NS, JOB);
  await eventually(() => expect([get('batch/v1', 'Job', JOB) !== undefined, get('batch/v1', 'Job', JOB)?.metadata.uid !== failed]).toEqual([true, true]));
  expect(claims()).toContain(DB);
});

test("Clair's 13 → 15: clair-app held at 0, the old major from PVC clair-postgres-13, the Job logs in as postgres", async () => {
  // This registry's Quay database is current; Clair's is PostgreSQL 13, as before Quay 3.10.
  server.delete('apps/v1', 'Deployment', NS, DB);
  const clairDb = `${NAME}-clair-postgres`;
  oldDatabase(clairDb, 'clair-postgres', `${clairDb}-13`, 'quay.io/sclorg/postgresql-13-c9s:latest');
  settleDeployments(server, NS);
  await runOperator();
  await eventually(() => expect(deployment(clairDb)?.spec.replicas).toBe(0));
  await eventually(() => expect(cond('ComponentsCreated')?.message).toBe('upgrading the clairpostgres database from PostgreSQL 13 to 15: stopping the database cleanly; Clair is stopped meanwhile'));
  bindBucket(server, NS, NAME);
  await eventually(() => {
    settleDeployments(server, NS);
    expect(get('batch/v1', 'Job', `${NAME}-clair-postgres-upgrade`)).toBeDefined();
  });
  expect(deployment(`${NAME}-clair-app`)?.spec.replicas ?? 0).toBe(0);
  expect(deployment(`${clairDb}-old`)!.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(`${clairDb}-13`);
  expect(deployment(`${clairDb}-old`)!.spec.template.spec.containers[0].image).toBe('quay.io/sclorg/postgresql-13-c9s:latest');
  const job = get('batch/v1', 'Job', `${NAME}-clair-postgres-upgrade`)!.spec.template.spec.containers[0];
  expect(job.image).toBe(DEFAULT_IMAGES.clairpostgres);
  expect(job.env).toEqual(
    expect.arrayContaining([
      { name: 'POSTGRESQL_MIGRATION_REMOTE_HOST', value: `${clairDb}-old` },
      { name: 'POSTGRESQL_MIGRATION_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: `${NAME}-clairpostgres-config-secret`, key: 'database-password' } } },
    ]),
  );
  // A restart mid-copy: the same Job. A failure: reported, the old data untouched; deleting the Job retries.
  const clairJob = `${NAME}-clair-postgres-upgrade`;
  const uid = get('batch/v1', 'Job', clairJob)!.metadata.uid;
  await runOperator();
  await controller!.whenIdle();
  expect(get('batch/v1', 'Job', clairJob)!.metadata.uid).toBe(uid);
  completeJob(server, NS, clairJob, 'failed');
  await eventually(() => expect(cond('ComponentsCreated')?.reason).toBe('PostgresUpgradeFailed'));
  expect(cond('ComponentsCreated')!.message).toContain(`the old data is untouched on PersistentVolumeClaim ${clairDb}-13`);
  expect(deployment(`${NAME}-clair-app`)?.spec.replicas ?? 0).toBe(0);
  server.delete('batch/v1', 'Job', NS, clairJob);
  await eventually(() => expect([get('batch/v1', 'Job', clairJob) !== undefined, get('batch/v1', 'Job', clairJob)?.metadata.uid !== uid]).toEqual([true, true]));
  completeJob(server, NS, clairJob);
  await eventually(() => expect(deployment(clairDb)!.spec.template.spec.containers[0].image).toBe(DEFAULT_IMAGES.clairpostgres));
  expect(claims()).toContain(`${clairDb}-13`);
});
