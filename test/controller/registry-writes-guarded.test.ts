// RegistryWrites and transitions (lib/controller/registry-writes.ts) against stubs: which refused
// writes are reported (a 409 Conflict is a race, not a refusal), what a status write counts and
// returns, and which condition changes become Events of which type. The controller tests reach this
// only through the fake API server; here each decision is read on its own.
import type { Condition, QuayRegistryStatus } from '../../lib/api/types';
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import type { RefusalReporter, WriteTarget } from '../../lib/controller/refusals';
import { RegistryWrites, transitions } from '../../lib/controller/registry-writes';
import type { ResourceType } from '../../lib/controller/resources';
import type { KubeObject } from '../../lib/synth';
import { capturedLog } from './runtime/helpers';

type Obj = Record<string, any>;
const NOW = new Date('2026-12-01T12:00:00Z');
const registry = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: 'ns', uid: 'u-1' } } as KubeObject;
const TARGET: WriteTarget = { verb: 'apply', kind: 'Deployment', name: 'r-quay-app' };

function setup(opts: { statusError?: unknown; eventError?: (reason: string) => Error | undefined } = {}) {
  const calls: string[] = [];
  const events: Obj[] = [];
  const client = {
    applyStatus: async (t: ResourceType, namespace: string, name: string, status: unknown) => {
      calls.push(`applyStatus ${t.kind} ${namespace}/${name} ${JSON.stringify(status)}`);
      if (opts.statusError) throw opts.statusError;
      return {};
    },
    create: async (_t: unknown, obj: Obj) => {
      const err = opts.eventError?.(obj.reason);
      if (err) throw err;
      events.push(obj);
      return obj;
    },
  } as unknown as KubeClient;
  const refusals = {
    report: async (r: KubeObject, t: WriteTarget, err: unknown) => void calls.push(`report ${r.metadata.name} ${t.verb} ${t.kind} ${t.name}: ${(err as Error).message}`),
    accepted: (r: KubeObject, t: WriteTarget) => void calls.push(`accepted ${r.metadata.name} ${t.verb} ${t.kind} ${t.name}`),
  } as unknown as RefusalReporter;
  const { logger, lines } = capturedLog();
  const writes = new RegistryWrites({ client, refusals, logger, now: () => NOW });
  return { writes, calls, events, lines };
}

describe('guarded', () => {
  test('a write that goes through is marked accepted and returns nothing', async () => {
    const s = setup();
    let wrote = 0;
    expect(await s.writes.guarded(registry, TARGET, async () => void wrote++)).toBeUndefined();
    expect(wrote).toBe(1);
    expect(s.calls).toEqual(['accepted r apply Deployment r-quay-app']);
  });

  test('a refusal is reported and returned, not thrown', async () => {
    const s = setup();
    const err = new ApiError(403, 'Forbidden', 'forbidden');
    expect(await s.writes.guarded(registry, TARGET, async () => Promise.reject(err))).toBe(err);
    expect(s.calls).toEqual(['report r apply Deployment r-quay-app: forbidden']);
  });

  test('only a 409 Conflict (a stale resourceVersion) goes unreported; 409 AlreadyExists, other codes and no answer are refusals', async () => {
    const s = setup();
    const conflict = new ApiError(409, 'Conflict', 'conflict');
    expect(await s.writes.guarded(registry, TARGET, async () => Promise.reject(conflict))).toBe(conflict);
    expect(s.calls).toEqual([]);
    for (const err of [new ApiError(409, 'AlreadyExists', 'exists'), new ApiError(422, 'Conflict', 'odd'), new Error('ECONNRESET')]) {
      expect(await s.writes.guarded(registry, TARGET, async () => Promise.reject(err))).toBe(err);
    }
    expect(s.calls).toEqual(['report r apply Deployment r-quay-app: exists', 'report r apply Deployment r-quay-app: odd', 'report r apply Deployment r-quay-app: ECONNRESET']);
  });
});

const cond = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message = `${type} ${reason}`): Condition => ({ type, status, reason, message });
const STATUS: QuayRegistryStatus = { currentVersion: 'v3.99.0', conditions: [cond('Available', 'True', 'HealthChecksPassing')] };

describe('writeStatus', () => {
  test('a changed status is applied to the status subresource, then the events recorded: one write each', async () => {
    const s = setup();
    const r = await s.writes.writeStatus(registry, undefined, STATUS, [{ type: 'Normal', reason: 'A', message: 'a' }, { type: 'Warning', reason: 'B', message: 'b' }]);
    expect(r).toStrictEqual({ writes: 3 });
    expect(s.calls).toEqual([`applyStatus QuayRegistry ns/r ${JSON.stringify(STATUS)}`, 'accepted r apply QuayRegistry r/status']);
    expect(s.events.map((e) => [e.type, e.reason, e.message, e.lastTimestamp])).toEqual([
      ['Normal', 'A', 'a', '2026-12-01T12:00:00.000Z'],
      ['Warning', 'B', 'b', '2026-12-01T12:00:00.000Z'],
    ]);
  });

  test('an unchanged status (timestamps aside) is not written', async () => {
    const s = setup();
    const previous = { ...STATUS, lastUpdated: 'yesterday' };
    expect(await s.writes.writeStatus(registry, previous, STATUS, [])).toStrictEqual({ writes: 0 });
    expect(await s.writes.writeStatus(registry, previous, STATUS, [{ type: 'Normal', reason: 'A', message: 'a' }])).toStrictEqual({ writes: 1 });
    expect(s.calls).toEqual([]);
  });

  test('a refused status write is reported and returned; the events are recorded all the same', async () => {
    const err = new ApiError(403, 'Forbidden', 'status is forbidden');
    const s = setup({ statusError: err });
    const r = await s.writes.writeStatus(registry, undefined, STATUS, [{ type: 'Normal', reason: 'A', message: 'a' }]);
    expect(r).toStrictEqual({ writes: 1, error: err });
    expect(s.calls).toEqual([`applyStatus QuayRegistry ns/r ${JSON.stringify(STATUS)}`, 'report r apply QuayRegistry r/status: status is forbidden']);
    expect(s.events.map((e) => e.reason)).toEqual(['A']);
  });

  test('an Event that cannot be recorded is logged and not counted; the others are', async () => {
    const s = setup({ eventError: (reason) => (reason === 'A' ? new Error('events is forbidden') : undefined) });
    const r = await s.writes.writeStatus(registry, STATUS, STATUS, [{ type: 'Normal', reason: 'A', message: 'a' }, { type: 'Normal', reason: 'B', message: 'b' }]);
    expect(r).toStrictEqual({ writes: 1 });
    expect(s.events.map((e) => e.reason)).toEqual(['B']);
    expect(s.lines).toEqual([{ level: 'warn', msg: 'could not record event', reason: 'A', err: 'events is forbidden' }]);
  });
});

describe('transitions', () => {
  const status = (...conditions: Condition[]): QuayRegistryStatus => ({ conditions });

  test('first status: an Event for each documented condition, in order RolloutBlocked, ComponentsCreated, Available; others none', () => {
    const next = status(cond('Available', 'False', 'ComponentsCreationFailed', 'down'), cond('ComponentsCreated', 'True', 'ComponentsCreationSuccess', 'made'), cond('RolloutBlocked', 'False', 'RolloutUnblocked', 'ok'), cond('ComponentClairReady', 'False', 'Pending', 'x'));
    expect(transitions(undefined, next)).toEqual([
      { type: 'Normal', reason: 'RolloutUnblocked', message: 'ok' },
      { type: 'Normal', reason: 'ComponentsCreationSuccess', message: 'made' },
      { type: 'Normal', reason: 'ComponentsCreationFailed', message: 'down' },
    ]);
    expect(transitions({}, next).length).toBe(3);
  });

  test('a condition whose status and reason stayed says nothing (a new message alone is no transition)', () => {
    const before = status(cond('Available', 'True', 'HealthChecksPassing', 'old'));
    expect(transitions(before, status(cond('Available', 'True', 'HealthChecksPassing', 'new')))).toEqual([]);
  });

  test('a changed status or a changed reason is a transition', () => {
    const before = status(cond('Available', 'True', 'HealthChecksPassing'), cond('ComponentsCreated', 'True', 'ComponentsCreationSuccess'));
    expect(transitions(before, status(cond('Available', 'False', 'HealthChecksPassing', 'm1'), cond('ComponentsCreated', 'True', 'ComponentsUpdated', 'm2')))).toEqual([
      { type: 'Normal', reason: 'ComponentsUpdated', message: 'm2' },
      { type: 'Normal', reason: 'HealthChecksPassing', message: 'm1' },
    ]);
  });

  test('a condition gone from the next status says nothing', () => {
    expect(transitions(status(cond('Available', 'True', 'HealthChecksPassing')), status())).toEqual([]);
    expect(transitions(status(cond('Available', 'True', 'HealthChecksPassing')), {})).toEqual([]);
  });

  test('Warnings: RolloutBlocked True and any MigrationsFailed; RolloutBlocked False and other conditions True are Normal', () => {
    expect(transitions(undefined, status(cond('RolloutBlocked', 'True', 'UpgradeBlocked', 'm')))).toEqual([{ type: 'Warning', reason: 'UpgradeBlocked', message: 'm' }]);
    expect(transitions(undefined, status(cond('Available', 'False', 'MigrationsFailed', 'm')))).toEqual([{ type: 'Warning', reason: 'MigrationsFailed', message: 'm' }]);
    expect(transitions(undefined, status(cond('Available', 'True', 'HealthChecksPassing', 'm')))).toEqual([{ type: 'Normal', reason: 'HealthChecksPassing', message: 'm' }]);
    expect(transitions(undefined, status(cond('ComponentsCreated', 'True', 'ComponentsCreationSuccess', 'm')))).toEqual([{ type: 'Normal', reason: 'ComponentsCreationSuccess', message: 'm' }]);
  });
});
