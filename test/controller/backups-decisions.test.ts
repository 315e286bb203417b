// status.backups, the BackupFailed condition and the backup Events decided directly
// (lib/controller/backups.ts): which Jobs a CronJob made and which one is the last, what a pod's
// termination message says (a stubbed Pod list), which dump a backup wrote, which finished Jobs' pods
// are read (once), and what the admin sees for a backup that succeeded, failed or runs. The fake API
// server runs the same in backup-restore.test.ts and backup-object-storage.test.ts (slow).
import { backupJobsToRead, backupReport, dumpFromReport, jobsOf, readTerminationMessage } from '../../lib/controller/backups';
import type { KubeClient } from '../../lib/controller/kube-client';
import type { ObservedState } from '../../lib/controller/observed';
import type { KubeObject } from '../../lib/synth';
import type { QuayRegistryStatus } from '../../lib/api/types';
import type { BackupStatus } from '../../lib/api/backup';
import { testModel } from '../support/model';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const PG = `${NAME}-postgres-backup`;
const CLAIR = `${NAME}-clairpostgres-backup`;
const SCHEDULE = '0 3 * * *';
const model = (backup: Obj | null = { schedule: SCHEDULE }) => testModel({ spec: backup ? { backup } : {} });
const DUMP = `${NAME}-postgres-20260102T030000Z-v3.99.0.dump`;
const OLD_DUMP = `${NAME}-postgres-20260101T030000Z-v3.99.0.dump`;

const BACKOFF = { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
const STATES: Record<string, Obj> = {
  succeeded: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
  failed: { failed: 1, conditions: [BACKOFF] },
  active: { active: 1 },
  pending: {},
};
function job(name: string, cronJob: string, state: keyof typeof STATES, created?: string, ownerKind = 'CronJob'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS, ...(created ? { creationTimestamp: created } : {}), ownerReferences: [{ apiVersion: 'batch/v1', kind: ownerKind, name: cronJob, uid: `uid-${cronJob}` }] },
    status: STATES[state],
  } as KubeObject;
}
const cron = (name: string, status: Obj = {}) => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: NS }, status }) as KubeObject;
const observe = (...owned: KubeObject[]): ObservedState => ({ owned });
const meta = (over: Obj = {}) => JSON.stringify({ dump: DUMP, size: 12345, registry: NAME, component: 'postgres', ...over });

describe('jobsOf', () => {
  test('the Jobs this CronJob owns, oldest first (by name at a tie, or without a creationTimestamp)', () => {
    const observed = observe(
      job('c', PG, 'succeeded', '2026-01-02T03:00:00Z'),
      job('other', CLAIR, 'succeeded', '2026-01-01T03:00:00Z'),
      job('b', PG, 'failed', '2026-01-01T03:00:00Z'),
      job('a', PG, 'failed', '2026-01-01T03:00:00Z'),
      job('early', PG, 'failed'),
      job('manual', PG, 'succeeded', '2026-01-03T00:00:00Z', 'QuayRegistry'),
      cron(PG),
      { ...job('not-a-job', PG, 'succeeded', '2026-01-04T00:00:00Z'), kind: 'Pod' } as KubeObject,
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'orphan', namespace: NS } } as KubeObject,
    );
    expect(jobsOf(observed, PG).map((j) => j.metadata.name)).toEqual(['early', 'a', 'b', 'c']);
    expect(jobsOf(observed, CLAIR).map((j) => j.metadata.name)).toEqual(['other']);
    expect(jobsOf(observed, 'none')).toEqual([]);
    // Whichever way they come, one without a creationTimestamp sorts first.
    const names = (...jobs: KubeObject[]) => jobsOf(observe(...jobs), PG).map((j) => j.metadata.name);
    expect(names(job('x', PG, 'failed', '2026-01-01T03:00:00Z'), job('y', PG, 'failed'))).toEqual(['y', 'x']);
    expect(names(job('y', PG, 'failed'), job('x', PG, 'failed', '2026-01-01T03:00:00Z'))).toEqual(['y', 'x']);
  });
});

describe('readTerminationMessage', () => {
  const pod = (name: string, status: Obj) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, status });
  const ended = (finishedAt: string | undefined, message: string | undefined, exitCode?: number) => ({ state: { terminated: { ...(finishedAt ? { finishedAt } : {}), ...(message !== undefined ? { message } : {}), ...(exitCode !== undefined ? { exitCode } : {}) } } });
  function client(pods: Obj[] | Error) {
    const asked: Obj[] = [];
    const c = {
      list: async (t: Obj, selector: Obj) => {
        asked.push({ kind: t.kind, ...selector });
        if (pods instanceof Error) throw pods;
        return { items: pods, resourceVersion: '1' };
      },
    } as unknown as KubeClient;
    return { c, asked };
  }

  test('the Job\'s pods by job-name; the last container to end, trimmed, with its exit code', async () => {
    const { c, asked } = client([
      pod('p1', { containerStatuses: [ended('2026-01-02T03:00:05Z', 'first try', 1)] }),
      pod('p2', { containerStatuses: [{ state: { running: {} } }, ended('2026-01-02T03:05:00Z', '  {"dump":"x"}\n', 0)] }),
      pod('p3', { containerStatuses: [ended('2026-01-02T03:01:00Z', 'middle', 2)] }),
    ]);
    expect(await readTerminationMessage(c, NS, 'j-1')).toEqual({ message: '{"dump":"x"}', exitCode: 0 });
    expect(asked).toEqual([{ kind: 'Pod', namespace: NS, labelSelector: 'job-name=j-1' }]);
  });

  test('init containers count, and at a tie of finishedAt the pod\'s own container is the last', async () => {
    const initFailed = client([pod('p', { initContainerStatuses: [ended('2026-01-02T03:00:09Z', 'pg_dump: error: connection refused', 1)], containerStatuses: [{ state: { waiting: { reason: 'PodInitializing' } } }] })]);
    expect(await readTerminationMessage(initFailed.c, NS, 'j')).toEqual({ message: 'pg_dump: error: connection refused', exitCode: 1 });
    const tie = client([pod('p', { initContainerStatuses: [ended('2026-01-02T03:00:09Z', 'dumped', 0)], containerStatuses: [ended('2026-01-02T03:00:09Z', 'uploaded', 0)] })]);
    expect(await readTerminationMessage(tie.c, NS, 'j')).toEqual({ message: 'uploaded', exitCode: 0 });
  });

  test('no message or exit code said: empty and 0; a finishedAt unknown sorts first', async () => {
    const { c } = client([pod('p', { containerStatuses: [ended('2026-01-02T03:00:00Z', 'known'), ended(undefined, undefined)] })]);
    expect(await readTerminationMessage(c, NS, 'j')).toEqual({ message: 'known', exitCode: 0 });
    const reversed = client([pod('p', { containerStatuses: [ended(undefined, 'unknown'), ended('2026-01-02T03:00:00Z', 'known')] })]);
    expect(await readTerminationMessage(reversed.c, NS, 'j')).toEqual({ message: 'known', exitCode: 0 });
    const bare = client([pod('p', { containerStatuses: [ended(undefined, undefined)] })]);
    expect(await readTerminationMessage(bare.c, NS, 'j')).toEqual({ message: '', exitCode: 0 });
  });

  test('nothing known: no pods, none ended, pods without status, or the list refused', async () => {
    expect(await readTerminationMessage(client([]).c, NS, 'j')).toBeUndefined();
    expect(await readTerminationMessage(client([pod('p', { containerStatuses: [{ state: { running: {} } }, {}] }), { metadata: { name: 'q' } }]).c, NS, 'j')).toBeUndefined();
    expect(await readTerminationMessage(client(new Error('forbidden')).c, NS, 'j')).toBeUndefined();
  });
});

describe('dumpFromReport', () => {
  const m = model();
  test('a successful backup\'s metadata: the dump and its size', () => {
    expect(dumpFromReport({ message: meta(), exitCode: 0 }, m, 'postgres')).toEqual({ dump: DUMP, size: 12345 });
  });
  test.each([
    ['no report', undefined],
    ['a non-zero exit', { message: meta(), exitCode: 1 }],
    ['not JSON (a log tail)', { message: 'pg_dump: error', exitCode: 0 }],
    ['another registry\'s', { message: meta({ registry: 'other' }), exitCode: 0 }],
    ['another database\'s', { message: meta({ component: 'clairpostgres' }), exitCode: 0 }],
    ['no dump name', { message: meta({ dump: 7 }), exitCode: 0 }],
    ['a size as text', { message: meta({ size: '12345' }), exitCode: 0 }],
  ])('none from %s', (_what, report) => {
    expect(dumpFromReport(report, m, 'postgres')).toBeUndefined();
  });
});

describe('backupJobsToRead', () => {
  const both = model({ schedule: SCHEDULE, components: ['postgres', 'clairpostgres'] });
  const status = (...backups: BackupStatus[]) => ({ backups }) as QuayRegistryStatus;

  test('the last finished Job of each CronJob the status does not hold yet', () => {
    const observed = observe(job('pg-1', PG, 'failed', '2026-01-01T03:00:00Z'), job('pg-2', PG, 'succeeded', '2026-01-02T03:00:00Z'), job('cl-1', CLAIR, 'failed', '2026-01-02T03:00:00Z'));
    expect(backupJobsToRead(both, observed, undefined)).toEqual(['pg-2', 'cl-1']);
    // The status holds pg-2's outcome: not read again; cl-1 was Running then: read.
    expect(backupJobsToRead(both, observed, status({ component: 'postgres', lastJob: 'pg-2', outcome: 'Succeeded' }, { component: 'clairpostgres', lastJob: 'cl-1', outcome: 'Running' }))).toEqual(['cl-1']);
    // Another Job (or another outcome) recorded for postgres: read.
    expect(backupJobsToRead(both, observed, status({ component: 'postgres', lastJob: 'pg-1', outcome: 'Succeeded' }, { component: 'clairpostgres', lastJob: 'cl-1', outcome: 'Failed' }))).toEqual(['pg-2']);
  });

  test('nothing for Jobs still running or pending, for no Job, or without spec.backup', () => {
    expect(backupJobsToRead(both, observe(job('pg-1', PG, 'active'), job('cl-1', CLAIR, 'pending')), undefined)).toEqual([]);
    expect(backupJobsToRead(both, observe(), undefined)).toEqual([]);
    expect(backupJobsToRead(model(null), observe(job('pg-1', PG, 'failed')), undefined)).toEqual([]);
    // Only spec.backup's components: postgres alone by default.
    expect(backupJobsToRead(model(), observe(job('cl-1', CLAIR, 'failed')), undefined)).toEqual([]);
  });
});

describe('backupReport', () => {
  const m = model();
  const LOGS = `see \`kubectl logs -n ${NS} job/`;
  const reports = (entries: [string, string, number][] = []) => new Map(entries.map(([job, message, exitCode]) => [job, { message, exitCode }]));
  const previous = (b: Partial<BackupStatus>) => ({ backups: [{ component: 'postgres', cronJob: PG, ...b }] }) as QuayRegistryStatus;

  test('without spec.backup: nothing at all', () => {
    expect(backupReport(model(null), observe(job('pg-1', PG, 'failed')), undefined, reports())).toEqual({ events: [] });
  });

  test('before the first backup: None, NoBackupYet with the schedule, no Event', () => {
    expect(backupReport(m, observe(cron(PG)), undefined, reports())).toEqual({
      backups: [{ component: 'postgres', cronJob: PG, outcome: 'None' }],
      condition: { status: false, reason: 'NoBackupYet', message: 'no backup has completed yet (schedule "0 3 * * *")' },
      events: [],
    });
  });

  test('a backup that just succeeded: its dump and size, the CronJob\'s times, BackupSucceeded and an Event', () => {
    const observed = observe(cron(PG, { lastScheduleTime: '2026-01-02T03:00:00Z', lastSuccessfulTime: '2026-01-02T03:00:10Z' }), job('pg-2', PG, 'succeeded', '2026-01-02T03:00:00Z'));
    const before = previous({ lastJob: 'pg-1', lastDump: OLD_DUMP, lastSize: 1, outcome: 'Succeeded', lastScheduleTime: '2026-01-01T03:00:00Z' });
    expect(backupReport(m, observed, before, reports([['pg-2', meta(), 0]]))).toEqual({
      backups: [{ component: 'postgres', cronJob: PG, lastScheduleTime: '2026-01-02T03:00:00Z', lastSuccessfulTime: '2026-01-02T03:00:10Z', lastJob: 'pg-2', lastDump: DUMP, lastSize: 12345, outcome: 'Succeeded' }],
      condition: { status: false, reason: 'BackupSucceeded', message: 'the last backup of each database succeeded' },
      events: [{ type: 'Normal', reason: 'BackupSucceeded', message: `backed up the postgres database to ${DUMP} (12345 bytes)` }],
    });
  });

  test('succeeded, its metadata unreadable: no dump claimed (not the older one either); the Event says less', () => {
    const before = previous({ lastJob: 'pg-1', lastDump: OLD_DUMP, lastSize: 1, outcome: 'Succeeded' });
    const r = backupReport(m, observe(job('pg-2', PG, 'succeeded')), before, reports());
    expect(r.backups).toEqual([{ component: 'postgres', cronJob: PG, lastJob: 'pg-2', outcome: 'Succeeded' }]);
    expect(r.events).toEqual([{ type: 'Normal', reason: 'BackupSucceeded', message: 'backed up the postgres database' }]);
  });

  test('a Job seen running at the last status that has now succeeded: reported now, with its dump and an Event', () => {
    const before = previous({ lastJob: 'pg-2', lastDump: OLD_DUMP, lastSize: 1, outcome: 'Running' });
    const r = backupReport(m, observe(job('pg-2', PG, 'succeeded')), before, reports([['pg-2', meta(), 0]]));
    expect(r.backups).toEqual([{ component: 'postgres', cronJob: PG, lastJob: 'pg-2', lastDump: DUMP, lastSize: 12345, outcome: 'Succeeded' }]);
    expect(r.events).toEqual([{ type: 'Normal', reason: 'BackupSucceeded', message: `backed up the postgres database to ${DUMP} (12345 bytes)` }]);
  });

  test('a new CronJob without status yet: the status\'s times stay', () => {
    const before = previous({ lastScheduleTime: '2026-01-01T03:00:00Z', lastSuccessfulTime: '2026-01-01T03:00:09Z', outcome: 'None' });
    const bare = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: PG, namespace: NS } } as KubeObject;
    expect(backupReport(m, observe(bare), before, reports()).backups).toEqual([{ component: 'postgres', cronJob: PG, lastScheduleTime: '2026-01-01T03:00:00Z', lastSuccessfulTime: '2026-01-01T03:00:09Z', outcome: 'None' }]);
  });

  test('a failed Job is no good dump, even if its pod wrote the metadata', () => {
    const before = previous({ lastJob: 'pg-1', lastDump: OLD_DUMP, lastSize: 9, outcome: 'Succeeded' });
    const r = backupReport(m, observe(job('pg-2', PG, 'failed')), before, reports([['pg-2', meta(), 0]]));
    expect(r.backups![0]).toMatchObject({ lastJob: 'pg-2', lastDump: OLD_DUMP, lastSize: 9, outcome: 'Failed' });
  });

  test('the same succeeded Job at the next reconcile: what the status knew, the CronJob\'s times kept, no Event', () => {
    const before = previous({ lastScheduleTime: '2026-01-02T03:00:00Z', lastSuccessfulTime: '2026-01-02T03:00:10Z', lastJob: 'pg-2', lastDump: DUMP, lastSize: 0, outcome: 'Succeeded' });
    const r = backupReport(m, observe(cron(PG), job('pg-2', PG, 'succeeded')), before, reports());
    expect(r).toEqual({ backups: before.backups, condition: { status: false, reason: 'BackupSucceeded', message: 'the last backup of each database succeeded' }, events: [] });
  });

  test('a Job gone (deleted): the status\'s last Job, dump, outcome and message stay', () => {
    const before = previous({ lastJob: 'pg-2', lastDump: DUMP, lastSize: 5, outcome: 'Failed', message: 'why' });
    const r = backupReport(m, observe(), before, reports());
    expect(r.backups).toEqual([{ component: 'postgres', cronJob: PG, lastJob: 'pg-2', lastDump: DUMP, lastSize: 5, outcome: 'Failed', message: 'why' }]);
    expect(r.events).toEqual([]);
  });

  test('a backup that just failed: why and the log tail (400 characters at most), the last good dump, how to read the logs, a Warning', () => {
    const tail = 'x'.repeat(50) + 'pg_dump: error: connection to server failed: ' + 'y'.repeat(400);
    const before = previous({ lastJob: 'pg-1', lastDump: OLD_DUMP, lastSize: 9, outcome: 'Succeeded' });
    const r = backupReport(m, observe(job('pg-2', PG, 'failed')), before, reports([['pg-2', tail, 1]]));
    const message = `Job has reached the specified backoff limit: ${tail.slice(-400)}`;
    expect(r).toEqual({
      backups: [{ component: 'postgres', cronJob: PG, lastJob: 'pg-2', lastDump: OLD_DUMP, lastSize: 9, outcome: 'Failed', message }],
      condition: {
        status: true,
        reason: 'BackupJobFailed',
        message: `the last backup of the postgres database failed (Job pg-2): ${message}; the last good one is ${OLD_DUMP}; ${LOGS}pg-2\``,
      },
      events: [{ type: 'Warning', reason: 'BackupFailed', message: `backup of the postgres database failed (Job pg-2): ${message}` }],
    });
  });

  test('failed with nothing said: a plain message; no good dump yet; a bucket\'s backup logs from all containers', () => {
    const s3 = model({ schedule: SCHEDULE, destination: { objectStorage: {} } });
    const failed = { ...job('pg-1', PG, 'failed'), status: { failed: 1, conditions: [{ type: 'Failed', status: 'True' }] } } as KubeObject;
    const r = backupReport(s3, observe(failed), undefined, reports());
    expect(r.backups).toEqual([{ component: 'postgres', cronJob: PG, lastJob: 'pg-1', outcome: 'Failed', message: 'the backup Job failed' }]);
    expect(r.condition).toEqual({
      status: true,
      reason: 'BackupJobFailed',
      message: `the last backup of the postgres database failed (Job pg-1): the backup Job failed; no backup has succeeded yet; ${LOGS}pg-1 --all-containers\``,
    });
    // Only the tail when the Job says no reason.
    expect(backupReport(s3, observe(failed), undefined, reports([['pg-1', 'upload failed', 1]])).backups![0].message).toBe('upload failed');
  });

  test('the same failed Job at the next reconcile: the message the status has (its pods are not read again), no Event', () => {
    const before = previous({ lastJob: 'pg-2', lastDump: OLD_DUMP, outcome: 'Failed', message: 'Job has reached the specified backoff limit: pg_dump: error' });
    const r = backupReport(m, observe(job('pg-2', PG, 'failed')), before, reports());
    expect(r.backups).toEqual(before.backups);
    expect(r.condition).toEqual({
      status: true,
      reason: 'BackupJobFailed',
      message: `the last backup of the postgres database failed (Job pg-2): Job has reached the specified backoff limit: pg_dump: error; the last good one is ${OLD_DUMP}; ${LOGS}pg-2\``,
    });
    expect(r.events).toEqual([]);
  });

  test('a backup running (or its pod pending): Running, the last dump kept, no Event', () => {
    const before = previous({ lastJob: 'pg-1', lastDump: OLD_DUMP, lastSize: 9, outcome: 'Succeeded' });
    for (const state of ['active', 'pending'] as const) {
      const r = backupReport(m, observe(job('pg-1', PG, 'succeeded', '2026-01-01T03:00:00Z'), job('pg-2', PG, state, '2026-01-02T03:00:00Z')), before, reports());
      expect(r.backups).toEqual([{ component: 'postgres', cronJob: PG, lastJob: 'pg-2', lastDump: OLD_DUMP, lastSize: 9, outcome: 'Running' }]);
      expect(r.events).toEqual([]);
    }
  });

  test('two databases: each its own status; one failed makes the condition True, naming only it', () => {
    const both = model({ schedule: SCHEDULE, components: ['postgres', 'clairpostgres'] });
    const observed = observe(job('pg-2', PG, 'succeeded'), job('cl-2', CLAIR, 'failed'));
    const r = backupReport(both, observed, undefined, reports([['pg-2', meta(), 0], ['cl-2', 'boom', 1]]));
    expect(r.backups!.map((b) => [b.component, b.cronJob, b.outcome])).toEqual([
      ['postgres', PG, 'Succeeded'],
      ['clairpostgres', CLAIR, 'Failed'],
    ]);
    expect(r.condition).toEqual({
      status: true,
      reason: 'BackupJobFailed',
      message: `the last backup of the clairpostgres database failed (Job cl-2): Job has reached the specified backoff limit: boom; no backup has succeeded yet; ${LOGS}cl-2\``,
    });
    expect(r.events.map((e) => e.reason)).toEqual(['BackupSucceeded', 'BackupFailed']);
    // Both failed: both named, in order.
    const twice = backupReport(both, observe(job('pg-2', PG, 'failed'), job('cl-2', CLAIR, 'failed')), undefined, reports());
    expect(twice.condition!.message).toBe(
      `the last backup of the postgres database failed (Job pg-2): Job has reached the specified backoff limit; no backup has succeeded yet; ${LOGS}pg-2\`; ` +
        `the last backup of the clairpostgres database failed (Job cl-2): Job has reached the specified backoff limit; no backup has succeeded yet; ${LOGS}cl-2\``,
    );
  });

  test('two databases: each keeps its own previous status', () => {
    const both = model({ schedule: SCHEDULE, components: ['postgres', 'clairpostgres'] });
    const before = {
      backups: [
        { component: 'postgres', cronJob: PG, lastJob: 'pg-1', lastDump: OLD_DUMP, outcome: 'Succeeded' },
        { component: 'clairpostgres', cronJob: CLAIR, lastJob: 'cl-1', outcome: 'Failed', message: 'boom' },
      ],
    } as QuayRegistryStatus;
    expect(backupReport(both, observe(), before, reports()).backups).toEqual(before.backups);
  });

  test('a database no longer managed is left out', () => {
    const both = model({ schedule: SCHEDULE, components: ['postgres', 'clairpostgres'] });
    const unmanaged = { ...both, components: { ...both.components, clairpostgres: { ...both.components.clairpostgres, managed: false } } };
    const r = backupReport(unmanaged, observe(job('cl-2', CLAIR, 'failed')), undefined, reports());
    expect(r.backups).toEqual([{ component: 'postgres', cronJob: PG, outcome: 'None' }]);
    expect(r.condition!.reason).toBe('NoBackupYet');
  });
});
