// spec.backup and the restore annotation against the fake API server, as the operator's ServiceAccount:
// the CronJob applied; a backup Job that succeeded (its pod's termination message: the dump's
// metadata) and one that failed reported in status.backups, the BackupFailed condition and Events;
// a restore (annotation → inspect Job → Quay, mirror and Clair at 0 → restore Job → started again,
// Available); refused restores (another registry's dump, a newer Quay's), nothing stopped. The fake
// runs no pods: this test plays the CronJob controller and the Jobs' pods.
import type { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { eventually, openshiftCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { BackupCluster } from '../support/backup-cluster';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';
import { main } from '../../lib/cli/main';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const VERSION = DEFAULT_QUAY_VERSION;
const CRON = `${NAME}-postgres-backup`;
const BACKUP = { schedule: '0 3 * * *', retention: 7 };

jest.setTimeout(30_000);

let server: FakeApiServer;
let kubeConfig: KubeConfig;
let controller: Controller | undefined;
let stopSim: (() => void) | undefined;
let cluster: BackupCluster;

/** A backup that ran and succeeded: its dump's name. */
function backupSucceeded(stamp = '29000000'): string {
  const job = cluster.cronJobStarts(stamp);
  const m = cluster.metadata();
  cluster.jobRan(job, 0, JSON.stringify(m));
  const cron = cluster.get('batch/v1', 'CronJob', CRON)!;
  server.updateStatus('batch/v1', 'CronJob', NS, CRON, { lastScheduleTime: cron.status.lastScheduleTime, lastSuccessfulTime: '2026-01-02T03:00:10Z' });
  return m.dump;
}


beforeEach(async () => {
  server = await FakeApiServer.start();
  cluster = new BackupCluster(server, NS, NAME);
  openshiftCluster(server);
  kubeConfig = installOperator(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', backup: BACKUP } });
  stopSim = cluster.simulate(true);
  controller = await startController(kubeConfig, { quayVersion: VERSION });
  await eventually(() => expect(cluster.cond('Available')?.status).toBe('True'), 20_000);
});

afterEach(async () => {
  stopSim?.();
  const refused = await shutDown(server, controller, [409, 404]);
  controller = undefined;
  expect(refused).toEqual([]);
});

describe('scheduled backups', () => {
  test('the CronJob is applied, owned by the registry; no backup yet', async () => {
    const cron = cluster.get('batch/v1', 'CronJob', CRON)!;
    expect(cron.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'QuayRegistry', name: NAME, uid: cluster.registry().metadata.uid })]);
    expect(cron.spec).toMatchObject({ schedule: '0 3 * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600, suspend: false });
    const env = cron.spec.jobTemplate.spec.template.spec.containers[0].env as Obj[];
    expect(env).toContainEqual({ name: 'REGISTRY_UID', value: cluster.registry().metadata.uid });
    expect(cluster.get('v1', 'PersistentVolumeClaim', `${NAME}-quay-backups`)).toBeDefined();
    await eventually(() => expect(cluster.registry().status.backups).toEqual([{ component: 'postgres', cronJob: CRON, outcome: 'None' }]));
    expect(cluster.cond('BackupFailed')).toMatchObject({ status: 'False', reason: 'NoBackupYet' });
  });

  test('a completed backup: time, dump and size in status.backups, a Normal Event', async () => {
    const dump = backupSucceeded();
    await eventually(() =>
      expect(cluster.registry().status.backups).toEqual([
        {
          component: 'postgres',
          cronJob: CRON,
          lastScheduleTime: '2026-01-02T03:00:00Z',
          lastSuccessfulTime: '2026-01-02T03:00:10Z',
          lastJob: `${CRON}-29000000`,
          lastDump: dump,
          lastSize: 123456,
          outcome: 'Succeeded',
        },
      ]),
    );
    expect(cluster.cond('BackupFailed')).toMatchObject({ status: 'False', reason: 'BackupSucceeded' });
    await eventually(() => expect(cluster.events('BackupSucceeded').map((e) => e.message)).toHaveLength(1));
    expect(cluster.events('BackupSucceeded').map((e) => e.message)).toEqual([`backed up the postgres database to ${dump} (123456 bytes)`]);
  });

  test('a failed backup: the BackupFailed condition and a Warning Event, once; the last good dump still named', async () => {
    const good = backupSucceeded();
    await eventually(() => expect(cluster.registry().status.backups[0].outcome).toBe('Succeeded'));
    const job = cluster.cronJobStarts('29001440');
    cluster.jobRan(job, 1, 'backing up database example-registry-quay-database\npg_dump: error: connection to server at "example-registry-quay-database" failed: Connection refused');
    await eventually(() => expect(cluster.cond('BackupFailed')?.status).toBe('True'));
    expect(cluster.cond('BackupFailed')).toMatchObject({
      reason: 'BackupJobFailed',
      message: `the last backup of the postgres database failed (Job ${job}): Job has reached the specified backoff limit: backing up database example-registry-quay-database\npg_dump: error: connection to server at "example-registry-quay-database" failed: Connection refused; the last good one is ${good}; see \`kubectl logs -n ${NS} job/${job}\``,
    });
    expect(cluster.registry().status.backups[0]).toMatchObject({ outcome: 'Failed', lastJob: job, lastDump: good, lastSize: 123456 });
    await eventually(() => expect(cluster.events('BackupFailed')).toHaveLength(1));
    const warnings = cluster.events('BackupFailed');
    expect(warnings.map((e) => e.type)).toEqual(['Warning']);
    expect(warnings[0].message).toContain('pg_dump: error: connection to server');
    // Reconciles after it record no second Event.
    cluster.annotate({ 'example.com/touch': '1' });
    await controller!.whenIdle();
    expect(cluster.events('BackupFailed')).toHaveLength(1);
  });
});

describe('restore', () => {
  test('annotation → inspected → Quay, mirror and Clair at 0, backups suspended → restore Job → started again, Available', async () => {
    const dump = backupSucceeded();
    await eventually(() => expect(cluster.registry().status.backups[0].lastDump).toBe(dump));
    cluster.annotate({ 'quay-operator/restore': dump, 'quay-operator/restore-id': '1' });

    // 1. The dump's metadata is read first; nothing is stopped for it.
    await eventually(() => expect(cluster.inspectJob()).toBeDefined());
    await eventually(() => expect(cluster.registry().status.restore).toMatchObject({ dump, id: '1', component: 'postgres', phase: 'Inspecting' }));
    expect(cluster.cond('Restored')).toMatchObject({ status: 'False', reason: 'RestoreInProgress' });
    expect(cluster.replicas('quay-app')).not.toBe(0);
    const inspect = cluster.inspectJob()!;
    expect(inspect.spec.template.spec.containers[0].env).toContainEqual({ name: 'DUMP', value: dump });
    cluster.jobRan(inspect.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: cluster.metadata() }));

    // 2. Quay, mirror and Clair stopped (the HPAs cannot scale a Deployment at 0), backups suspended; then the restore Job.
    await eventually(() => expect(cluster.restoreJob()).toBeDefined());
    for (const d of ['quay-app', 'quay-mirror', 'clair-app']) expect(cluster.replicas(d)).toBe(0);
    expect(cluster.get('batch/v1', 'CronJob', CRON)!.spec.suspend).toBe(true);
    await eventually(() => expect(cluster.registry().status.restore).toMatchObject({ phase: 'Restoring' }));
    expect(cluster.registry().status.restore).toMatchObject({ phase: 'Restoring', dumpVersion: VERSION, dumpCreated: '2026-01-02T03:00:00Z', dumpSize: 123456 });
    const restore = cluster.restoreJob()!;
    expect(restore.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'QuayRegistry', name: NAME })]);
    expect(restore.spec.template.metadata.labels['quay-component']).toBe('postgres-restore');
    cluster.jobRan(restore.metadata.name, 0, JSON.stringify({ restored: dump }));

    // 3. Started again; Available; the restore's Jobs kept for their logs.
    await eventually(() => expect(cluster.cond('Restored')).toMatchObject({ status: 'True', reason: 'RestoreSucceeded' }));
    await eventually(() => expect(cluster.cond('Available')?.status).toBe('True'));
    for (const d of ['quay-app', 'quay-mirror', 'clair-app']) expect(cluster.replicas(d)).not.toBe(0);
    expect(cluster.get('batch/v1', 'CronJob', CRON)!.spec.suspend).toBe(false);
    expect(cluster.registry().status.restore).toMatchObject({ phase: 'Succeeded', message: `restored ${dump} (taken 2026-01-02T03:00:00Z with Quay ${VERSION}) into the postgres database; Quay, mirror and Clair run again` });
    expect(cluster.restoreJob()).toBeDefined();
    expect(cluster.events('RestoreStarted')).toHaveLength(1);
    await eventually(() => expect(cluster.events('RestoreSucceeded')).toHaveLength(1));
    // Done once: a later reconcile starts nothing again.
    cluster.annotate({ 'example.com/touch': '1' });
    await controller!.whenIdle();
    expect(cluster.registry().status.restore.phase).toBe('Succeeded');
    expect(cluster.events('RestoreStarted')).toHaveLength(1);
  });

  test('a dump of the previous minor: restored, then migrated by a new migration Job before Quay serves again', async () => {
    const uidBefore = cluster.get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)!.metadata.uid;
    const dump = `${NAME}-postgres-20250601T030000Z-v3.16.0.dump`;
    cluster.annotate({ 'quay-operator/restore': dump });
    await eventually(() => expect(cluster.inspectJob()).toBeDefined());
    cluster.jobRan(cluster.inspectJob()!.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: cluster.metadata({ dump, quayVersion: 'v3.16.0' }) }));
    await eventually(() => expect(cluster.restoreJob()).toBeDefined());
    cluster.jobRan(cluster.restoreJob()!.metadata.name, 0, JSON.stringify({ restored: dump }));
    // The database is at 3.16 again: the migration Job of before is replaced, and Quay waits for the new one.
    await eventually(() => expect(cluster.get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)?.metadata.uid).not.toBe(uidBefore));
    await eventually(() => expect(cluster.cond('Restored')).toMatchObject({ status: 'True', reason: 'RestoreSucceeded' }));
    expect(cluster.registry().status.restore.message).toBe(`restored ${dump} (taken 2026-01-02T03:00:00Z with Quay v3.16.0) into the postgres database; Quay, mirror and Clair run again, and migrated to ${VERSION}`);
    expect(cluster.registry().status.currentVersion).toBe(VERSION);
    expect(cluster.events('RestoreMigrating')).toHaveLength(1);
    await eventually(() => expect(cluster.cond('Available')?.status).toBe('True'));
  });

  test.each([
    [
      "another registry's dump (its metadata: another uid, other keys)",
      { uid: 'another-uid', keysDigest: '0123456789abcdef' },
      (dump: string) => `dump ${dump} was made with other keys (DATABASE_SECRET_KEY) than this registry has: Quay could not decrypt what it encrypted. Restore the keys Secret ${NAME}-quay-registry-managed-secret-keys of the registry that made it first`,
    ],
    [
      'a dump of another namespace',
      { namespace: 'elsewhere' },
      (dump: string) => `dump ${dump} belongs to QuayRegistry elsewhere/${NAME}, not ${NS}/${NAME}: a registry restores only its own dumps`,
    ],
    [
      'a dump of a newer Quay',
      { quayVersion: 'v3.99.0' },
      (dump: string) => `dump ${dump} was taken with Quay v3.99.0, newer than this operator's ${VERSION}: its database schema is ahead of what this Quay runs; restore it with an operator of v3.99.0 or later`,
    ],
  ])('refused: %s; nothing stopped, the reason in the condition and a Warning', async (_what, bad, expected) => {
    const dump = `${NAME}-postgres-20260102T030000Z-${VERSION}.dump`;
    cluster.annotate({ 'quay-operator/restore': dump });
    await eventually(() => expect(cluster.inspectJob()).toBeDefined());
    cluster.jobRan(cluster.inspectJob()!.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: cluster.metadata(bad) }));
    await eventually(() => expect(cluster.registry().status.restore?.phase).toBe('Refused'));
    expect(cluster.cond('Restored')).toMatchObject({ status: 'False', reason: 'RestoreRefused', message: expected(dump) });
    await eventually(() => expect(cluster.events('RestoreRefused').map((e) => [e.type, e.message])).toEqual([['Warning', expected(dump)]]));
    expect(cluster.restoreJob()).toBeUndefined();
    expect(cluster.replicas('clair-app')).not.toBe(0);
    expect(cluster.cond('Available')?.status).toBe('True');
  });

  test("refused from its name alone: another registry's dump, no Job", async () => {
    cluster.annotate({ 'quay-operator/restore': `other-postgres-20260102T030000Z-${VERSION}.dump` });
    await eventually(() => expect(cluster.registry().status.restore?.phase).toBe('Refused'));
    expect(cluster.cond('Restored')!.message).toBe(`dump other-postgres-20260102T030000Z-${VERSION}.dump is registry other's, not ${NAME}'s: a registry restores only its own dumps`);
    expect(cluster.inspectJob()).toBeUndefined();
  });

  test('not on the volume: refused, naming the dumps that are', async () => {
    const dump = `${NAME}-postgres-20250101T030000Z-${VERSION}.dump`;
    cluster.annotate({ 'quay-operator/restore': dump });
    await eventually(() => expect(cluster.inspectJob()).toBeDefined());
    cluster.jobRan(cluster.inspectJob()!.metadata.name, 0, JSON.stringify({ found: false, available: [`${NAME}-postgres-20260102T030000Z-${VERSION}.dump`, 'other-postgres-20260102T030000Z-v3.17.3.dump'] }));
    await eventually(() => expect(cluster.registry().status.restore?.phase).toBe('Refused'));
    expect(cluster.cond('Restored')!.message).toBe(`dump ${dump} is not on PersistentVolumeClaim ${NAME}-quay-backups; this registry's newest there: ${NAME}-postgres-20260102T030000Z-${VERSION}.dump`);
  });

  test('a failed restore: Failed with the log, Quay started again on the database as it was', async () => {
    const dump = `${NAME}-postgres-20260102T030000Z-${VERSION}.dump`;
    cluster.annotate({ 'quay-operator/restore': dump });
    await eventually(() => expect(cluster.inspectJob()).toBeDefined());
    cluster.jobRan(cluster.inspectJob()!.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: cluster.metadata() }));
    await eventually(() => expect(cluster.restoreJob()).toBeDefined());
    cluster.jobRan(cluster.restoreJob()!.metadata.name, 3, 'restoring x\nERROR:  role "someone" does not exist');
    await eventually(() => expect(cluster.registry().status.restore?.phase).toBe('Failed'));
    expect(cluster.cond('Restored')).toMatchObject({ reason: 'RestoreFailed' });
    expect(cluster.cond('Restored')!.message).toContain('ERROR:  role "someone" does not exist; the database is as it was (the restore is one transaction)');
    await eventually(() => expect(cluster.cond('Available')?.status).toBe('True'));
    await eventually(() => expect(cluster.events('RestoreFailed').map((e) => e.type)).toEqual(['Warning']));
  });
});

describe('quay-operator restore (the CLI, with the operator running)', () => {
  /** The restore's pods: the inspect Job reports `meta`, the restore Job succeeds. */
  function answerRestoreJobs(meta: Obj): () => void {
    const timer = setInterval(() => {
      try {
        for (const job of server.list('batch/v1', 'Job', NS) as Obj[]) {
          if (job.status?.succeeded || job.status?.failed) continue;
          if (job.metadata.name.startsWith(`${NAME}-restore-inspect-`)) cluster.jobRan(job.metadata.name, 0, JSON.stringify({ found: true, actualSize: meta.size, metadata: meta }));
          else if (/-restore-[0-9a-f]{8}$/.test(job.metadata.name)) cluster.jobRan(job.metadata.name, 0, JSON.stringify({ restored: meta.dump }));
        }
      } catch {
        // next tick
      }
    }, 50);
    return () => clearInterval(timer);
  }

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t), env: {} };
    const { restoreCommand } = await import('../../lib/cli/restore');
    const code = await restoreCommand(args, io, { connection: server.kubeConfig(), pollMs: 50 });
    return { code, stdout, stderr };
  }

  test('restored: exit 0, the progress on stderr, the outcome on stdout', async () => {
    const meta = cluster.metadata();
    const stop = answerRestoreJobs(meta);
    try {
      const r = await cli(['-n', NS, NAME, meta.dump]);
      expect(r.stderr).toContain(`asked the operator to restore ${meta.dump} into ${NS}/${NAME}`);
      expect(r.stderr).toMatch(/^Restoring: restoring .* \(Job example-registry-restore-[0-9a-f]{8}\); Quay, mirror and Clair are stopped meanwhile$/m);
      expect([r.code, r.stdout]).toEqual([0, `restored ${meta.dump} (taken 2026-01-02T03:00:00Z with Quay ${VERSION}) into the postgres database; Quay, mirror and Clair run again\n`]);
    } finally {
      stop();
    }
  });

  test("refused by the operator (a newer Quay's dump): exit 2, the reason on stderr", async () => {
    const meta = cluster.metadata({ dump: `${NAME}-postgres-20260102T030000Z-v3.99.0.dump`, quayVersion: 'v3.99.0' });
    const stop = answerRestoreJobs(meta);
    try {
      const r = await cli(['-n', NS, NAME, meta.dump]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n').pop()).toBe(
        `error: restore refused: dump ${meta.dump} was taken with Quay v3.99.0, newer than this operator's ${VERSION}: its database schema is ahead of what this Quay runs; restore it with an operator of v3.99.0 or later`,
      );
    } finally {
      stop();
    }
  });

  test("refused from the dump's name, before anything is asked: exit 2, no annotation", async () => {
    const r = await cli(['-n', NS, NAME, 'other-postgres-20260102T030000Z-v3.17.3.dump']);
    expect([r.code, r.stderr]).toEqual([2, `error: dump other-postgres-20260102T030000Z-v3.17.3.dump is registry other's, not ${NAME}'s: a registry restores only its own dumps\n`]);
    expect(cluster.registry().metadata.annotations?.['quay-operator/restore']).toBeUndefined();
    const usage = await main(['restore', '-n', NS, NAME], { stdout: () => undefined, stderr: () => undefined, env: {} });
    expect(usage).toBe(2);
  });
});
