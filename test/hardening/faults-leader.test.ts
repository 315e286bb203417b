// Two operator processes (the built binary, `run --leader-elect` with short leases) share the fake API
// server; the leader is killed with SIGKILL in the middle of a reconcile. The other must take the
// lease within the lease duration (plus one retry period) and finish the rollout as an uninterrupted
// run finishes it: one migration Job, one set of keys, no Secret lost.
import { eventually } from '../support/cluster-sim';
import { FinalState, MIGRATION_JOB, NAME, NS, difference, finalState } from './faults-state';
import { LEASE, MIGRATION, ProcessRun, createRegistry, created, endProcessRun, kill9, onceWhen, settled, startOperatorProcess, startProcessRun, within } from './faults-process';
import { FULL } from './mode';

type Obj = Record<string, any>;

jest.setTimeout(FULL ? 120_000 : 60_000);

const holder = (run: ProcessRun) => (run.server.get('coordination.k8s.io/v1', 'Lease', 'quay-operator', 'quay-operator-leader') as Obj | undefined)?.spec?.holderIdentity as string | undefined;
/** Objects of the registry in its namespace: fewer at the kill than at the end means the reconcile was cut short. */
const owned = (run: ProcessRun) => Object.keys(finalState(run.server)).filter((k) => k.includes(`/${NS}/${NAME}-`)).length;

let clean: FinalState;

beforeAll(async () => {
  const run = await startProcessRun();
  startOperatorProcess(run, 'op-a');
  createRegistry(run);
  run.cluster.gate = 3;
  clean = await settled(run);
  expect(await endProcessRun(run)).toEqual([]);
}, 60_000);

const CASES = [
  { name: 'while it creates the databases', gate: 0, when: created('Deployment', `${NAME}-quay-database`) },
  { name: 'right after it created the migration Job', gate: 1, when: MIGRATION },
];

test.each((FULL ? CASES : CASES.slice(0, 1)).map((c) => [c.name, c] as const))('the leader killed %s: the other takes over within the lease duration and ends as a clean run', async (_name, c) => {
  const run = await startProcessRun();
  const problems: string[] = [];
  try {
    const a = startOperatorProcess(run, 'op-a');
    await eventually(() => expect(holder(run)).toBe('op-a'), 20_000);
    const b = startOperatorProcess(run, 'op-b');
    await eventually(() => expect(b.logs()).toContain('quay-operator starting'), 20_000);
    if (c.gate > 0) {
      createRegistry(run);
      await eventually(() => expect(run.server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-database`)).toBeDefined(), 20_000);
    }
    let killedAt = 0;
    let ownedAtKill = 0;
    const killed = onceWhen(run.server, c.when, () => {
      a.child.kill('SIGKILL');
      killedAt = Date.now();
      ownedAtKill = owned(run);
    });
    let takenAt = 0;
    const takenOver = onceWhen(run.server, (ch) => ch.obj.kind === 'Lease' && ch.obj.spec?.holderIdentity === 'op-b', () => (takenAt = Date.now()));
    if (c.gate === 0) createRegistry(run);
    run.cluster.gate = c.gate;
    await within(killed, 20_000, 'the kill');
    await kill9(a);
    await within(takenOver, LEASE.durationMs + 5000, 'the takeover');
    // After the kill (a takeover before it, or none recorded, would pass the bound below), within the
    // lease duration of the last renewal before the kill, found at the next retry.
    expect(killedAt).toBeGreaterThan(0);
    expect(takenAt).toBeGreaterThan(killedAt);
    expect(takenAt - killedAt).toBeLessThanOrEqual(LEASE.durationMs + LEASE.retryPeriodMs + 500);
    // Mid-reconcile: the registry's objects were not all there yet.
    if (c.gate === 0) expect(ownedAtKill).toBeLessThan(Object.keys(clean).filter((k) => k.includes(`/${NS}/${NAME}-`)).length);
    run.cluster.gate = 3;
    await eventually(() => expect(difference(finalState(run.server), clean)).toEqual({}), 30_000);
    expect(run.server.get('batch/v1', 'Job', NS, MIGRATION_JOB)).toBeDefined();
  } catch (err) {
    problems.push((err as Error).message);
  }
  expect([...problems, ...(await endProcessRun(run))]).toEqual([]);
});
