// The reconciler's backup and restore hooks read directly (lib/controller/backup-restore.ts), with the
// restore's own decision (lib/controller/restore.ts, decideRestore) replaced by a stub so each step
// is given exactly: which pods are read in which restore phase (a stubbed Pod list), when Quay,
// mirror and Clair count as stopped, how the plan is changed (workloads held at 0, HPAs dropped,
// backups suspended, the migration held or replaced, the restore's Jobs owned and kept), the status
// conditions and Events, and how soon it reconciles again. backup-restore.test.ts runs the whole
// restore against the fake API server (slow).
import { Applier } from '../../lib/controller/applier';
import { prepareBackupRestore } from '../../lib/controller/backup-restore';
import type { KubeClient } from '../../lib/controller/kube-client';
import type { ObservedState } from '../../lib/controller/observed';
import type { Plan } from '../../lib/controller/plan';
import { RestoreDecision, decideRestore } from '../../lib/controller/restore';
import type { RestoreStatus } from '../../lib/api/backup';
import type { QuayRegistryStatus } from '../../lib/api/types';
import type { KubeObject } from '../../lib/synth';
import { restoreJobName } from '../../constructs/restore';
import { testModel } from '../support/model';

jest.mock('../../lib/controller/restore', () => ({ ...jest.requireActual('../../lib/controller/restore'), decideRestore: jest.fn() }));
const decide = jest.mocked(decideRestore);

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const NOW = new Date('2026-12-01T12:00:00.000Z');
const LATER = '2026-12-01T12:05:00.000Z';
const model = testModel({ spec: { backup: { schedule: '0 3 * * *' } } });
const registry = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS, uid: 'uid-r' } } as KubeObject;
const OWNER = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: NAME, uid: 'uid-r', controller: true, blockOwnerDeletion: true };
const DUMP = `${NAME}-postgres-20260102T030000Z-v3.99.0.dump`;
const MIGRATION = `${NAME}-quay-app-upgrade`;
const SELECTOR = `quay-component in (quay-app,quay-mirror,clair-app),quay-operator/quayregistry=${NAME}`;
const nothing: RestoreDecision = { stopWorkloads: false, holdMigration: false, jobs: [], keep: [] };

const obj = (kind: string, name: string, extra: Obj = {}) => ({ apiVersion: 'v1', kind, metadata: { name, namespace: NS }, ...extra }) as KubeObject;
const deployment = (suffix: string, replicas: number, current = replicas) => obj('Deployment', `${NAME}-${suffix}`, { spec: { replicas }, status: { replicas: current } });
const job = (name: string, status: Obj, extra: Obj = {}) => obj('Job', name, { status, ...extra });
const SUCCEEDED = { succeeded: 1 };
const FAILED = { failed: 1, conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] };
const observe = (...owned: KubeObject[]): ObservedState => ({ owned });

/** A Pod list per label selector (a Job's pods by job-name, or the stopped workloads'); every call recorded. */
function stubClient(pods: Record<string, Obj[] | Error> = {}) {
  const asked: string[] = [];
  const client = {
    list: async (t: Obj, s: Obj) => {
      asked.push(`${t.kind} ${s.namespace} ${s.labelSelector}`);
      const p = pods[s.labelSelector] ?? [];
      if (p instanceof Error) throw p;
      return { items: p, resourceVersion: '1' };
    },
  } as unknown as KubeClient;
  return { client, asked };
}
const podSaying = (message: string, exitCode = 0) => ({ kind: 'Pod', metadata: { name: 'p' }, status: { containerStatuses: [{ state: { terminated: { message, exitCode, finishedAt: '2026-12-01T11:00:00Z' } } }] } });

function prepare(opts: { decision?: RestoreDecision; client?: KubeClient; rendered?: KubeObject[]; observed?: ObservedState; previous?: QuayRegistryStatus } = {}) {
  decide.mockReset();
  decide.mockReturnValue(opts.decision ?? nothing);
  return prepareBackupRestore(opts.client ?? stubClient().client, registry, model, opts.rendered ?? [], opts.observed ?? observe(), opts.previous, NOW);
}
const restoring = (phase: RestoreStatus['phase'], extra: Partial<RestoreStatus> = {}): RestoreStatus => ({ dump: DUMP, phase, ...extra });
const request = (s: RestoreStatus) => ({ dump: s.dump, ...(s.id ? { id: s.id } : {}), component: s.component ?? ('postgres' as const) });

describe('prepare: what is read, and what the restore decision is given', () => {
  test('no restore: the finished backup Job\'s pods only; the decision gets the reports, no previous, the time as text', async () => {
    const backupJob = job(`${NAME}-postgres-backup-1`, SUCCEEDED, { metadata: { name: `${NAME}-postgres-backup-1`, namespace: NS, ownerReferences: [{ kind: 'CronJob', name: `${NAME}-postgres-backup` }] } });
    const { client, asked } = stubClient({ [`job-name=${NAME}-postgres-backup-1`]: [podSaying('{"dump":"d"}')] });
    const observed = observe(backupJob);
    await prepare({ client, observed });
    expect(asked).toEqual([`Pod ${NS} job-name=${NAME}-postgres-backup-1`]);
    expect(decide.mock.calls).toEqual([[{ model, registry, observed, now: '2026-12-01T12:00:00.000Z', reports: new Map([[`${NAME}-postgres-backup-1`, { message: '{"dump":"d"}', exitCode: 0 }]]), workloadsStopped: false }]]);
  });

  test('Inspecting: the inspect Job\'s pods once it ended (succeeded or failed), not while it runs', async () => {
    const prev = restoring('Inspecting', { id: '7' });
    const inspect = restoreJobName(model, request(prev), 'inspect');
    for (const [status, read] of [[SUCCEEDED, true], [FAILED, true], [{ active: 1 }, false]] as const) {
      const { client, asked } = stubClient({ [`job-name=${inspect}`]: [podSaying('{"found":false}')] });
      const observed = observe(job(inspect, status));
      await prepare({ client, observed, previous: { restore: prev } });
      expect(asked).toEqual(read ? [`Pod ${NS} job-name=${inspect}`] : []);
      expect(decide.mock.calls[0][0]).toEqual({ model, registry, observed, previous: prev, now: NOW.toISOString(), reports: read ? new Map([[inspect, { message: '{"found":false}', exitCode: 0 }]]) : new Map(), workloadsStopped: false });
    }
  });

  test('Restoring: the restore Job\'s pods when it failed (its log tail), not when it succeeded', async () => {
    const prev = restoring('Restoring', { component: 'clairpostgres' });
    const restore = restoreJobName(model, request(prev), 'restore');
    for (const [status, read] of [[FAILED, true], [SUCCEEDED, false]] as const) {
      const { client, asked } = stubClient();
      await prepare({ client, observed: observe(job(restore, status)), previous: { restore: prev } });
      expect(asked).toEqual(read ? [`Pod ${NS} job-name=${restore}`] : []);
    }
    // A Job of that name in the status's other phases is not read.
    const { client, asked } = stubClient();
    await prepare({ client, observed: observe(job(restore, FAILED), job(restoreJobName(model, request(prev), 'inspect'), FAILED)), previous: { restore: restoring('Migrating', { component: 'clairpostgres' }) } });
    expect(asked).toEqual([]);
  });

  test('a restore that ended reads nothing (its Jobs stay around)', async () => {
    for (const phase of ['Succeeded', 'Failed', 'Refused'] as const) {
      const prev = restoring(phase);
      const { client, asked } = stubClient();
      await prepare({ client, observed: observe(job(restoreJobName(model, request(prev), 'inspect'), FAILED), job(restoreJobName(model, request(prev), 'restore'), FAILED)), previous: { restore: prev } });
      expect(asked).toEqual([]);
      expect(decide.mock.calls[0][0].workloadsStopped).toBe(false);
    }
  });

  describe('ScalingDown: stopped once Quay, mirror and Clair are at 0 and their pods gone', () => {
    const scalingDown = { restore: restoring('ScalingDown') };
    const stopped = async (observed: ObservedState, pods: Obj[] | Error = []) => {
      const { client, asked } = stubClient({ [SELECTOR]: pods });
      await prepare({ client, observed, previous: scalingDown });
      return { stopped: decide.mock.calls[0][0].workloadsStopped, asked };
    };

    test('all at 0 (or absent) and no pod left: stopped, asked once with the three components', async () => {
      expect(await stopped(observe(deployment('quay-app', 0), deployment('clair-app', 0)))).toEqual({ stopped: true, asked: [`Pod ${NS} ${SELECTOR}`] });
      expect(await stopped(observe())).toEqual({ stopped: true, asked: [`Pod ${NS} ${SELECTOR}`] });
    });

    test.each([
      ['quay-app asked for 1', [deployment('quay-app', 1, 0)]],
      ['mirror still with a pod', [deployment('quay-app', 0), deployment('quay-mirror', 0, 1)]],
      ['clair asked for 2', [deployment('quay-app', 0), deployment('quay-mirror', 0), deployment('clair-app', 2)]],
      ['clair without spec.replicas (1 by default)', [{ ...deployment('clair-app', 0), spec: {} } as KubeObject]],
      ['mirror without spec', [{ ...deployment('quay-mirror', 0), spec: undefined } as KubeObject]],
    ])('not stopped: %s (no pod list asked)', async (_what, deployments) => {
      expect(await stopped(observe(...deployments))).toEqual({ stopped: false, asked: [] });
    });

    test('a Deployment at 0 without status counts as no pod', async () => {
      expect((await stopped(observe({ ...deployment('quay-app', 0), status: undefined } as KubeObject))).stopped).toBe(true);
    });

    test('not stopped while a pod is left, or when the pods cannot be listed', async () => {
      expect((await stopped(observe(), [{ kind: 'Pod', metadata: { name: 'quay-app-1' } }])).stopped).toBe(false);
      expect((await stopped(observe(), new Error('forbidden'))).stopped).toBe(false);
    });

    test('another registry\'s or another kind\'s objects do not count', async () => {
      expect((await stopped(observe(obj('StatefulSet', `${NAME}-quay-app`, { spec: { replicas: 3 } }), deployment('config-editor', 1)))).stopped).toBe(true);
    });
  });
});

describe('adjust: the plan under a restore', () => {
  const r = (kind: string, suffix: string, spec: Obj = {}) => Applier.stamp(obj(kind, `${NAME}-${suffix}`, { spec }));
  const quay = r('Deployment', 'quay-app', { replicas: 2 });
  const mirror = r('Deployment', 'quay-mirror', { replicas: 1 });
  const clair = r('Deployment', 'clair-app', { replicas: 3 });
  const hpa = r('HorizontalPodAutoscaler', 'quay-app');
  const hpaClair = r('HorizontalPodAutoscaler', 'clair-app');
  const cron = r('CronJob', 'postgres-backup', { schedule: '0 3 * * *' });
  const migration = r('Job', 'quay-app-upgrade');
  const config = r('ConfigMap', 'quay-config');
  const redis = r('Deployment', 'quay-redis', { replicas: 1 });
  const rendered = [config, redis, quay, mirror, clair, hpa, hpaClair, cron, migration];
  const basePlan = (over: Partial<Plan> = {}) => ({ apply: [config, redis, quay, hpa, hpaClair, cron, migration], remove: [], migration: { phase: 'running' }, currentVersion: 'v3.98.0', ...over }) as unknown as Plan;
  const scaled = (d: KubeObject) => Applier.stamp({ ...d, spec: { ...(d.spec as Obj), replicas: 0 } });
  const restoreJob = obj('Job', `${NAME}-restore-abc`, { spec: { backoffLimit: 0 } });
  const owned = (o: KubeObject) => Applier.stamp({ ...o, metadata: { ...o.metadata, ownerReferences: [OWNER] } });

  test('no restore: the plan as it was (its arrays copied)', async () => {
    const plan = basePlan();
    const adjusted = (await prepare({ rendered })).adjust(plan);
    expect(adjusted).toEqual(plan);
  });

  test('workloads stopped: Quay, mirror and Clair at 0 (also one the plan holds back but that runs), their HPAs dropped, backups suspended', async () => {
    const p = await prepare({ rendered, observed: observe(obj('Deployment', `${NAME}-quay-mirror`)), decision: { ...nothing, stopWorkloads: true } });
    const adjusted = p.adjust(basePlan());
    expect(adjusted.apply).toEqual([config, redis, Applier.stamp({ ...cron, spec: { schedule: '0 3 * * *', suspend: true } }), migration, scaled(quay), scaled(mirror)]);
    expect(adjusted.apply.map((o) => `${o.kind}/${o.metadata.name}:${(o.spec as Obj).replicas ?? (o.spec as Obj).suspend ?? ''}`)).toEqual([
      `ConfigMap/${NAME}-quay-config:`,
      `Deployment/${NAME}-quay-redis:1`,
      `CronJob/${NAME}-postgres-backup:true`,
      `Job/${MIGRATION}:`,
      `Deployment/${NAME}-quay-app:0`,
      `Deployment/${NAME}-quay-mirror:0`,
    ]);
    // Clair: rendered, neither applied by the plan nor running: left alone.
    expect(adjusted.remove).toEqual([]);
    expect(adjusted.migration).toEqual({ phase: 'running' });
  });

  test('the migration held; the restore\'s Jobs owned by the registry and stamped; its Jobs kept from pruning', async () => {
    const inspectJob = obj('Job', `${NAME}-restore-inspect-abc`);
    const oldConfig = obj('ConfigMap', `${NAME}-restore-abc`);
    const p = await prepare({ rendered, decision: { ...nothing, holdMigration: true, jobs: [restoreJob], keep: [`${NAME}-restore-abc`, `${NAME}-restore-inspect-abc`] } });
    const adjusted = p.adjust(basePlan({ remove: [inspectJob, oldConfig, obj('Job', 'old-job')] }));
    expect(adjusted.apply).toEqual([config, redis, quay, hpa, hpaClair, cron, owned(restoreJob)]);
    expect(adjusted.remove).toEqual([oldConfig, obj('Job', 'old-job')]);
    expect(adjusted.migration).toEqual({ phase: 'running' });
    expect(adjusted.currentVersion).toBe('v3.98.0');
  });

  test('after restoring an older dump: the migration Job of before removed, a new one waited for, the dump\'s version current', async () => {
    const stale = obj('Job', MIGRATION, { metadata: { name: MIGRATION, namespace: NS, uid: 'old' } });
    const status = restoring('Migrating', { dumpVersion: 'v3.97.0' });
    const p = await prepare({ rendered, decision: { ...nothing, status, staleMigrationJob: stale } });
    const adjusted = p.adjust(basePlan({ remove: [config] }));
    expect(adjusted).toEqual({ ...basePlan(), apply: [config, redis, quay, hpa, hpaClair, cron], remove: [config, stale], migration: { phase: 'waiting' }, currentVersion: 'v3.97.0' });
    // Without the dump's version known: the plan's current version stays.
    const q = await prepare({ rendered, decision: { ...nothing, status: restoring('Migrating'), staleMigrationJob: stale } });
    expect(q.adjust(basePlan()).currentVersion).toBe('v3.98.0');
  });
});

describe('status, Events and requeue', () => {
  const earlier = '2026-11-30T00:00:00Z';
  const previousConditions = [
    { type: 'BackupFailed', status: 'False', reason: 'NoBackupYet', message: 'no backup has completed yet (schedule "0 3 * * *")', lastTransitionTime: earlier, lastUpdateTime: earlier },
    { type: 'Restored', status: 'False', reason: 'RestoreInProgress', message: 'Inspecting', lastTransitionTime: earlier, lastUpdateTime: earlier },
  ] as NonNullable<QuayRegistryStatus['conditions']>;

  test('status.backups, status.restore and both conditions, merged with the previous ones; the others kept', async () => {
    const status = restoring('Succeeded', { message: `restored ${DUMP}` });
    const event = { type: 'Normal' as const, reason: 'Restored', message: `restored ${DUMP}` };
    const p = await prepare({ decision: { ...nothing, status, event }, previous: { conditions: previousConditions } });
    const out = p.status({ conditions: [{ type: 'Available', status: 'True', reason: 'Ready', message: 'ok' }, { type: 'Restored', status: 'Unknown' }] } as QuayRegistryStatus, LATER);
    expect(out).toEqual({
      backups: [{ component: 'postgres', cronJob: `${NAME}-postgres-backup`, outcome: 'None' }],
      restore: status,
      conditions: [
        { type: 'Available', status: 'True', reason: 'Ready', message: 'ok' },
        { ...previousConditions[0] },
        { type: 'Restored', status: 'True', reason: 'RestoreSucceeded', message: `restored ${DUMP}`, lastTransitionTime: LATER, lastUpdateTime: LATER },
      ],
    });
    expect(p.events).toEqual([event]);
    expect(p.restoreInProgress).toBe(false);
    expect(p.requeueAfterMs).toBeUndefined();
  });

  test('a restore under way: Restored False, in progress, reconciled again in 10 s (5 s while scaling down)', async () => {
    for (const [phase, ms] of [['Inspecting', 10_000], ['ScalingDown', 5_000], ['Restoring', 10_000], ['Migrating', 10_000]] as const) {
      const p = await prepare({ decision: { ...nothing, status: restoring(phase) }, previous: { conditions: previousConditions } });
      expect([p.restoreInProgress, p.requeueAfterMs]).toEqual([true, ms]);
      expect(p.status({}, LATER).conditions![1]).toEqual({ type: 'Restored', status: 'False', reason: 'RestoreInProgress', message: phase, ...(phase === 'Inspecting' ? { lastTransitionTime: earlier, lastUpdateTime: earlier } : { lastTransitionTime: earlier, lastUpdateTime: LATER }) });
    }
    for (const phase of ['Failed', 'Refused'] as const) {
      const p = await prepare({ decision: { ...nothing, status: restoring(phase, { message: 'no' }) } });
      expect([p.restoreInProgress, p.requeueAfterMs]).toEqual([false, undefined]);
      expect(p.status({}, LATER).conditions![1]).toMatchObject({ type: 'Restored', status: 'False', reason: phase === 'Failed' ? 'RestoreFailed' : 'RestoreRefused', message: 'no' });
    }
  });

  test('a failed backup: BackupFailed True; its Warning before the restore\'s Event', async () => {
    const cronJob = `${NAME}-postgres-backup`;
    const failed = job(`${cronJob}-1`, FAILED, { metadata: { name: `${cronJob}-1`, namespace: NS, ownerReferences: [{ kind: 'CronJob', name: cronJob }] } });
    const restoreEvent = { type: 'Warning' as const, reason: 'RestoreRefused', message: 'refused' };
    const p = await prepare({ observed: observe(failed), decision: { ...nothing, status: restoring('Refused', { message: 'refused' }), event: restoreEvent } });
    expect(p.events).toEqual([{ type: 'Warning', reason: 'BackupFailed', message: `backup of the postgres database failed (Job ${cronJob}-1): BackoffLimitExceeded` }, restoreEvent]);
    expect(p.status({}, LATER).conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['BackupFailed', 'True', 'BackupJobFailed'],
      ['Restored', 'False', 'RestoreRefused'],
    ]);
  });

  test('no spec.backup and no restore ever: nothing added, the hooks\' conditions dropped', async () => {
    decide.mockReset();
    decide.mockReturnValue(nothing);
    const plain = testModel();
    const p = await prepareBackupRestore(stubClient().client, registry, plain, [], observe(), undefined, NOW);
    const conditions = [{ type: 'Available', status: 'True' }, { type: 'BackupFailed', status: 'True' }, { type: 'Restored', status: 'True' }];
    expect(p.status({ conditions } as QuayRegistryStatus, LATER)).toEqual({ conditions: [{ type: 'Available', status: 'True' }] });
    expect(p.status({}, LATER)).toEqual({ conditions: [] });
    expect([p.events, p.restoreInProgress, p.requeueAfterMs]).toEqual([[], false, undefined]);
    expect(Object.keys(p)).not.toContain('requeueAfterMs');
  });
});
