// lib/controller/restore.ts read directly: the request the annotations make, the inspect Job's report,
// the judgement of a dump (whose registry, which database, keys, uid, size, Quay version), whether a
// restored database must be migrated, and each step of decideRestore from stubbed observations (Jobs
// as plain objects, termination messages as a Map). backup-restore.test.ts runs the same end to end
// against the fake API server; here every refusal and every phase change is checked exactly, in ms.
import { keysDigest } from '../../constructs/backup';
import { RestoreRequest, renderRestoreJob, restoreJobName } from '../../constructs/restore';
import type { RestoreStatus } from '../../lib/api/backup';
import type { PodReport } from '../../lib/controller/backups';
import type { ObservedState } from '../../lib/controller/observed';
import {
  InspectReport,
  RestoreInputs,
  decideRestore,
  dumpsWhere,
  judgeDump,
  needsMigration,
  parseInspectReport,
  restoreCondition,
  restoreRequested,
} from '../../lib/controller/restore';
import type { RegistryModel } from '../../lib/model';
import type { KubeObject } from '../../lib/synth';
import { testModel } from '../support/model';

const VERSION = 'v3.17.3';
const NAME = 'example-registry';
const NS = 'quay-enterprise';
const UID = 'this-uid';
const withUid = (m: RegistryModel): RegistryModel => ({ ...m, registry: { ...m.registry, metadata: { ...m.registry.metadata, uid: UID } } });
const model = withUid(testModel({ spec: { backup: { schedule: '@daily' } }, environment: { quayVersion: VERSION } }));
const OURS = keysDigest(model) as string;
const DUMP = `${NAME}-postgres-20260102T030000Z-${VERSION}.dump`;
const PVC = `on PersistentVolumeClaim ${NAME}-quay-backups`;

describe('restoreRequested', () => {
  const reg = (annotations?: Record<string, string>) => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS, ...(annotations ? { annotations } : {}) } }) as KubeObject;

  test('the dump (trimmed) and the id when set; nothing without the annotation or with a blank one', () => {
    expect(restoreRequested(reg())).toBeUndefined();
    expect(restoreRequested(reg({ 'quay-operator/restore': '  ' }))).toBeUndefined();
    expect(restoreRequested(reg({ 'quay-operator/restore-id': '1' }))).toBeUndefined();
    expect(restoreRequested(reg({ 'quay-operator/restore': ` ${DUMP}\n` }))).toEqual({ dump: DUMP });
    expect(restoreRequested(reg({ 'quay-operator/restore': DUMP, 'quay-operator/restore-id': '' }))).toEqual({ dump: DUMP });
    expect(restoreRequested(reg({ 'quay-operator/restore': DUMP, 'quay-operator/restore-id': '2026-01-02T03:00:00Z' }))).toEqual({ dump: DUMP, id: '2026-01-02T03:00:00Z' });
  });
});

describe('parseInspectReport', () => {
  test('found: the size as a number and the metadata as written', () => {
    expect(parseInspectReport('{"found":true,"actualSize":"123","metadata":{"registry":"r"}}')).toEqual({ found: true, actualSize: 123, metadata: { registry: 'r' } });
  });

  test('not found: the names listed (as strings), none when the list is not a list', () => {
    expect(parseInspectReport('{"found":false,"available":["a.dump",7]}')).toEqual({ found: false, available: ['a.dump', '7'] });
    expect(parseInspectReport('{"found":false,"available":"a.dump"}')).toEqual({ found: false, available: [] });
    expect(parseInspectReport('{"found":false}')).toEqual({ found: false, available: [] });
  });

  test.each([
    ['no message', undefined],
    ['not JSON', 'pg_restore: error: could not open input file'],
    ['found without metadata', '{"found":true,"actualSize":1}'],
    ['found with null metadata', '{"found":true,"actualSize":1,"metadata":null}'],
    ['found with metadata that is not an object', '{"found":true,"actualSize":1,"metadata":"x"}'],
    ['found as a string', '{"found":"true","actualSize":1,"metadata":{}}'],
    ['no found at all', '{"actualSize":1,"metadata":{}}'],
    ['JSON null', 'null'],
  ])('not a report: %s', (_what, text) => {
    expect(parseInspectReport(text)).toBeUndefined();
  });
});

describe('dumpsWhere', () => {
  test('the backup claim, the one named in spec.backup, or the bucket by what holds it', () => {
    expect(dumpsWhere(model)).toBe(PVC);
    expect(dumpsWhere(testModel({ spec: { backup: { schedule: '@daily', destination: { persistentVolumeClaim: { claimName: 'mine' } } } } }))).toBe('on PersistentVolumeClaim mine');
    expect(dumpsWhere(testModel({ spec: { backup: { schedule: '@daily', destination: { objectStorage: {} } } } }))).toBe(
      `in the managed bucket (ObjectBucketClaim ${NAME}-quay-datastore) under quay-operator-backups/${NS}/${NAME}/`,
    );
  });
});

describe('judgeDump', () => {
  const metadata = (o: Record<string, unknown> = {}) => ({ registry: NAME, namespace: NS, uid: UID, component: 'postgres', quayVersion: VERSION, size: 10, keysDigest: OURS, created: '2026-01-02T03:00:00Z', ...o });
  const found = (o: Record<string, unknown> = {}, actualSize = 10): InspectReport => ({ found: true, actualSize, metadata: metadata(o) });
  const refused = (m: RegistryModel, report: InspectReport, component: 'postgres' | 'clairpostgres' = 'postgres') => judgeDump(m, DUMP, component, report).refused;

  test('its own: accepted with its version, creation time and size', () => {
    expect(judgeDump(model, DUMP, 'postgres', found())).toEqual({ dumpVersion: VERSION, dumpCreated: '2026-01-02T03:00:00Z', dumpSize: 10 });
  });

  test('no creation time, no size recorded: accepted with the version alone (no size to compare)', () => {
    expect(judgeDump(model, DUMP, 'postgres', found({ created: undefined, size: undefined }, 99))).toEqual({ dumpVersion: VERSION });
    expect(judgeDump(model, DUMP, 'postgres', found({ created: 5, size: '10' }, 99))).toEqual({ dumpVersion: VERSION });
  });

  test("not there: this registry's newest dumps named (five at most), others' left out", () => {
    const mine = [1, 2, 3, 4, 5, 6].map((d) => `${NAME}-postgres-2026010${d}T030000Z-${VERSION}.dump`);
    expect(refused(model, { found: false, available: [`other-postgres-20260101T030000Z-${VERSION}.dump`, `${NAME}x-postgres-20260101T030000Z-${VERSION}.dump`, ...mine] })).toBe(
      `dump ${DUMP} is not ${PVC}; this registry's newest there: ${mine.slice(0, 5).join(', ')}`,
    );
    expect(refused(model, { found: false, available: [`other-postgres-20260101T030000Z-${VERSION}.dump`] })).toBe(`dump ${DUMP} is not ${PVC}; this registry has no dump there`);
  });

  test.each([
    [{ namespace: 'elsewhere' }, `elsewhere/${NAME}`],
    [{ registry: 'other' }, `${NS}/other`],
    [{ namespace: undefined, registry: 7 }, '?/?'],
  ])("another registry's (%j): refused", (o, owner) => {
    expect(refused(model, found(o))).toBe(`dump ${DUMP} belongs to QuayRegistry ${owner}, not ${NS}/${NAME}: a registry restores only its own dumps`);
  });

  test('another database than its name says, or none recorded: refused', () => {
    expect(refused(model, found({ component: 'clairpostgres' }))).toBe(`dump ${DUMP} holds the clairpostgres database by its metadata, not postgres as its name says`);
    expect(refused(model, found({ component: undefined }), 'clairpostgres')).toBe(`dump ${DUMP} holds the unknown database by its metadata, not clairpostgres as its name says`);
  });

  const otherKeys = `dump ${DUMP} was made with other keys (DATABASE_SECRET_KEY) than this registry has: Quay could not decrypt what it encrypted. Restore the keys Secret ${NAME}-quay-registry-managed-secret-keys of the registry that made it first`;
  const otherUid = (uid: string) => `dump ${DUMP} was made by another QuayRegistry named ${NAME} (uid ${uid}; this one is ${UID}), and records no keys to tell whether Quay could read it`;

  test('other keys: refused, whatever the uid', () => {
    expect(refused(model, found({ keysDigest: '0123456789abcdef' }))).toBe(otherKeys);
    expect(refused(model, found({ keysDigest: '0123456789abcdef', uid: 'earlier-uid' }))).toBe(otherKeys);
  });

  test('another uid: accepted when the keys match (the registry created again with its keys), refused when nothing tells', () => {
    expect(refused(model, found({ uid: 'earlier-uid' }))).toBeUndefined();
    expect(refused(model, found({ uid: 'earlier-uid', keysDigest: '' }))).toBe(otherUid('earlier-uid'));
    expect(refused(model, found({ uid: 'earlier-uid', keysDigest: undefined }))).toBe(otherUid('earlier-uid'));
    // This registry's keys are not known (yet): the dump's digest proves nothing.
    expect(refused({ ...model, keysKnown: false }, found({ uid: 'earlier-uid' }))).toBe(otherUid('earlier-uid'));
  });

  test('nothing to compare (no digest or no uid on either side): not refused for it', () => {
    expect(refused({ ...model, keysKnown: false }, found({ keysDigest: '0123456789abcdef' }))).toBeUndefined();
    expect(refused(model, found({ uid: undefined, keysDigest: undefined }))).toBeUndefined();
    const noUid = { ...model, registry: { ...model.registry, metadata: { name: NAME, namespace: NS } } };
    expect(refused(noUid, found({ uid: 'earlier-uid', keysDigest: undefined }))).toBeUndefined();
  });

  test('truncated or changed since written: refused, naming where', () => {
    expect(refused(model, found({}, 4))).toBe(`dump ${DUMP} is 4 bytes ${PVC} but was 10 when written: truncated or changed since`);
    expect(refused(model, found({}, 11))).toBe(`dump ${DUMP} is 11 bytes ${PVC} but was 10 when written: truncated or changed since`);
  });

  test.each([
    ['', '""'],
    ['3.17', '"3.17"'],
  ])('no Quay version it can read (%j): refused', (quayVersion, shown) => {
    expect(refused(model, found({ quayVersion }))).toBe(`dump ${DUMP} records no Quay version this operator can read (${shown})`);
  });

  test('a version that is not a string: refused as none', () => {
    expect(refused(model, found({ quayVersion: 3.17 }))).toBe(`dump ${DUMP} records no Quay version this operator can read ("")`);
  });

  const newer = (v: string) => `dump ${DUMP} was taken with Quay ${v}, newer than this operator's ${VERSION}: its database schema is ahead of what this Quay runs; restore it with an operator of ${v} or later`;

  test.each(['v4.0.0', 'v3.18.0', 'v3.17.4'])('newer than the operator (%s): refused, naming the operator to use', (v) => {
    expect(refused(model, found({ quayVersion: v }))).toBe(newer(v));
  });

  test.each(['v3.17.3', '3.17.3', 'v3.17.0', 'v3.16.9', 'v3.17.3-rc.1'])('the same or one supported step older (%s): accepted with its version', (v) => {
    expect(judgeDump(model, DUMP, 'postgres', found({ quayVersion: v, created: undefined, size: undefined }))).toEqual({ dumpVersion: v });
  });

  test('older than the supported path: refused with the upgrade rules', () => {
    expect(refused(model, found({ quayVersion: 'v3.10.0' }))).toMatch(/^dump .* was taken with Quay v3\.10\.0: cannot upgrade from v3\.10\.0 to v3\.17\.3: 3\.10 → 3\.17 skips minor versions/);
    expect(refused(model, found({ quayVersion: 'v2.99.99' }))).toBe(`dump ${DUMP} was taken with Quay v2.99.99: cannot upgrade from v2.99.99 to v3.17.3: no supported path between major versions 2 and 3`);
  });

  test("an operator version that is not one: refused by the upgrade rules, not as newer", () => {
    const odd = { ...model, environment: { ...model.environment, quayVersion: 'latest' } };
    expect(refused(odd, found())).toBe(`dump ${DUMP} was taken with Quay ${VERSION}: cannot upgrade from ${VERSION} to latest: the operator's QUAY_VERSION latest is not a Quay version (vX.Y.Z)`);
  });
});

describe('needsMigration', () => {
  const st = (o: Partial<RestoreStatus>): RestoreStatus => ({ dump: DUMP, phase: 'Restoring', component: 'postgres', ...o });

  test("Quay's database from another version (or one that cannot be read): migrated", () => {
    for (const v of ['v3.16.0', 'v3.16.3', 'v3.17.2', 'v2.17.3', 'v3.17.3-rc.1', 'garbage']) expect([v, needsMigration(model, st({ dumpVersion: v }))]).toEqual([v, true]);
    const odd = { ...model, environment: { ...model.environment, quayVersion: 'latest' } };
    expect(needsMigration(odd, st({ dumpVersion: VERSION }))).toBe(true);
  });

  test("the same version, Clair's database, or no version: not migrated", () => {
    expect(needsMigration(model, st({ dumpVersion: VERSION }))).toBe(false);
    expect(needsMigration(model, st({ dumpVersion: '3.17.3' }))).toBe(false);
    expect(needsMigration(model, st({ component: 'clairpostgres', dumpVersion: 'v3.16.0' }))).toBe(false);
    expect(needsMigration(model, st({ component: undefined, dumpVersion: 'v3.16.0' }))).toBe(false);
    expect(needsMigration(model, st({}))).toBe(false);
  });
});

describe('restoreCondition', () => {
  test('Succeeded true; Refused, Failed and any other phase false, each with its reason; the message or the phase', () => {
    expect(restoreCondition({ dump: DUMP, phase: 'Succeeded', message: 'm' })).toEqual({ status: true, reason: 'RestoreSucceeded', message: 'm' });
    expect(restoreCondition({ dump: DUMP, phase: 'Refused', message: 'm' })).toEqual({ status: false, reason: 'RestoreRefused', message: 'm' });
    expect(restoreCondition({ dump: DUMP, phase: 'Failed', message: 'm' })).toEqual({ status: false, reason: 'RestoreFailed', message: 'm' });
    expect(restoreCondition({ dump: DUMP, phase: 'ScalingDown' })).toEqual({ status: false, reason: 'RestoreInProgress', message: 'ScalingDown' });
  });
});

describe('decideRestore', () => {
  const NOW = '2026-02-01T00:00:00Z';
  const START = '2026-01-31T00:00:00Z';
  const registry = (dump?: string, id?: string) =>
    ({
      apiVersion: 'quay.redhat.com/v1',
      kind: 'QuayRegistry',
      metadata: { name: NAME, namespace: NS, uid: UID, annotations: { ...(dump !== undefined ? { 'quay-operator/restore': dump } : {}), ...(id ? { 'quay-operator/restore-id': id } : {}) } },
      spec: {},
    }) as KubeObject;
  const request: RestoreRequest = { dump: DUMP, id: '1', component: 'postgres' };
  const INSPECT = restoreJobName(model, request, 'inspect');
  const RESTORE = restoreJobName(model, request, 'restore');
  const UPGRADE = `${NAME}-quay-app-upgrade`;
  const job = (name: string, status: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: NS, ...extra }, status }) as KubeObject;
  const active = { active: 1 };
  const succeeded = { succeeded: 1 };
  const failed = (message?: string) => ({ conditions: [{ type: 'Failed', status: 'True', ...(message ? { message } : {}) }] });
  const status = (o: Partial<RestoreStatus>): RestoreStatus => ({ dump: DUMP, id: '1', startTime: START, component: 'postgres', phase: 'Inspecting', ...o });
  const report = (message: string, exitCode = 0): PodReport => ({ message, exitCode });
  const inputs = (o: Partial<RestoreInputs> & { owned?: KubeObject[] }): RestoreInputs => {
    const { owned = [], ...rest } = o;
    const observed: ObservedState = { owned };
    return { model, registry: registry(DUMP, '1'), observed, now: NOW, reports: new Map(), workloadsStopped: false, ...rest };
  };
  const meta = (o: Record<string, unknown> = {}) => JSON.stringify({ found: true, actualSize: 10, metadata: { registry: NAME, namespace: NS, uid: UID, component: 'postgres', quayVersion: VERSION, size: 10, keysDigest: OURS, created: '2026-01-02T03:00:00Z', ...o } });
  const KEEP = [INSPECT, RESTORE];
  const idle = { stopWorkloads: false, holdMigration: false, jobs: [], keep: [] };

  describe('the request', () => {
    test('none asked, none before: nothing', () => {
      expect(decideRestore(inputs({ registry: registry() }))).toEqual(idle);
      expect(decideRestore(inputs({ registry: registry('  ') }))).toEqual(idle);
    });

    test('a new one: Inspecting, the inspect Job rendered, nothing stopped, a RestoreStarted Event', () => {
      const message = `reading the metadata of ${DUMP} ${PVC} (Job ${INSPECT})`;
      expect(decideRestore(inputs({}))).toEqual({
        status: { dump: DUMP, id: '1', startTime: NOW, component: 'postgres', phase: 'Inspecting', message },
        stopWorkloads: false,
        holdMigration: false,
        jobs: renderRestoreJob(model, request, 'inspect'),
        keep: KEEP,
        event: { type: 'Normal', reason: 'RestoreStarted', message },
      });
    });

    test('without an id: its Jobs named from the dump alone', () => {
      const noId = { dump: DUMP, component: 'postgres' as const };
      const d = decideRestore(inputs({ registry: registry(DUMP) }));
      expect(d.status).toEqual({ dump: DUMP, startTime: NOW, component: 'postgres', phase: 'Inspecting', message: `reading the metadata of ${DUMP} ${PVC} (Job ${restoreJobName(model, noId, 'inspect')})` });
      expect(d.jobs).toEqual(renderRestoreJob(model, noId, 'inspect'));
      expect(d.keep).toEqual([restoreJobName(model, noId, 'inspect'), restoreJobName(model, noId, 'restore')]);
      expect(d.keep).not.toEqual(KEEP);
    });

    test.each([
      ['not a dump name', 'latest.sql', `"latest.sql" is not a dump's name (<registry>-<postgres|clairpostgres>-<YYYYMMDDTHHMMSSZ>-<Quay version>.dump, as status.backups[].lastDump shows)`, undefined],
      ["another registry's", `other-postgres-20260102T030000Z-${VERSION}.dump`, `dump other-postgres-20260102T030000Z-${VERSION}.dump is registry other's, not ${NAME}'s: a registry restores only its own dumps`, 'postgres'],
    ])('refused from its name (%s): no Job, a Warning', (_what, dump, message, component) => {
      expect(decideRestore(inputs({ registry: registry(dump, '1') }))).toEqual({
        status: { dump, id: '1', startTime: NOW, ...(component ? { component } : {}), phase: 'Refused', message, completionTime: NOW },
        stopWorkloads: false,
        holdMigration: false,
        jobs: [],
        keep: [restoreJobName(model, { dump, id: '1', component: 'postgres' }, 'inspect'), restoreJobName(model, { dump, id: '1', component: 'postgres' }, 'restore')],
        event: { type: 'Warning', reason: 'RestoreRefused', message },
      });
    });

    test('refused without spec.backup, or for an unmanaged database', () => {
      const noBackup = withUid(testModel({ environment: { quayVersion: VERSION } }));
      expect(decideRestore(inputs({ model: noBackup })).status).toEqual({
        dump: DUMP, id: '1', startTime: NOW, component: 'postgres', phase: 'Refused', completionTime: NOW,
        message: 'spec.backup is not set: the operator restores from the backup volume spec.backup names',
      });
      const unmanagedClair = { ...model, components: { ...model.components, clairpostgres: { ...model.components.clairpostgres, managed: false } } };
      const clairDump = `${NAME}-clairpostgres-20260102T030000Z-${VERSION}.dump`;
      expect(decideRestore(inputs({ model: unmanagedClair, registry: registry(clairDump) })).status).toEqual({
        dump: clairDump, startTime: NOW, component: 'clairpostgres', phase: 'Refused', completionTime: NOW,
        message: "the clairpostgres component is unmanaged: restore your own database with your provider's tools",
      });
      // Quay's own database is still managed there: that request goes on.
      expect(decideRestore(inputs({ model: unmanagedClair })).status?.phase).toBe('Inspecting');
    });

    test('the same request again (dump and id): not started over, no second Event', () => {
      const prev = status({ message: 'x' });
      expect(decideRestore(inputs({ previous: prev, owned: [job(INSPECT, active)] }))).toEqual({ status: prev, stopWorkloads: false, holdMigration: false, jobs: [], keep: KEEP });
      const done = status({ phase: 'Succeeded', message: 'done', completionTime: START });
      expect(decideRestore(inputs({ previous: done }))).toEqual({ status: done, stopWorkloads: false, holdMigration: false, jobs: [], keep: KEEP });
      const noId = { dump: DUMP, phase: 'Succeeded' as const, message: 'done' };
      expect(decideRestore(inputs({ previous: noId, registry: registry(DUMP) }))).toEqual({ status: noId, stopWorkloads: false, holdMigration: false, jobs: [], keep: [restoreJobName(model, { dump: DUMP, component: 'postgres' }, 'inspect'), restoreJobName(model, { dump: DUMP, component: 'postgres' }, 'restore')] });
    });

    test.each([
      ['another id', registry(DUMP, '2'), { id: '2' }],
      ['an id where there was none', registry(DUMP, '1'), {}],
      ['another dump', registry(`${NAME}-postgres-20260103T030000Z-${VERSION}.dump`, '1'), { dump: `${NAME}-postgres-20260103T030000Z-${VERSION}.dump` }],
    ])('%s, after one that ended: a new restore, with its Event', (_what, reg, o) => {
      const prev: RestoreStatus = { dump: DUMP, ...(_what.startsWith('an id') ? {} : { id: '1' }), phase: 'Succeeded', completionTime: START };
      const d = decideRestore(inputs({ registry: reg, previous: prev }));
      expect(d.status).toMatchObject({ dump: DUMP, id: '1', startTime: NOW, phase: 'Inspecting', ...o });
      expect(d.event?.reason).toBe('RestoreStarted');
    });

    test('another dump while one is still being inspected: started over with an Event, the phase the same', () => {
      const other = `${NAME}-postgres-20260103T030000Z-${VERSION}.dump`;
      const d = decideRestore(inputs({ registry: registry(other, '1'), previous: status({ message: 'x' }) }));
      expect(d.status).toMatchObject({ dump: other, phase: 'Inspecting', startTime: NOW });
      expect(d.event).toEqual({ type: 'Normal', reason: 'RestoreStarted', message: d.status?.message });
      const d2 = decideRestore(inputs({ registry: registry(DUMP, '2'), previous: status({ message: 'x' }) }));
      expect(d2.status).toMatchObject({ dump: DUMP, id: '2', phase: 'Inspecting', startTime: NOW });
      expect(d2.event?.reason).toBe('RestoreStarted');
    });

    test.each(['Inspecting', 'ScalingDown'] as const)('the annotation removed while %s: Failed (cancelled), Quay started again', (phase) => {
      const message = 'cancelled: the quay-operator/restore annotation was removed before the database was touched; nothing was changed';
      expect(decideRestore(inputs({ registry: registry(), previous: status({ phase, message: 'x' }) }))).toEqual({
        status: status({ phase: 'Failed', message, completionTime: NOW }),
        stopWorkloads: false,
        holdMigration: false,
        jobs: [],
        keep: KEEP,
        event: { type: 'Warning', reason: 'RestoreFailed', message },
      });
    });

    test('the annotation removed after it ended: the status stays, nothing else', () => {
      const prev = status({ phase: 'Refused', message: 'no', completionTime: START });
      expect(decideRestore(inputs({ registry: registry(), previous: prev }))).toEqual({ status: prev, stopWorkloads: false, holdMigration: false, jobs: [], keep: KEEP });
    });

    test.each([
      ['removed', registry()],
      ['changed', registry(`${NAME}-postgres-20260103T030000Z-${VERSION}.dump`, '9')],
    ])('the annotation %s while Restoring: the restore goes on (the database is being replaced)', (_what, reg) => {
      const prev = status({ phase: 'Restoring', message: 'x', dumpVersion: VERSION });
      expect(decideRestore(inputs({ registry: reg, previous: prev, owned: [job(RESTORE, active)] }))).toEqual({ status: prev, stopWorkloads: true, holdMigration: true, jobs: [], keep: KEEP });
    });

    test('the annotation changed while Migrating: the migration goes on', () => {
      const prev = status({ phase: 'Migrating', message: 'x', dumpVersion: 'v3.16.0' });
      const d = decideRestore(inputs({ registry: registry(), previous: prev }));
      expect(d).toEqual({ status: { ...prev, message: `restored ${DUMP}; migrating its database from Quay v3.16.0 to ${VERSION}` }, stopWorkloads: true, holdMigration: false, jobs: [], keep: KEEP });
    });

    test('a new request whose inspect Job is already there (running): reading its metadata, no Job rendered', () => {
      expect(decideRestore(inputs({ owned: [job(INSPECT, active)] })).status).toEqual({ dump: DUMP, id: '1', startTime: NOW, component: 'postgres', phase: 'Inspecting', message: `reading the metadata of ${DUMP}` });
    });

    test('a status of before without a component: the postgres Jobs', () => {
      const prev: RestoreStatus = { dump: DUMP, id: '1', phase: 'Inspecting', message: 'x' };
      expect(decideRestore(inputs({ previous: prev })).jobs).toEqual(renderRestoreJob(model, request, 'inspect'));
    });
  });

  describe('Inspecting', () => {
    const prev = status({ message: `reading the metadata of ${DUMP} ${PVC} (Job ${INSPECT})` });

    test('the Job running or not started: waiting as before', () => {
      for (const s of [active, {}]) expect(decideRestore(inputs({ previous: prev, owned: [job(INSPECT, s)] }))).toEqual({ status: prev, stopWorkloads: false, holdMigration: false, jobs: [], keep: KEEP });
    });

    test('a Job of the same name of another kind, or another Job: the inspect Job is rendered again', () => {
      const notAJob = { ...job(INSPECT, succeeded), kind: 'Pod' } as KubeObject;
      expect(decideRestore(inputs({ previous: prev, owned: [notAJob, job(RESTORE, succeeded)] })).jobs).toEqual(renderRestoreJob(model, request, 'inspect'));
    });

    test('the Job failed: Failed with its condition and log, nothing stopped, a Warning', () => {
      const message = `could not read the backup volume (Job ${INSPECT}): BackoffLimitExceeded: ls: cannot access '/backups': Permission denied; nothing was changed`;
      expect(decideRestore(inputs({ previous: prev, owned: [job(INSPECT, failed('BackoffLimitExceeded'))], reports: new Map([[INSPECT, report("  ls: cannot access '/backups': Permission denied\n", 2)]]) }))).toEqual({
        status: status({ phase: 'Failed', message, completionTime: NOW }),
        stopWorkloads: false,
        holdMigration: false,
        jobs: [],
        keep: KEEP,
        event: { type: 'Warning', reason: 'RestoreFailed', message },
      });
    });

    test('the Job failed without a condition message nor a log; in a bucket', () => {
      expect(decideRestore(inputs({ previous: prev, owned: [job(INSPECT, failed())] })).status?.message).toBe(`could not read the backup volume (Job ${INSPECT}): ; nothing was changed`);
      const bucket = withUid(testModel({ spec: { backup: { schedule: '@daily', destination: { objectStorage: {} } } }, environment: { quayVersion: VERSION } }));
      const name = restoreJobName(bucket, request, 'inspect');
      expect(decideRestore(inputs({ model: bucket, previous: prev, owned: [job(name, failed())], reports: new Map([[name, report('403 Forbidden')]]) })).status?.message).toBe(
        `could not read the bucket (Job ${name}): 403 Forbidden; nothing was changed`,
      );
    });

    test('succeeded without a report: waiting for it', () => {
      for (const reports of [new Map<string, PodReport>(), new Map([[INSPECT, report('not json')]])]) {
        expect(decideRestore(inputs({ previous: prev, owned: [job(INSPECT, succeeded)], reports }))).toEqual({
          status: { ...prev, message: `waiting for the report of Job ${INSPECT}` },
          stopWorkloads: false,
          holdMigration: false,
          jobs: [],
          keep: KEEP,
        });
      }
    });

    test('succeeded with the report of a dump it may not restore: Refused, nothing stopped, a Warning', () => {
      const message = `dump ${DUMP} is 4 bytes ${PVC} but was 10 when written: truncated or changed since`;
      const reports = new Map([[INSPECT, report(meta().replace('"actualSize":10', '"actualSize":4'))]]);
      expect(decideRestore(inputs({ previous: prev, owned: [job(INSPECT, succeeded)], reports }))).toEqual({
        status: status({ phase: 'Refused', message, completionTime: NOW }),
        stopWorkloads: false,
        holdMigration: false,
        jobs: [],
        keep: KEEP,
        event: { type: 'Warning', reason: 'RestoreRefused', message },
      });
    });

    test('accepted: ScalingDown with what the dump is; Quay, mirror and Clair stopped, migrations held', () => {
      const message = `stopping Quay, mirror, Clair and any backup running before restoring ${DUMP} (taken 2026-01-02T03:00:00Z with Quay ${VERSION})`;
      expect(decideRestore(inputs({ previous: prev, owned: [job(INSPECT, succeeded)], reports: new Map([[INSPECT, report(meta())]]) }))).toEqual({
        status: status({ phase: 'ScalingDown', message, dumpVersion: VERSION, dumpCreated: '2026-01-02T03:00:00Z', dumpSize: 10 }),
        stopWorkloads: true,
        holdMigration: true,
        jobs: [],
        keep: KEEP,
        event: { type: 'Normal', reason: 'RestoreScalingDown', message },
      });
    });

    test('accepted with the workloads already gone: on to Restoring in the same reconcile', () => {
      const d = decideRestore(inputs({ previous: prev, owned: [job(INSPECT, succeeded)], reports: new Map([[INSPECT, report(meta({ created: undefined }))]]), workloadsStopped: true }));
      expect(d.status).toEqual(status({ phase: 'Restoring', dumpVersion: VERSION, dumpSize: 10, message: `restoring ${DUMP} into the postgres database (Job ${RESTORE}); Quay, mirror and Clair are stopped meanwhile` }));
      expect(d.jobs).toEqual(renderRestoreJob(model, request, 'restore'));
    });
  });

  describe('ScalingDown', () => {
    const prev = status({ phase: 'ScalingDown', message: 'x', dumpVersion: VERSION, dumpCreated: '2026-01-02T03:00:00Z' });
    const waiting = { ...prev, message: `stopping Quay, mirror, Clair and any backup running before restoring ${DUMP} (taken 2026-01-02T03:00:00Z with Quay ${VERSION})` };
    const backupJob = (o: { owner?: string; component?: string; state?: Record<string, unknown> } = {}) =>
      job(`${NAME}-quay-postgres-backup-29000000`, o.state ?? active, {
        labels: { 'quay-component': o.component ?? 'postgres-backup' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: o.owner ?? 'CronJob', name: `${NAME}-quay-postgres-backup`, uid: 'c' }],
      });

    test('the pods not gone yet: still stopping them, no Event', () => {
      expect(decideRestore(inputs({ previous: prev }))).toEqual({ status: waiting, stopWorkloads: true, holdMigration: true, jobs: [], keep: KEEP });
    });

    test('without the facts of the dump: "?" in the message', () => {
      const bare = status({ phase: 'ScalingDown' });
      expect(decideRestore(inputs({ previous: bare })).status?.message).toBe(`stopping Quay, mirror, Clair and any backup running before restoring ${DUMP} (taken ? with Quay ?)`);
    });

    test('a backup Job of the schedule still running: waited for', () => {
      expect(decideRestore(inputs({ previous: prev, workloadsStopped: true, owned: [backupJob()] })).status).toEqual(waiting);
    });

    test.each([
      ['finished', { state: succeeded }],
      ['not started by the CronJob', { owner: 'QuayRegistry' }],
      ['not a backup', { component: 'postgres-restore' }],
    ])('a Job that is no running backup (%s): not waited for', (_what, o) => {
      const d = decideRestore(inputs({ previous: prev, workloadsStopped: true, owned: [backupJob(o)] }));
      expect(d.status?.phase).toBe('Restoring');
    });

    test('a running Job without owners or labels: not a backup', () => {
      const bare = job('x', active);
      expect(decideRestore(inputs({ previous: prev, workloadsStopped: true, owned: [bare] })).status?.phase).toBe('Restoring');
      const unlabelled = job('y', active, { labels: {}, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'c', uid: 'c' }] });
      expect(decideRestore(inputs({ previous: prev, workloadsStopped: true, owned: [unlabelled] })).status?.phase).toBe('Restoring');
    });

    test('the pods gone, no backup running: Restoring, the restore Job rendered, an Event', () => {
      const message = `restoring ${DUMP} into the postgres database (Job ${RESTORE}); Quay, mirror and Clair are stopped meanwhile`;
      expect(decideRestore(inputs({ previous: prev, workloadsStopped: true }))).toEqual({
        status: { ...prev, phase: 'Restoring', message },
        stopWorkloads: true,
        holdMigration: true,
        jobs: renderRestoreJob(model, request, 'restore'),
        keep: KEEP,
        event: { type: 'Normal', reason: 'RestoreRestoring', message },
      });
    });
  });

  describe('Restoring', () => {
    const prev = status({ phase: 'Restoring', message: 'x', dumpVersion: VERSION, dumpCreated: '2026-01-02T03:00:00Z', dumpSize: 10 });
    const logs = `see \`kubectl logs -n ${NS} job/${RESTORE}\``;

    test('the Job running: still Restoring, nothing rendered', () => {
      expect(decideRestore(inputs({ previous: prev, owned: [job(RESTORE, active)], workloadsStopped: true }))).toEqual({ status: prev, stopWorkloads: true, holdMigration: true, jobs: [], keep: KEEP });
    });

    test('failed: Failed with the end of its log, Quay started again, a Warning', () => {
      const message = `restoring ${DUMP} failed: restoring x\nERROR:  role "someone" does not exist; the database is as it was (the restore is one transaction); ${logs}`;
      const reports = new Map([[RESTORE, report('restoring x\nERROR:  role "someone" does not exist\n', 3)]]);
      expect(decideRestore(inputs({ previous: prev, owned: [job(RESTORE, failed('BackoffLimitExceeded'))], reports }))).toEqual({
        status: { ...prev, phase: 'Failed', message, completionTime: NOW },
        stopWorkloads: false,
        holdMigration: false,
        jobs: [],
        keep: KEEP,
        event: { type: 'Warning', reason: 'RestoreFailed', message },
      });
    });

    test('failed with a long log: its last 400 characters', () => {
      const log = `${'a'.repeat(500)}${'b'.repeat(399)}\n`;
      expect(decideRestore(inputs({ previous: prev, owned: [job(RESTORE, failed())], reports: new Map([[RESTORE, report(log)]]) })).status?.message).toBe(
        `restoring ${DUMP} failed: ${'b'.repeat(399)}; the database is as it was (the restore is one transaction); ${logs}`,
      );
    });

    test("failed without a log: the Job's condition, else a plain reason", () => {
      const why = (w: string) => `restoring ${DUMP} failed: ${w}; the database is as it was (the restore is one transaction); ${logs}`;
      expect(decideRestore(inputs({ previous: prev, owned: [job(RESTORE, failed('DeadlineExceeded'))], reports: new Map([[RESTORE, report('  \n')]]) })).status?.message).toBe(why('DeadlineExceeded'));
      expect(decideRestore(inputs({ previous: prev, owned: [job(RESTORE, failed())] })).status?.message).toBe(why('the restore Job failed'));
    });

    test('succeeded, the same Quay version: Succeeded, Quay started again, an Event', () => {
      const message = `restored ${DUMP} (taken 2026-01-02T03:00:00Z with Quay ${VERSION}) into the postgres database; Quay, mirror and Clair run again`;
      expect(decideRestore(inputs({ previous: prev, owned: [job(RESTORE, succeeded)] }))).toEqual({
        status: { ...prev, phase: 'Succeeded', message, completionTime: NOW },
        stopWorkloads: false,
        holdMigration: false,
        jobs: [],
        keep: KEEP,
        event: { type: 'Normal', reason: 'RestoreSucceeded', message },
      });
      const bare = status({ phase: 'Restoring', component: 'clairpostgres', dumpVersion: 'v3.16.0' });
      expect(decideRestore(inputs({ previous: bare, owned: [job(restoreJobName(model, { ...request, component: 'clairpostgres' }, 'restore'), succeeded)] })).status?.message).toBe(
        `restored ${DUMP} (taken ? with Quay v3.16.0) into the clairpostgres database; Quay, mirror and Clair run again`,
      );
      const unknown = status({ phase: 'Restoring' });
      expect(decideRestore(inputs({ previous: unknown, owned: [job(RESTORE, succeeded)] })).status?.message).toBe(`restored ${DUMP} (taken ? with Quay ?) into the postgres database; Quay, mirror and Clair run again`);
    });

    test('succeeded, a dump of an older Quay: Migrating, the migration Job of before replaced', () => {
      const older = { ...prev, dumpVersion: 'v3.16.0' };
      const before = job(UPGRADE, succeeded, { uid: 'old-job' });
      const message = `restored ${DUMP}; migrating its database from Quay v3.16.0 to ${VERSION}: replacing the migration Job of before`;
      expect(decideRestore(inputs({ previous: older, owned: [job(RESTORE, succeeded), before] }))).toEqual({
        status: { ...older, phase: 'Migrating', staleMigrationJob: 'old-job', message },
        stopWorkloads: true,
        holdMigration: false,
        jobs: [],
        keep: KEEP,
        staleMigrationJob: before,
        event: { type: 'Normal', reason: 'RestoreMigrating', message },
      });
    });

    test('succeeded, a dump of an older Quay, no migration Job (or one without uid): Migrating, waiting for the new one', () => {
      const older = { ...prev, dumpVersion: 'v3.16.0' };
      const message = `restored ${DUMP}; migrating its database from Quay v3.16.0 to ${VERSION}`;
      for (const owned of [[job(RESTORE, succeeded)], [job(RESTORE, succeeded), job(UPGRADE, active)]]) {
        expect(decideRestore(inputs({ previous: older, owned }))).toEqual({
          status: { ...older, phase: 'Migrating', message },
          stopWorkloads: true,
          holdMigration: false,
          jobs: [],
          keep: KEEP,
          event: { type: 'Normal', reason: 'RestoreMigrating', message },
        });
      }
    });
  });

  describe('Migrating', () => {
    const prev = status({ phase: 'Migrating', message: 'x', dumpVersion: 'v3.16.0', dumpCreated: '2026-01-02T03:00:00Z', staleMigrationJob: 'old-job' });

    test('the migration Job of before still there: replaced', () => {
      const before = job(UPGRADE, succeeded, { uid: 'old-job' });
      expect(decideRestore(inputs({ previous: prev, owned: [before] }))).toEqual({
        status: { ...prev, message: `restored ${DUMP}; migrating its database from Quay v3.16.0 to ${VERSION}: replacing the migration Job of before` },
        stopWorkloads: true,
        holdMigration: false,
        jobs: [],
        keep: KEEP,
        staleMigrationJob: before,
      });
    });

    test('the new migration Job succeeded: Succeeded, migrated; the stale uid dropped', () => {
      const message = `restored ${DUMP} (taken 2026-01-02T03:00:00Z with Quay v3.16.0) into the postgres database; Quay, mirror and Clair run again, and migrated to ${VERSION}`;
      const { staleMigrationJob: _s, ...rest } = prev;
      void _s;
      expect(decideRestore(inputs({ previous: prev, owned: [job(UPGRADE, succeeded, { uid: 'new-job' })] }))).toEqual({
        status: { ...rest, phase: 'Succeeded', message, completionTime: NOW },
        stopWorkloads: false,
        holdMigration: false,
        jobs: [],
        keep: KEEP,
        event: { type: 'Normal', reason: 'RestoreSucceeded', message },
      });
    });

    test('the new migration Job failed: Failed, naming its logs', () => {
      const message = `restored ${DUMP}, but migrating its database from Quay v3.16.0 to ${VERSION} failed: see ComponentsCreated and \`kubectl logs -n ${NS} job/${UPGRADE}\``;
      expect(decideRestore(inputs({ previous: prev, owned: [job(UPGRADE, failed('x'), { uid: 'new-job' })] }))).toEqual({
        status: { ...prev, phase: 'Failed', message, completionTime: NOW },
        stopWorkloads: false,
        holdMigration: false,
        jobs: [],
        keep: KEEP,
        event: { type: 'Warning', reason: 'RestoreFailed', message },
      });
    });

    test('the new migration Job running, or none yet: migrating', () => {
      const migrating = { ...prev, message: `restored ${DUMP}; migrating its database from Quay v3.16.0 to ${VERSION}` };
      for (const owned of [[job(UPGRADE, active, { uid: 'new-job' })], []]) {
        expect(decideRestore(inputs({ previous: prev, owned }))).toEqual({ status: migrating, stopWorkloads: true, holdMigration: false, jobs: [], keep: KEEP });
      }
      const noStale = status({ phase: 'Migrating', dumpVersion: 'v3.16.0' });
      expect(decideRestore(inputs({ previous: noStale, owned: [job(UPGRADE, active)] })).status?.message).toBe(`restored ${DUMP}; migrating its database from Quay v3.16.0 to ${VERSION}`);
    });
  });
});
