// spec.backup.destination.objectStorage against the fake API server, as the operator's ServiceAccount,
// with objectstorage unmanaged (an S3Storage location in config.yaml): the Secret
// <registry>-quay-backup-storage applied with the location's endpoint, bucket, region and keys, and
// only referenced by the CronJob; a backup that succeeded (the upload container's termination
// message) and one whose dump failed in the init container, in status.backups; a restore from the
// bucket (inspect Job on the Quay image → Quay, mirror and Clair at 0 → restore Job downloading in an
// init container → started again); a dump not in the bucket refused naming the location and the
// prefix; a location that is not S3-compatible refused naming the field. The fake runs no pods: this
// test plays the CronJob controller and the Jobs' pods. Every test ends with the leak scan: no value
// of the bundle or of that Secret in status, Events, logs or metrics.
import type { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION } from '../../lib/images';
import { eventually, openshiftCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { BackupCluster } from '../support/backup-cluster';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';
import { secretStrings } from '../../lib/secrets';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const VERSION = DEFAULT_QUAY_VERSION;
const CRON = `${NAME}-postgres-backup`;
const PREFIX = `backups/quay/${NS}/${NAME}/`;
const BACKUP = { schedule: '0 3 * * *', retention: 7, destination: { objectStorage: { prefix: 'backups/quay' } } };
const S3_CONFIG = [
  'FEATURE_USER_INITIALIZE: true',
  'DISTRIBUTED_STORAGE_CONFIG:',
  '  s3Storage:',
  '    - S3Storage',
  '    - host: s3.eu-central-1.amazonaws.com',
  '      s3_access_key: AKIAEXAMPLECONTROLLER',
  '      s3_secret_key: controller/Secret+Key0123456789abcdef',
  '      s3_bucket: quay-registry-bucket-example',
  '      storage_path: /datastorage/registry',
  'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [s3Storage]',
  'DISTRIBUTED_STORAGE_PREFERENCE: [s3Storage]',
  '',
].join('\n');

jest.setTimeout(30_000);

let server: FakeApiServer;
let kubeConfig: KubeConfig;
let controller: Controller | undefined;
let stopSim: (() => void) | undefined;
let cluster: BackupCluster;


async function start(config: string, backup: Obj, waitAvailable = true): Promise<void> {
  server = await FakeApiServer.start();
  cluster = new BackupCluster(server, NS, NAME);
  openshiftCluster(server);
  kubeConfig = installOperator(server);
  createBundleSecret(server, config);
  server.create({
    apiVersion: 'quay.redhat.com/v1',
    kind: 'QuayRegistry',
    metadata: { name: NAME, namespace: NS },
    spec: { configBundleSecret: 'config-bundle-secret', components: [{ kind: 'objectstorage', managed: false }], backup },
  });
  stopSim = cluster.simulate(false);
  controller = await startController(kubeConfig, { quayVersion: VERSION });
  if (waitAvailable) await eventually(() => expect(cluster.cond('Available')?.status).toBe('True'), 20_000);
}

afterEach(async () => {
  stopSim?.();
  const refused = await shutDown(server, controller, [409, 404]);
  controller = undefined;
  expect(refused).toEqual([]);
});

describe('an S3Storage location of config.yaml', () => {
  beforeEach(() => start(S3_CONFIG, BACKUP));

  test('the Secret <registry>-quay-backup-storage holds the location, owned by the registry; the CronJob only references it', async () => {
    const secret = cluster.get('v1', 'Secret', `${NAME}-quay-backup-storage`)!;
    expect(secret.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'QuayRegistry', name: NAME, uid: cluster.registry().metadata.uid })]);
    expect(secretStrings(secret)).toEqual({
      S3_ENDPOINT: 'https://s3.eu-central-1.amazonaws.com',
      S3_REGION: 'eu-central-1',
      BUCKET_NAME: 'quay-registry-bucket-example',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLECONTROLLER',
      AWS_SECRET_ACCESS_KEY: 'controller/Secret+Key0123456789abcdef',
    });
    const cron = cluster.get('batch/v1', 'CronJob', CRON)!;
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.initContainers.map((c: Obj) => [c.name, c.image])).toEqual([['backup', DEFAULT_IMAGES.postgres]]);
    expect(pod.containers.map((c: Obj) => [c.name, c.image])).toEqual([['upload', DEFAULT_IMAGES.quay]]);
    expect(pod.containers[0].env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: `${NAME}-quay-backup-storage`, key: 'AWS_SECRET_ACCESS_KEY' } } });
    expect(pod.containers[0].env).toContainEqual({ name: 'OBJECT_PREFIX', value: PREFIX });
    const text = JSON.stringify(cron);
    for (const value of Object.values(secretStrings(secret))) expect(text).not.toContain(value);
    // No claim for backups.
    expect(cluster.get('v1', 'PersistentVolumeClaim', `${NAME}-quay-backups`)).toBeUndefined();
  });

  test('a backup: its dump in status.backups; a dump that failed in the init container: its log tail, and where to read both logs', async () => {
    const job = cluster.cronJobStarts('29000000');
    const m = cluster.metadata();
    cluster.jobRan(job, 0, JSON.stringify(m), { exitCode: 0, message: JSON.stringify(m) });
    await eventually(() => expect(cluster.registry().status.backups).toEqual([expect.objectContaining({ lastJob: job, lastDump: m.dump, lastSize: 123456, outcome: 'Succeeded' })]));
    await eventually(() => expect(cluster.events('BackupSucceeded').map((e) => e.message)).toEqual([`backed up the postgres database to ${m.dump} (123456 bytes)`]));

    const failed = cluster.cronJobStarts('29001440');
    cluster.jobRan(failed, 0, '', { exitCode: 1, message: 'backing up database example-registry-quay-database\npg_dump: error: connection to server failed: Connection refused' });
    await eventually(() => expect(cluster.cond('BackupFailed')?.status).toBe('True'));
    expect(cluster.cond('BackupFailed')!.message).toBe(
      `the last backup of the postgres database failed (Job ${failed}): Job has reached the specified backoff limit: backing up database example-registry-quay-database\npg_dump: error: connection to server failed: Connection refused; the last good one is ${m.dump}; see \`kubectl logs -n ${NS} job/${failed} --all-containers\``,
    );
  });

  test('a restore from the bucket: inspected by the Quay image, restored after a download, Quay started again', async () => {
    const m = cluster.metadata();
    cluster.annotate({ 'quay-operator/restore': m.dump, 'quay-operator/restore-id': '1' });
    await eventually(() => expect(cluster.inspectJob()).toBeDefined());
    await eventually(() => expect(cluster.registry().status.restore).toMatchObject({ phase: 'Inspecting' }));
    expect(cluster.registry().status.restore.message).toBe(
      `reading the metadata of ${m.dump} in the bucket of location \`s3Storage\` (config.yaml's DISTRIBUTED_STORAGE_CONFIG) under ${PREFIX} (Job ${cluster.inspectJob()!.metadata.name})`,
    );
    const inspectPod = cluster.inspectJob()!.spec.template.spec;
    expect(inspectPod.containers.map((c: Obj) => [c.name, c.image, c.command[0]])).toEqual([['inspect', DEFAULT_IMAGES.quay, 'python3']]);
    expect(inspectPod.containers[0].env).toContainEqual({ name: 'DUMP', value: m.dump });
    cluster.jobRan(cluster.inspectJob()!.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: m }));

    await eventually(() => expect(cluster.restoreJob()).toBeDefined());
    for (const d of ['quay-app', 'quay-mirror', 'clair-app']) expect(cluster.replicas(d)).toBe(0);
    expect(cluster.get('batch/v1', 'CronJob', CRON)!.spec.suspend).toBe(true);
    const restorePod = cluster.restoreJob()!.spec.template.spec;
    expect(restorePod.initContainers.map((c: Obj) => [c.name, c.image])).toEqual([['download', DEFAULT_IMAGES.quay]]);
    expect(restorePod.containers.map((c: Obj) => [c.name, c.image])).toEqual([['restore', DEFAULT_IMAGES.postgres]]);
    cluster.jobRan(cluster.restoreJob()!.metadata.name, 0, JSON.stringify({ restored: m.dump }), { exitCode: 0, message: '' });

    await eventually(() => expect(cluster.cond('Restored')).toMatchObject({ status: 'True', reason: 'RestoreSucceeded' }));
    await eventually(() => expect(cluster.cond('Available')?.status).toBe('True'));
    for (const d of ['quay-app', 'quay-mirror', 'clair-app']) expect(cluster.replicas(d)).not.toBe(0);
    expect(cluster.get('batch/v1', 'CronJob', CRON)!.spec.suspend).toBe(false);
  });

  test('a dump not in the bucket: refused, naming the location and the prefix (not the bucket: a value of config.yaml)', async () => {
    const dump = `${NAME}-postgres-20250101T030000Z-${VERSION}.dump`;
    cluster.annotate({ 'quay-operator/restore': dump });
    await eventually(() => expect(cluster.inspectJob()).toBeDefined());
    cluster.jobRan(cluster.inspectJob()!.metadata.name, 0, JSON.stringify({ found: false, available: [`${NAME}-postgres-20260102T030000Z-${VERSION}.dump`] }));
    await eventually(() => expect(cluster.registry().status.restore?.phase).toBe('Refused'));
    expect(cluster.cond('Restored')!.message).toBe(
      `dump ${dump} is not in the bucket of location \`s3Storage\` (config.yaml's DISTRIBUTED_STORAGE_CONFIG) under ${PREFIX}; this registry's newest there: ${NAME}-postgres-20260102T030000Z-${VERSION}.dump`,
    );
    expect(cluster.restoreJob()).toBeUndefined();
  });

  test('a download that failed (the init container): Failed with its log tail, Quay started again', async () => {
    const m = cluster.metadata();
    cluster.annotate({ 'quay-operator/restore': m.dump });
    await eventually(() => expect(cluster.inspectJob()).toBeDefined());
    cluster.jobRan(cluster.inspectJob()!.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: m }));
    await eventually(() => expect(cluster.restoreJob()).toBeDefined());
    cluster.jobRan(cluster.restoreJob()!.metadata.name, 0, '', { exitCode: 1, message: `object storage: GET ${PREFIX}${m.dump}: HTTP 403 AccessDenied: Access Denied` });
    await eventually(() => expect(cluster.registry().status.restore?.phase).toBe('Failed'));
    expect(cluster.cond('Restored')!.message).toContain(`restoring ${m.dump} failed: object storage: GET ${PREFIX}${m.dump}: HTTP 403 AccessDenied: Access Denied; the database is as it was`);
    await eventually(() => expect(cluster.cond('Available')?.status).toBe('True'));
  });
});

test('a location that is not S3-compatible: refused, naming the field and why; nothing of the location in status', async () => {
  const config = 'FEATURE_USER_INITIALIZE: true\nDISTRIBUTED_STORAGE_CONFIG:\n  default: [LocalStorage, {storage_path: /datastorage/registry}]\nDISTRIBUTED_STORAGE_PREFERENCE: [default]\n';
  await start(config, { schedule: '@daily', destination: { objectStorage: { location: 'default' } } }, false);
  await eventually(() => expect(cluster.cond('RolloutBlocked')).toMatchObject({ status: 'True', reason: 'ConfigInvalid' }));
  expect(cluster.cond('RolloutBlocked')!.message).toBe(
    "spec.backup.destination.objectStorage.location: location `default` is local storage: a directory inside Quay's own pods, which no other pod can reach; the backups need an S3-compatible location: Amazon S3 (also behind CloudFront, Cloudflare or Akamai), Ceph RadosGW, NooBaa (OpenShift Data Foundation), IBM Cloud Object Storage, Google Cloud Storage",
  );
  expect(cluster.get('batch/v1', 'CronJob', CRON)).toBeUndefined();
  expect(cluster.get('v1', 'Secret', `${NAME}-quay-backup-storage`)).toBeUndefined();
});
