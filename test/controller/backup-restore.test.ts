// spec.backup and the restore annotation against the fake API server, as the operator's ServiceAccount:
// the CronJob applied; a backup Job that succeeded (its pod's termination message: the dump's
// metadata) and one that failed reported in status.backups, the BackupFailed condition and Events;
// a restore (annotation → inspect Job → Quay, mirror and Clair at 0 → restore Job → started again,
// Available); refused restores (another registry's dump, a newer Quay's), nothing stopped. The fake
// runs no pods: this test plays the CronJob controller and the Jobs' pods.
import type { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../../lib/controller/controller';
import { keysDigest } from '../../constructs/backup';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { admitRoutes, bindBucket, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';
import { testModel } from '../support/model';
import { ensureManagedKeys, keysFromSecret } from '../../lib/keys';
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

const get = (apiVersion: string, kind: string, name: string) => server.get(apiVersion, kind, NS, name) as Obj | undefined;
const registry = () => get('quay.redhat.com/v1', 'QuayRegistry', NAME)!;
const cond = (type: string) => ((registry().status?.conditions ?? []) as Obj[]).find((c) => c.type === type);
const events = (reason: string) => (server.list('v1', 'Event', NS) as Obj[]).filter((e) => e.reason === reason);
const replicas = (name: string) => get('apps/v1', 'Deployment', `${NAME}-${name}`)?.spec.replicas;

/** The cluster, but for Jobs: only the migration Job succeeds by itself; the test decides the others. */
function simulate(): () => void {
  const timer = setInterval(() => {
    try {
      settleDeployments(server, NS);
      bindBucket(server, NS, NAME);
      admitRoutes(server, NS);
      for (const job of server.list('batch/v1', 'Job', NS) as Obj[]) {
        if (job.metadata.name === `${NAME}-quay-app-upgrade` && !job.status?.succeeded && !job.status?.failed) completeJob(server, NS, job.metadata.name);
      }
    } catch {
      // deleted meanwhile: next tick
    }
  }, 50);
  return () => clearInterval(timer);
}

/** A Job's pod, ended with `exitCode` and `message` (its termination message), then the Job's outcome. */
function jobRan(name: string, exitCode: number, message: string): void {
  const job = get('batch/v1', 'Job', name)!;
  const podName = `${name}-x1`;
  server.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName, namespace: NS, labels: { ...job.spec.template.metadata.labels, 'job-name': name } },
    spec: job.spec.template.spec,
  });
  const container = job.spec.template.spec.containers[0].name;
  server.updateStatus('v1', 'Pod', NS, podName, {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    containerStatuses: [{ name: container, ready: false, restartCount: 0, image: 'x', imageID: 'x', state: { terminated: { exitCode, message, finishedAt: '2026-01-02T03:00:10Z', startedAt: '2026-01-02T03:00:00Z' } } }],
  });
  completeJob(server, NS, name, exitCode === 0 ? 'succeeded' : 'failed');
}

/** The CronJob controller: a Job from the CronJob's template at `stamp`, its schedule time in the CronJob's status. */
function cronJobStarts(stamp: string): string {
  const cron = get('batch/v1', 'CronJob', CRON)!;
  const name = `${CRON}-${stamp}`;
  server.create({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: NS,
      labels: cron.spec.jobTemplate.metadata.labels,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: CRON, uid: cron.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: cron.spec.jobTemplate.spec,
  });
  server.updateStatus('batch/v1', 'CronJob', NS, CRON, { ...cron.status, lastScheduleTime: '2026-01-02T03:00:00Z', active: [{ kind: 'Job', name, namespace: NS }] });
  return name;
}

/** The metadata the backup script writes. */
function metadata(overrides: Obj = {}): Obj {
  const reg = registry();
  const keys = keysFromSecret(get('v1', 'Secret', `${NAME}-quay-registry-managed-secret-keys`)!);
  const model = testModel({ spec: { backup: BACKUP } });
  const digest = keysDigest({ ...model, keys: ensureManagedKeys(NAME, keys), keysKnown: true });
  return {
    dump: `${NAME}-postgres-20260102T030000Z-${VERSION}.dump`,
    registry: NAME,
    namespace: NS,
    uid: reg.metadata.uid,
    component: 'postgres',
    database: `${NAME}-quay-database`,
    quayVersion: VERSION,
    created: '2026-01-02T03:00:00Z',
    size: 123456,
    image: 'quay.io/sclorg/postgresql-13-c9s:latest',
    keysDigest: digest,
    format: 'pg_dump-custom',
    ...overrides,
  };
}

/** A backup that ran and succeeded: its dump's name. */
function backupSucceeded(stamp = '29000000'): string {
  const job = cronJobStarts(stamp);
  const m = metadata();
  jobRan(job, 0, JSON.stringify(m));
  const cron = get('batch/v1', 'CronJob', CRON)!;
  server.updateStatus('batch/v1', 'CronJob', NS, CRON, { lastScheduleTime: cron.status.lastScheduleTime, lastSuccessfulTime: '2026-01-02T03:00:10Z' });
  return m.dump;
}

function annotate(annotations: Record<string, string | null>): void {
  server.apply({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS, annotations } }, { fieldManager: 'kubectl', force: true });
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  kubeConfig = installOperator(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', backup: BACKUP } });
  stopSim = simulate();
  controller = await startController(kubeConfig, { quayVersion: VERSION });
  await eventually(() => expect(cond('Available')?.status).toBe('True'), 20_000);
});

afterEach(async () => {
  stopSim?.();
  const refused = await shutDown(server, controller, [409, 404]);
  controller = undefined;
  expect(refused).toEqual([]);
});

describe('scheduled backups', () => {
  test('the CronJob is applied, owned by the registry; no backup yet', async () => {
    const cron = get('batch/v1', 'CronJob', CRON)!;
    expect(cron.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'QuayRegistry', name: NAME, uid: registry().metadata.uid })]);
    expect(cron.spec).toMatchObject({ schedule: '0 3 * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600, suspend: false });
    const env = cron.spec.jobTemplate.spec.template.spec.containers[0].env as Obj[];
    expect(env).toContainEqual({ name: 'REGISTRY_UID', value: registry().metadata.uid });
    expect(get('v1', 'PersistentVolumeClaim', `${NAME}-quay-backups`)).toBeDefined();
    await eventually(() => expect(registry().status.backups).toEqual([{ component: 'postgres', cronJob: CRON, outcome: 'None' }]));
    expect(cond('BackupFailed')).toMatchObject({ status: 'False', reason: 'NoBackupYet' });
  });

  test('a completed backup: time, dump and size in status.backups, a Normal Event', async () => {
    const dump = backupSucceeded();
    await eventually(() =>
      expect(registry().status.backups).toEqual([
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
    expect(cond('BackupFailed')).toMatchObject({ status: 'False', reason: 'BackupSucceeded' });
    await eventually(() => expect(events('BackupSucceeded').map((e) => e.message)).toHaveLength(1));
    expect(events('BackupSucceeded').map((e) => e.message)).toEqual([`backed up the postgres database to ${dump} (123456 bytes)`]);
  });

  test('a failed backup: the BackupFailed condition and a Warning Event, once; the last good dump still named', async () => {
    const good = backupSucceeded();
    await eventually(() => expect(registry().status.backups[0].outcome).toBe('Succeeded'));
    const job = cronJobStarts('29001440');
    jobRan(job, 1, 'backing up database example-registry-quay-database\npg_dump: error: connection to server at "example-registry-quay-database" failed: Connection refused');
    await eventually(() => expect(cond('BackupFailed')?.status).toBe('True'));
    expect(cond('BackupFailed')).toMatchObject({
      reason: 'BackupJobFailed',
      message: `the last backup of the postgres database failed (Job ${job}): Job has reached the specified backoff limit: backing up database example-registry-quay-database\npg_dump: error: connection to server at "example-registry-quay-database" failed: Connection refused; the last good one is ${good}; see \`kubectl logs -n ${NS} job/${job}\``,
    });
    expect(registry().status.backups[0]).toMatchObject({ outcome: 'Failed', lastJob: job, lastDump: good, lastSize: 123456 });
    await eventually(() => expect(events('BackupFailed')).toHaveLength(1));
    const warnings = events('BackupFailed');
    expect(warnings.map((e) => e.type)).toEqual(['Warning']);
    expect(warnings[0].message).toContain('pg_dump: error: connection to server');
    // Reconciles after it record no second Event.
    annotate({ 'example.com/touch': '1' });
    await controller!.whenIdle();
    expect(events('BackupFailed')).toHaveLength(1);
  });
});

describe('restore', () => {
  const inspectJob = () => (server.list('batch/v1', 'Job', NS) as Obj[]).find((j) => j.metadata.name.startsWith(`${NAME}-restore-inspect-`));
  const restoreJob = () => (server.list('batch/v1', 'Job', NS) as Obj[]).find((j) => /-restore-[0-9a-f]{8}$/.test(j.metadata.name));

  test('annotation → inspected → Quay, mirror and Clair at 0, backups suspended → restore Job → started again, Available', async () => {
    const dump = backupSucceeded();
    await eventually(() => expect(registry().status.backups[0].lastDump).toBe(dump));
    annotate({ 'quay-operator/restore': dump, 'quay-operator/restore-id': '1' });

    // 1. The dump's metadata is read first; nothing is stopped for it.
    await eventually(() => expect(inspectJob()).toBeDefined());
    await eventually(() => expect(registry().status.restore).toMatchObject({ dump, id: '1', component: 'postgres', phase: 'Inspecting' }));
    expect(cond('Restored')).toMatchObject({ status: 'False', reason: 'RestoreInProgress' });
    expect(replicas('quay-app')).not.toBe(0);
    const inspect = inspectJob()!;
    expect(inspect.spec.template.spec.containers[0].env).toContainEqual({ name: 'DUMP', value: dump });
    jobRan(inspect.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: metadata() }));

    // 2. Quay, mirror and Clair stopped (the HPAs cannot scale a Deployment at 0), backups suspended; then the restore Job.
    await eventually(() => expect(restoreJob()).toBeDefined());
    for (const d of ['quay-app', 'quay-mirror', 'clair-app']) expect(replicas(d)).toBe(0);
    expect(get('batch/v1', 'CronJob', CRON)!.spec.suspend).toBe(true);
    await eventually(() => expect(registry().status.restore).toMatchObject({ phase: 'Restoring' }));
    expect(registry().status.restore).toMatchObject({ phase: 'Restoring', dumpVersion: VERSION, dumpCreated: '2026-01-02T03:00:00Z', dumpSize: 123456 });
    const restore = restoreJob()!;
    expect(restore.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'QuayRegistry', name: NAME })]);
    expect(restore.spec.template.metadata.labels['quay-component']).toBe('postgres-restore');
    jobRan(restore.metadata.name, 0, JSON.stringify({ restored: dump }));

    // 3. Started again; Available; the restore's Jobs kept for their logs.
    await eventually(() => expect(cond('Restored')).toMatchObject({ status: 'True', reason: 'RestoreSucceeded' }));
    await eventually(() => expect(cond('Available')?.status).toBe('True'));
    for (const d of ['quay-app', 'quay-mirror', 'clair-app']) expect(replicas(d)).not.toBe(0);
    expect(get('batch/v1', 'CronJob', CRON)!.spec.suspend).toBe(false);
    expect(registry().status.restore).toMatchObject({ phase: 'Succeeded', message: `restored ${dump} (taken 2026-01-02T03:00:00Z with Quay ${VERSION}) into the postgres database; Quay, mirror and Clair run again` });
    expect(restoreJob()).toBeDefined();
    expect(events('RestoreStarted')).toHaveLength(1);
    await eventually(() => expect(events('RestoreSucceeded')).toHaveLength(1));
    // Done once: a later reconcile starts nothing again.
    annotate({ 'example.com/touch': '1' });
    await controller!.whenIdle();
    expect(registry().status.restore.phase).toBe('Succeeded');
    expect(events('RestoreStarted')).toHaveLength(1);
  });

  test('a dump of the previous minor: restored, then migrated by a new migration Job before Quay serves again', async () => {
    const uidBefore = get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)!.metadata.uid;
    const dump = `${NAME}-postgres-20250601T030000Z-v3.16.0.dump`;
    annotate({ 'quay-operator/restore': dump });
    await eventually(() => expect(inspectJob()).toBeDefined());
    jobRan(inspectJob()!.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: metadata({ dump, quayVersion: 'v3.16.0' }) }));
    await eventually(() => expect(restoreJob()).toBeDefined());
    jobRan(restoreJob()!.metadata.name, 0, JSON.stringify({ restored: dump }));
    // The database is at 3.16 again: the migration Job of before is replaced, and Quay waits for the new one.
    await eventually(() => expect(get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)?.metadata.uid).not.toBe(uidBefore));
    await eventually(() => expect(cond('Restored')).toMatchObject({ status: 'True', reason: 'RestoreSucceeded' }));
    expect(registry().status.restore.message).toBe(`restored ${dump} (taken 2026-01-02T03:00:00Z with Quay v3.16.0) into the postgres database; Quay, mirror and Clair run again, and migrated to ${VERSION}`);
    expect(registry().status.currentVersion).toBe(VERSION);
    expect(events('RestoreMigrating')).toHaveLength(1);
    await eventually(() => expect(cond('Available')?.status).toBe('True'));
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
    annotate({ 'quay-operator/restore': dump });
    await eventually(() => expect(inspectJob()).toBeDefined());
    jobRan(inspectJob()!.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: metadata(bad) }));
    await eventually(() => expect(registry().status.restore?.phase).toBe('Refused'));
    expect(cond('Restored')).toMatchObject({ status: 'False', reason: 'RestoreRefused', message: expected(dump) });
    await eventually(() => expect(events('RestoreRefused').map((e) => [e.type, e.message])).toEqual([['Warning', expected(dump)]]));
    expect(restoreJob()).toBeUndefined();
    expect(replicas('clair-app')).not.toBe(0);
    expect(cond('Available')?.status).toBe('True');
  });

  test("refused from its name alone: another registry's dump, no Job", async () => {
    annotate({ 'quay-operator/restore': `other-postgres-20260102T030000Z-${VERSION}.dump` });
    await eventually(() => expect(registry().status.restore?.phase).toBe('Refused'));
    expect(cond('Restored')!.message).toBe(`dump other-postgres-20260102T030000Z-${VERSION}.dump is registry other's, not ${NAME}'s: a registry restores only its own dumps`);
    expect(inspectJob()).toBeUndefined();
  });

  test('not on the volume: refused, naming the dumps that are', async () => {
    const dump = `${NAME}-postgres-20250101T030000Z-${VERSION}.dump`;
    annotate({ 'quay-operator/restore': dump });
    await eventually(() => expect(inspectJob()).toBeDefined());
    jobRan(inspectJob()!.metadata.name, 0, JSON.stringify({ found: false, available: [`${NAME}-postgres-20260102T030000Z-${VERSION}.dump`, 'other-postgres-20260102T030000Z-v3.17.3.dump'] }));
    await eventually(() => expect(registry().status.restore?.phase).toBe('Refused'));
    expect(cond('Restored')!.message).toBe(`dump ${dump} is not on PersistentVolumeClaim ${NAME}-quay-backups; this registry's newest there: ${NAME}-postgres-20260102T030000Z-${VERSION}.dump`);
  });

  test('a failed restore: Failed with the log, Quay started again on the database as it was', async () => {
    const dump = `${NAME}-postgres-20260102T030000Z-${VERSION}.dump`;
    annotate({ 'quay-operator/restore': dump });
    await eventually(() => expect(inspectJob()).toBeDefined());
    jobRan(inspectJob()!.metadata.name, 0, JSON.stringify({ found: true, actualSize: 123456, metadata: metadata() }));
    await eventually(() => expect(restoreJob()).toBeDefined());
    jobRan(restoreJob()!.metadata.name, 3, 'restoring x\nERROR:  role "someone" does not exist');
    await eventually(() => expect(registry().status.restore?.phase).toBe('Failed'));
    expect(cond('Restored')).toMatchObject({ reason: 'RestoreFailed' });
    expect(cond('Restored')!.message).toContain('ERROR:  role "someone" does not exist; the database is as it was (the restore is one transaction)');
    await eventually(() => expect(cond('Available')?.status).toBe('True'));
    await eventually(() => expect(events('RestoreFailed').map((e) => e.type)).toEqual(['Warning']));
  });
});

describe('quay-operator restore (the CLI, with the operator running)', () => {
  /** The restore's pods: the inspect Job reports `meta`, the restore Job succeeds. */
  function answerRestoreJobs(meta: Obj): () => void {
    const timer = setInterval(() => {
      try {
        for (const job of server.list('batch/v1', 'Job', NS) as Obj[]) {
          if (job.status?.succeeded || job.status?.failed) continue;
          if (job.metadata.name.startsWith(`${NAME}-restore-inspect-`)) jobRan(job.metadata.name, 0, JSON.stringify({ found: true, actualSize: meta.size, metadata: meta }));
          else if (/-restore-[0-9a-f]{8}$/.test(job.metadata.name)) jobRan(job.metadata.name, 0, JSON.stringify({ restored: meta.dump }));
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
    const meta = metadata();
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
    const meta = metadata({ dump: `${NAME}-postgres-20260102T030000Z-v3.99.0.dump`, quayVersion: 'v3.99.0' });
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
    expect(registry().metadata.annotations?.['quay-operator/restore']).toBeUndefined();
    const usage = await main(['restore', '-n', NS, NAME], { stdout: () => undefined, stderr: () => undefined, env: {} });
    expect(usage).toBe(2);
  });
});
