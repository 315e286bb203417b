// Upgradeability under OLM decided against stubs (lib/controller/operator-condition.ts): a registry's
// state from its plan, the Upgradeable condition aggregated over registries (reason, message), where
// the OperatorCondition is found, and the reporter's writes: none before every registry listed at
// start is reconciled, one per change, the others' conditions kept, lastTransitionTime kept while the
// status holds, a 409 read again, a refusal logged once and retried by a timer (jest fake timers), not
// at every reconcile. operator-condition.test.ts runs the reporter against the fake API server (slow).
import { readFileSync } from 'node:fs';
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import {
  OperatorConditionReporter,
  REASON_DATABASE_UPGRADE,
  REASON_MIGRATION,
  REASON_NONE,
  REASON_RESTORE,
  RegistryUpgradeState,
  UPGRADEABLE,
  operatorConditionFromEnv,
  upgradeStateOf,
  upgradeableCondition,
} from '../../lib/controller/operator-condition';
import type { DatabaseUpgrade } from '../../lib/controller/postgres-upgrade';
import type { MigrationPhase } from '../../lib/controller/plan';
import { capturedLog } from './runtime/helpers';

// The ServiceAccount's namespace file, read by default: real reads unless a test says otherwise.
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return { ...actual, readFileSync: jest.fn(actual.readFileSync) };
});

type Obj = Record<string, any>;
const REF = { namespace: 'quay-operator', name: 'quay-operator.v3.99.0' };
const V = 'v3.99.0';
const TAIL = '; the operator must not be replaced until it finishes';
const TRUE_MESSAGE = 'No QuayRegistry is running a database migration, a PostgreSQL upgrade or a restore';

const idle: RegistryUpgradeState = { migration: false, databases: [], restore: false };
const migrating: RegistryUpgradeState = { migration: true, databases: [], restore: false };
const restoring: RegistryUpgradeState = { migration: false, databases: [], restore: true };
const copying = (...databases: string[]): RegistryUpgradeState => ({ migration: false, databases, restore: false });

describe('upgradeStateOf', () => {
  const db = (phase: DatabaseUpgrade['phase'], kind: DatabaseUpgrade['kind'] = 'postgres') => ({ kind, phase }) as DatabaseUpgrade;
  const planOf = (phase: MigrationPhase, elsewhere = false, ...databaseUpgrades: DatabaseUpgrade[]) => ({ migration: { phase, ...(elsewhere ? { elsewhere: true } : {}) }, databaseUpgrades }) as never;

  test.each([
    // [phase, elsewhere, currentVersion, migration running]
    ['running', false, undefined, true],
    ['running', false, 'v3.98.0', true],
    ['running', true, 'v3.98.0', false], // another site migrates: nothing runs here
    ['waiting', true, 'v3.98.0', false],
    ['waiting', false, undefined, false], // a new registry: nothing started
    ['waiting', false, 'v3.98.0', true], // an upgrade about to migrate
    ['waiting', false, V, false],
    ['failed', false, 'v3.98.0', false],
    ['done', false, 'v3.98.0', false],
    ['succeeded', false, undefined, false],
    ['done', false, V, false],
  ] as const)('migration %s (elsewhere %s), currentVersion %s: %s', (phase, elsewhere, current, migration) => {
    expect(upgradeStateOf(planOf(phase, elsewhere), current, V)).toEqual({ migration, databases: [], restore: false });
  });

  test('the managed databases still being upgraded, by kind; a restore as told', () => {
    const plan = planOf('done', false, db('scaling-down'), db('done', 'clairpostgres'), db('failed'), db('copying', 'clairpostgres'));
    expect(upgradeStateOf(plan, V, V, true)).toEqual({ migration: false, databases: ['postgres', 'clairpostgres'], restore: true });
  });

  test('database upgrades count until done or failed', () => {
    for (const phase of ['starting-old', 'copying'] as const) expect(upgradeStateOf(planOf('done', false, db(phase)), V, V).databases).toEqual(['postgres']);
    for (const phase of ['done', 'failed'] as const) expect(upgradeStateOf(planOf('done', false, db(phase)), V, V).databases).toEqual([]);
  });
});

describe('upgradeableCondition', () => {
  test('nothing running anywhere (or no registry): True', () => {
    const yes = { status: 'True', reason: REASON_NONE, message: TRUE_MESSAGE };
    expect(upgradeableCondition(new Map())).toEqual(yes);
    expect(upgradeableCondition(new Map([['ns/a', idle], ['ns/b', copying()]]))).toEqual(yes);
  });

  test('each kind alone names its reason and the registry', () => {
    expect(upgradeableCondition(new Map([['ns/a', migrating], ['ns/b', idle]]))).toEqual({ status: 'False', reason: REASON_MIGRATION, message: `database migration running in QuayRegistry ns/a${TAIL}` });
    expect(upgradeableCondition(new Map([['ns/b', idle], ['ns/r', restoring]]))).toEqual({ status: 'False', reason: REASON_RESTORE, message: `restore running in QuayRegistry ns/r${TAIL}` });
    expect(upgradeableCondition(new Map([['ns/d', copying('postgres', 'clairpostgres')]]))).toEqual({
      status: 'False',
      reason: REASON_DATABASE_UPGRADE,
      message: `PostgreSQL major upgrade running in QuayRegistry ns/d (postgres, clairpostgres)${TAIL}`,
    });
  });

  test('all three: the database upgrade gives the reason, then the restore, then the migration; registries sorted', () => {
    const states = new Map<string, RegistryUpgradeState>([
      ['ns/z', migrating],
      ['ns/y', { migration: true, databases: [], restore: true }],
      ['ns/x', copying('clairpostgres')],
      ['ns/w', copying('postgres')],
    ]);
    expect(upgradeableCondition(states)).toEqual({
      status: 'False',
      reason: REASON_DATABASE_UPGRADE,
      message: `PostgreSQL major upgrade running in QuayRegistry ns/w (postgres), ns/x (clairpostgres); restore running in QuayRegistry ns/y; database migration running in QuayRegistry ns/y, ns/z${TAIL}`,
    });
    states.delete('ns/w');
    states.delete('ns/x');
    expect(upgradeableCondition(states).reason).toBe(REASON_RESTORE);
  });

  test('ten registries are all named; beyond ten, the rest counted', () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `ns/r${String(i).padStart(2, '0')}`);
    const ten = keys(10);
    expect(upgradeableCondition(new Map(ten.map((k) => [k, migrating]))).message).toBe(`database migration running in QuayRegistry ${ten.join(', ')}${TAIL}`);
    expect(upgradeableCondition(new Map(keys(11).map((k) => [k, migrating]))).message).toBe(`database migration running in QuayRegistry ${ten.join(', ')} and 1 more${TAIL}`);
    expect(upgradeableCondition(new Map(keys(13).map((k) => [k, migrating]))).message).toBe(`database migration running in QuayRegistry ${ten.join(', ')} and 3 more${TAIL}`);
  });
});

describe('operatorConditionFromEnv', () => {
  test('not under OLM: nothing, and no namespace read', () => {
    const read = jest.fn(() => 'sa-ns');
    expect(operatorConditionFromEnv({ POD_NAMESPACE: 'ops' }, read)).toEqual({});
    expect(operatorConditionFromEnv({ OPERATOR_CONDITION_NAME: '  ', POD_NAMESPACE: 'ops' }, read)).toEqual({});
    expect(read).not.toHaveBeenCalled();
  });

  test('the name and POD_NAMESPACE trimmed; a blank POD_NAMESPACE falls back to the ServiceAccount\'s', () => {
    expect(operatorConditionFromEnv({ OPERATOR_CONDITION_NAME: ' c.v1 \n', POD_NAMESPACE: ' ops ' }, () => 'sa-ns')).toEqual({ condition: { namespace: 'ops', name: 'c.v1' } });
    expect(operatorConditionFromEnv({ OPERATOR_CONDITION_NAME: 'c.v1', POD_NAMESPACE: ' ' }, () => 'sa-ns')).toEqual({ condition: { namespace: 'sa-ns', name: 'c.v1' } });
  });

  test('no namespace known: the problem, not a condition', () => {
    expect(operatorConditionFromEnv({ OPERATOR_CONDITION_NAME: 'c.v1' }, () => undefined)).toEqual({
      problem: "OPERATOR_CONDITION_NAME is c.v1 but the operator's namespace is unknown (set POD_NAMESPACE): Upgradeable is not reported",
    });
  });

  test('by default the namespace is the ServiceAccount\'s file, trimmed; unreadable: unknown', () => {
    const read = jest.mocked(readFileSync).mockReturnValueOnce('sa-ns\n');
    expect(operatorConditionFromEnv({ OPERATOR_CONDITION_NAME: 'c.v1' })).toEqual({ condition: { namespace: 'sa-ns', name: 'c.v1' } });
    expect(read).toHaveBeenCalledWith('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8');
    read.mockImplementationOnce(() => {
      throw new Error('ENOENT');
    });
    expect(operatorConditionFromEnv({ OPERATOR_CONDITION_NAME: 'c.v1' }).problem).toContain('namespace is unknown');
  });
});

describe('OperatorConditionReporter', () => {
  const OTHER = { type: 'example.com/Other', status: 'True', reason: 'Fine', message: 'kept', lastTransitionTime: '2024-01-01T00:00:00Z' };
  const T0 = new Date('2026-12-01T12:00:00.123Z');
  const T0_TEXT = '2026-12-01T12:00:00Z';

  /** The one OperatorCondition OLM made (null: none), behind get/apply; failures injected per call. */
  function olm(initial: Obj | null = { apiVersion: 'operators.coreos.com/v2', kind: 'OperatorCondition', metadata: { ...REF, resourceVersion: '1' }, spec: { deployments: ['quay-operator'], conditions: [OTHER] } }) {
    let live: Obj | undefined = initial ?? undefined;
    let rv = 1;
    const calls: string[] = [];
    const bodies: Obj[] = [];
    const getErrors: unknown[] = [];
    const applyErrors: unknown[] = [];
    let gate: Promise<void> | undefined;
    const client = {
      get: async (t: Obj, namespace: string, name: string) => {
        calls.push(`get ${t.kind} ${namespace}/${name}`);
        if (gate) await gate;
        const e = getErrors.shift();
        if (e) throw e;
        return live && JSON.parse(JSON.stringify(live));
      },
      apply: async (t: Obj, body: Obj) => {
        calls.push(`apply ${t.kind}`);
        bodies.push(body);
        const e = applyErrors.shift();
        if (e) throw e;
        live = { ...live, ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) }, spec: { ...live?.spec, ...body.spec } };
        return live;
      },
    } as unknown as KubeClient;
    const upgradeable = () => ((live?.spec?.conditions ?? []) as Obj[]).find((c) => c.type === UPGRADEABLE);
    return {
      client,
      calls,
      bodies,
      getErrors,
      applyErrors,
      upgradeable,
      live: () => live,
      set: (o: Obj | undefined) => (live = o),
      hold: () => {
        let release!: () => void;
        gate = new Promise((r) => (release = r));
        return () => {
          gate = undefined;
          release();
        };
      },
    };
  }

  function reporter(o: ReturnType<typeof olm>, retryMs?: number) {
    const log = capturedLog();
    let now = T0;
    const r = new OperatorConditionReporter({ client: o.client, condition: REF, logger: log.logger, now: () => now, ...(retryMs !== undefined ? { retryMs } : {}) });
    return { r, lines: log.lines, setNow: (d: Date) => (now = d), warnings: () => log.lines.filter((l) => l.level === 'warn') };
  }
  const GET = `get OperatorCondition ${REF.namespace}/${REF.name}`;
  const migratingCondition = { type: UPGRADEABLE, status: 'False', reason: REASON_MIGRATION, message: `database migration running in QuayRegistry ns/a${TAIL}`, lastTransitionTime: T0_TEXT };

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('nothing is written before start nor before every registry listed at start is reconciled; then one write', async () => {
    const o = olm();
    const { r, lines } = reporter(o);
    // Before start: reconciles are told, nothing happens (and nothing throws).
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    r.forget('ns/x');
    await r.idle();
    expect(o.calls).toEqual([]);

    r.start(['ns/a', 'ns/b']);
    r.reconciled('ns/a');
    await r.idle();
    expect(o.calls).toEqual([]);
    r.report('ns/b', idle);
    r.reconciled('ns/b');
    await r.idle();
    expect(o.calls).toEqual([GET, 'apply OperatorCondition']);
    expect(o.bodies).toEqual([
      {
        apiVersion: 'operators.coreos.com/v2',
        kind: 'OperatorCondition',
        metadata: { name: REF.name, namespace: REF.namespace, resourceVersion: '1' },
        spec: { conditions: [OTHER, migratingCondition] },
      },
    ]);
    expect(r.writes).toBe(1);
    expect(lines).toEqual([
      { level: 'info', msg: 'reporting upgradeability to the OperatorCondition', namespace: REF.namespace, name: REF.name },
      { level: 'info', msg: 'OperatorCondition set', condition: UPGRADEABLE, status: 'False', reason: REASON_MIGRATION, message: migratingCondition.message },
    ]);
    // OLM's fields stay.
    expect(o.live()!.spec.deployments).toEqual(['quay-operator']);
  });

  test('no registry at start: True written at once; a forgotten registry no longer counts', async () => {
    const o = olm();
    const { r } = reporter(o);
    r.start([]);
    await r.idle();
    expect(o.upgradeable()).toEqual({ type: UPGRADEABLE, status: 'True', reason: REASON_NONE, message: TRUE_MESSAGE, lastTransitionTime: T0_TEXT });
    r.report('ns/b', copying('postgres'));
    r.reconciled('ns/b');
    await r.idle();
    expect(o.upgradeable()).toMatchObject({ status: 'False', reason: REASON_DATABASE_UPGRADE });
    r.forget('ns/b');
    await r.idle();
    expect(o.upgradeable()).toMatchObject({ status: 'True', reason: REASON_NONE });
    expect(r.desired()).toEqual({ status: 'True', reason: REASON_NONE, message: TRUE_MESSAGE });
    expect(r.writes).toBe(3);
  });

  test('forget also releases a registry listed at start that was never reconciled', async () => {
    const o = olm();
    const { r } = reporter(o);
    r.start(['ns/a', 'ns/gone']);
    r.reconciled('ns/a');
    await r.idle();
    expect(o.calls).toEqual([]);
    r.forget('ns/gone');
    await r.idle();
    expect(o.upgradeable()).toMatchObject({ status: 'True' });
  });

  test('one write per change: reconciles finding the same state make no request', async () => {
    const o = olm();
    const { r } = reporter(o);
    r.start(['ns/a']);
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    const requests = o.calls.length;
    for (let i = 0; i < 3; i++) {
      r.report('ns/a', migrating);
      r.reconciled('ns/a');
    }
    await r.idle();
    expect(o.calls).toHaveLength(requests);
    expect(r.writes).toBe(1);
  });

  test('lastTransitionTime: kept while the status stays (only the reason changes), new when the status changes', async () => {
    const o = olm();
    const { r, setNow } = reporter(o);
    r.start(['ns/a']);
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    setNow(new Date('2026-12-01T13:00:00.5Z'));
    r.report('ns/a', restoring);
    r.reconciled('ns/a');
    await r.idle();
    expect(o.upgradeable()).toEqual({ type: UPGRADEABLE, status: 'False', reason: REASON_RESTORE, message: `restore running in QuayRegistry ns/a${TAIL}`, lastTransitionTime: T0_TEXT });
    setNow(new Date('2026-12-01T14:00:00.000Z'));
    r.report('ns/a', idle);
    r.reconciled('ns/a');
    await r.idle();
    expect(o.upgradeable()).toEqual({ type: UPGRADEABLE, status: 'True', reason: REASON_NONE, message: TRUE_MESSAGE, lastTransitionTime: '2026-12-01T14:00:00Z' });
    // Each write sent the resourceVersion it read, the other writer's condition first.
    expect(o.bodies.map((b) => [b.metadata.resourceVersion, b.spec.conditions.map((c: Obj) => c.type)])).toEqual([
      ['1', [OTHER.type, UPGRADEABLE]],
      ['2', [OTHER.type, UPGRADEABLE]],
      ['3', [OTHER.type, UPGRADEABLE]],
    ]);
  });

  test('a live Upgradeable of the same status without lastTransitionTime gets one', async () => {
    const o = olm({ metadata: { ...REF, resourceVersion: '9' }, spec: { conditions: [{ type: UPGRADEABLE, status: 'False', reason: 'Old', message: 'old' }] } });
    const { r } = reporter(o);
    r.start(['ns/a']);
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    expect(o.bodies.map((b) => b.spec)).toEqual([{ conditions: [migratingCondition] }]);
  });

  test('an OperatorCondition without spec: the condition is its only one', async () => {
    const o = olm({ metadata: { ...REF, resourceVersion: '3' } });
    const { r } = reporter(o);
    r.start([]);
    await r.idle();
    expect(o.bodies.map((b) => b.spec)).toEqual([{ conditions: [{ type: UPGRADEABLE, status: 'True', reason: REASON_NONE, message: TRUE_MESSAGE, lastTransitionTime: T0_TEXT }] }]);
  });

  test('without a clock given, lastTransitionTime is the time now', async () => {
    jest.setSystemTime(new Date('2026-12-24T18:30:00.987Z'));
    const o = olm();
    const r = new OperatorConditionReporter({ client: o.client, condition: REF, logger: capturedLog().logger });
    r.start([]);
    await r.idle();
    expect(o.upgradeable()!.lastTransitionTime).toBe('2026-12-24T18:30:00Z');
  });

  test('a change of the message alone (another registry starts migrating) is written', async () => {
    const o = olm();
    const { r } = reporter(o);
    r.start(['ns/a']);
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    r.report('ns/b', migrating);
    r.reconciled('ns/b');
    await r.idle();
    expect(o.upgradeable()).toEqual({ ...migratingCondition, message: `database migration running in QuayRegistry ns/a, ns/b${TAIL}` });
    expect(r.writes).toBe(2);
  });

  test.each([
    ['its status', { status: 'True' }],
    ['its reason', { reason: 'SomethingElse' }],
    ['its message', { message: 'edited' }],
  ] as [string, { status?: string; reason?: string; message?: string }][])('a live Upgradeable that differs only in %s (another writer) is corrected', async (_what, diff) => {
    const o = olm({ metadata: { ...REF, resourceVersion: '4' }, spec: { conditions: [{ ...migratingCondition, ...diff, lastTransitionTime: '2026-01-01T00:00:00Z' }] } });
    const { r } = reporter(o);
    r.start(['ns/a']);
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    expect(r.writes).toBe(1);
    expect(o.upgradeable()).toEqual({ ...migratingCondition, lastTransitionTime: diff.status ? T0_TEXT : '2026-01-01T00:00:00Z' });
  });

  test('a value that changes and changes back during a write asks nothing more', async () => {
    const o = olm();
    const { r } = reporter(o);
    r.start(['ns/a']);
    const release = o.hold();
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    r.report('ns/a', restoring);
    r.reconciled('ns/a');
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    release();
    await r.idle();
    expect(o.calls).toEqual([GET, 'apply OperatorCondition']);
    expect(o.upgradeable()).toEqual(migratingCondition);
  });

  test('a restart finding the live value already right writes nothing, then reads no more while it stays', async () => {
    const o = olm({ metadata: { ...REF, resourceVersion: '4' }, spec: { conditions: [OTHER, { ...migratingCondition, lastTransitionTime: '2026-01-01T00:00:00Z' }] } });
    const { r, lines } = reporter(o);
    r.start(['ns/a']);
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    r.reconciled('ns/a');
    await r.idle();
    expect(o.calls).toEqual([GET]);
    expect(r.writes).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual(['reporting upgradeability to the OperatorCondition']);
  });

  test('a conflict (409) is read again and retried, up to three times', async () => {
    const conflict = () => new ApiError(409, 'Conflict', 'PATCH ...: 409', 'the object has been modified');
    const o = olm();
    o.applyErrors.push(conflict(), conflict(), conflict());
    const { r, warnings } = reporter(o);
    r.start([]);
    await r.idle();
    expect(o.calls).toEqual(Array(4).fill([GET, 'apply OperatorCondition']).flat());
    expect(o.upgradeable()).toMatchObject({ status: 'True' });
    expect(r.writes).toBe(1);
    expect(warnings()).toEqual([]);

    const o2 = olm();
    o2.applyErrors.push(conflict(), conflict(), conflict(), conflict());
    const second = reporter(o2);
    second.r.start([]);
    await second.r.idle();
    expect(o2.calls).toHaveLength(8);
    expect(second.r.writes).toBe(0);
    expect(second.warnings()).toEqual([
      { level: 'warn', msg: 'could not set the OperatorCondition; OLM is not told whether upgrading is safe', namespace: REF.namespace, name: REF.name, status: 'True', err: 'the object has been modified' },
    ]);
    await second.r.stop();
  });

  test('another refusal is not retried at once', async () => {
    const o = olm();
    o.applyErrors.push(new ApiError(422, 'Invalid', 'PATCH ...: 422', 'spec.conditions: Invalid value'));
    const { r, warnings } = reporter(o);
    r.start([]);
    await r.idle();
    expect(o.calls).toEqual([GET, 'apply OperatorCondition']);
    expect(warnings().map((w) => w.err)).toEqual(['spec.conditions: Invalid value']);
    await r.stop();
  });

  test('no OperatorCondition (404): logged once, not asked again at every reconcile, written by the retry timer once it exists', async () => {
    const o = olm(null);
    const { r, lines, warnings } = reporter(o, 50);
    r.start(['ns/a']);
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    expect(o.calls).toEqual([GET]);
    expect(warnings()).toEqual([
      {
        level: 'warn',
        msg: 'could not set the OperatorCondition; OLM is not told whether upgrading is safe',
        namespace: REF.namespace,
        name: REF.name,
        status: 'False',
        err: `OperatorCondition ${REF.namespace}/${REF.name} not found`,
      },
    ]);
    r.reconciled('ns/a');
    r.reconciled('ns/a');
    await r.idle();
    expect(o.calls).toEqual([GET]);

    // Still missing at the retry (the reporter's clock has not moved: the timer alone lets it try): not logged again.
    jest.advanceTimersByTime(49);
    await r.idle();
    expect(o.calls).toEqual([GET]);
    jest.advanceTimersByTime(1);
    await r.idle();
    expect(o.calls).toEqual([GET, GET]);
    expect(warnings()).toHaveLength(1);

    // OLM creates it: the next retry writes it, and says so.
    o.set({ metadata: { ...REF, resourceVersion: '7' }, spec: {} });
    jest.advanceTimersByTime(50);
    await r.idle();
    expect(o.upgradeable()).toEqual(migratingCondition);
    expect(lines.slice(-2)).toEqual([
      { level: 'info', msg: 'OperatorCondition set', condition: UPGRADEABLE, status: 'False', reason: REASON_MIGRATION, message: migratingCondition.message },
      { level: 'info', msg: 'OperatorCondition written again', name: REF.name },
    ]);
    // No more timers, no more requests.
    jest.advanceTimersByTime(500);
    await r.idle();
    expect(o.calls).toEqual([GET, GET, GET, 'apply OperatorCondition']);
    await r.stop();
  });

  test('a refused write is tried again when the wanted value changes, and after retryMs without the timer', async () => {
    const o = olm();
    const forbidden = () => new ApiError(403, 'Forbidden', 'GET ...: 403', 'operatorconditions is forbidden');
    o.getErrors.push(forbidden(), forbidden(), forbidden());
    const { r, setNow, warnings } = reporter(o, 1000);
    r.start(['ns/a']);
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    // A new value: asked at once (and refused again: the same message, not logged again).
    r.report('ns/a', restoring);
    r.reconciled('ns/a');
    await r.idle();
    expect(o.calls).toEqual([GET, GET]);
    expect(warnings().map((w) => [w.status, w.err])).toEqual([['False', 'operatorconditions is forbidden']]);
    // The same value, 999 ms later: not asked; 1000 ms later: asked.
    setNow(new Date(T0.getTime() + 999));
    r.reconciled('ns/a');
    await r.idle();
    expect(o.calls).toEqual([GET, GET]);
    setNow(new Date(T0.getTime() + 1000));
    r.reconciled('ns/a');
    await r.idle();
    expect(o.calls).toEqual([GET, GET, GET]);
    // A different failure is logged; then it succeeds.
    o.getErrors.push(new Error('socket hang up'));
    setNow(new Date(T0.getTime() + 2000));
    r.reconciled('ns/a');
    await r.idle();
    expect(warnings().map((w) => w.err)).toEqual(['operatorconditions is forbidden', 'socket hang up']);
    setNow(new Date(T0.getTime() + 3000));
    r.reconciled('ns/a');
    await r.idle();
    expect(o.upgradeable()).toMatchObject({ status: 'False', reason: REASON_RESTORE });
    expect(r.writes).toBe(1);
    await r.stop();
  });

  test('refusals while a retry is pending share its one timer; the default retry is 60 s', async () => {
    const o = olm(null);
    const { r } = reporter(o);
    r.start(['ns/a']);
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    jest.advanceTimersByTime(30_000);
    r.report('ns/a', restoring);
    r.reconciled('ns/a');
    await r.idle();
    expect(o.calls).toEqual([GET, GET]);
    jest.advanceTimersByTime(29_999);
    await r.idle();
    expect(o.calls).toEqual([GET, GET]);
    jest.advanceTimersByTime(1);
    await r.idle();
    expect(o.calls).toEqual([GET, GET, GET]);
    // The next timer was set by that retry's refusal: 60 s on, not 30 s on.
    jest.advanceTimersByTime(59_999);
    await r.idle();
    expect(o.calls).toHaveLength(3);
    jest.advanceTimersByTime(1);
    await r.idle();
    expect(o.calls).toHaveLength(4);
    await r.stop();
  });

  test('a change during a write is written after it, by the same drain; stop waits for it and ends retries', async () => {
    const o = olm();
    const { r } = reporter(o, 50);
    r.start(['ns/a']);
    const release = o.hold();
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    r.report('ns/a', restoring);
    r.reconciled('ns/a');
    r.report('ns/a', copying('postgres'));
    r.reconciled('ns/a');
    expect(o.calls).toEqual([GET]);
    release();
    await r.idle();
    // The first write (the value wanted when it began) and one more for the latest: none in between.
    expect(o.bodies.map((b) => b.spec.conditions[1].reason)).toEqual([REASON_MIGRATION, REASON_DATABASE_UPGRADE]);
    expect(o.upgradeable()).toMatchObject({ reason: REASON_DATABASE_UPGRADE });
    expect(o.calls).toEqual([GET, 'apply OperatorCondition', GET, 'apply OperatorCondition']);

    // A write in flight at stop finishes; nothing after, not even the retry of a refusal.
    const release2 = o.hold();
    r.report('ns/a', idle);
    r.reconciled('ns/a');
    const stopped = r.stop();
    release2();
    await stopped;
    expect(o.upgradeable()).toMatchObject({ status: 'True' });
    r.report('ns/a', migrating);
    r.reconciled('ns/a');
    await r.idle();
    expect(r.writes).toBe(3);
  });

  test('a write in flight at stop that is refused schedules no retry', async () => {
    const o = olm(null);
    const { r, warnings } = reporter(o, 50);
    const release = o.hold();
    r.start([]);
    const stopped = r.stop();
    release();
    await stopped;
    expect(warnings()).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('stop clears a pending retry: nothing is asked after it', async () => {
    const o = olm(null);
    const { r } = reporter(o, 50);
    r.start([]);
    await r.idle();
    expect(o.calls).toEqual([GET]);
    expect(jest.getTimerCount()).toBe(1);
    await r.stop();
    expect(jest.getTimerCount()).toBe(0);
    o.set({ metadata: { ...REF, resourceVersion: '1' } });
    jest.advanceTimersByTime(1000);
    await r.idle();
    expect(o.calls).toEqual([GET]);
  });
});
