// The operator process (the built binary) killed with SIGKILL at each phase of a registry's first
// rollout, mid-request, and started again as kubelet restarts a container: right after the keys
// Secret is created, when the databases are created, while the migration Job runs, and while Quay
// rolls out. It must end where an uninterrupted run ends, having created one migration Job and one
// set of keys, and deleted no Secret.
import { eventually } from '../support/cluster-sim';
import { FinalState, KEYS_SECRET, NAME, NS, difference, finalState } from './faults-state';
import { MIGRATION, createRegistry, created, endProcessRun, kill9, onceWhen, settled, startOperatorProcess, startProcessRun, within } from './faults-process';
import { FULL } from './mode';

type Obj = Record<string, any>;

jest.setTimeout(FULL ? 300_000 : 60_000);


/** Quay rolling out: the migration has succeeded, quay-app is no longer held at 0. */
const QUAY_ROLLING_OUT = (c: { type: string; obj: Obj }) => c.obj.kind === 'Deployment' && c.obj.metadata.name === `${NAME}-quay-app` && (c.obj.spec.replicas ?? 1) > 0;

let clean: FinalState;


beforeAll(async () => {
  const run = await startProcessRun();
  startOperatorProcess(run, 'op-1');
  createRegistry(run);
  run.cluster.gate = 3;
  clean = await settled(run);
  expect(await endProcessRun(run)).toEqual([]);
}, 60_000);

type KillPoint = { readonly name: string; readonly gate: number; readonly when: (c: { type: string; obj: Obj }) => boolean };

const KILL_POINTS: KillPoint[] = [
  { name: 'keys created', gate: 0, when: created('Secret', KEYS_SECRET) },
  { name: 'databases created', gate: 0, when: created('Deployment', `${NAME}-quay-database`) },
  { name: 'migration running', gate: 1, when: MIGRATION },
  { name: 'Quay rolling out', gate: 2, when: QUAY_ROLLING_OUT },
];

/** One run, the operator killed at each of `points` in turn and started again. */
async function killedAt(points: readonly KillPoint[]): Promise<string[]> {
  const run = await startProcessRun();
  const problems: string[] = [];
  try {
    let op = startOperatorProcess(run, 'op-1');
    const keys = () => run.server.get('v1', 'Secret', NS, KEYS_SECRET) as Obj | undefined;
    let keysUid: string | undefined;
    for (const [i, point] of points.entries()) {
      const victim = op;
      const killed = onceWhen(run.server, point.when, () => victim.child.kill('SIGKILL'));
      if (i === 0) createRegistry(run);
      run.cluster.gate = point.gate;
      await within(killed, 30_000, `the kill at ${point.name}`);
      await kill9(victim);
      keysUid ??= keys()?.metadata.uid;
      op = startOperatorProcess(run, 'op-1');
    }
    run.cluster.gate = 3;
    await eventually(() => expect(difference(finalState(run.server), clean)).toEqual({}), 30_000);
    if (keys()?.metadata.uid !== keysUid) problems.push('the keys Secret was replaced');
  } catch (err) {
    problems.push((err as Error).message);
  }
  return [...problems, ...(await endProcessRun(run))];
}

test('killed at every phase in one rollout: the clean final state, one migration Job, one set of keys, no Secret lost', async () => {
  expect(await killedAt(KILL_POINTS)).toEqual([]);
});

// Full mode: each phase on its own as well (a kill that follows another may hide what one alone does).
if (FULL) {
  test.each(KILL_POINTS.map((p) => [p.name, p] as const))('killed once, at %s', async (_name, point) => {
    expect(await killedAt([point])).toEqual([]);
  });
}
