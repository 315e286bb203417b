// The fault matrix, whole-server faults: every watch dropped, every watch expired (410 Gone), a slow
// server (every answer delayed: 1 s in full mode) and a server down (a minute in full mode), each at
// each phase of a registry's rollout; every run must end in the clean run's final state, with one
// migration Job, one set of keys and no Secret lost.
import { FaultCase, globalCases, runCase } from './faults-matrix';
import { drive, endRun, settleClean, startRun } from './faults-scenario';
import { FinalState, finalState } from './faults-state';
import { FULL, selectCases } from './mode';

jest.setTimeout(FULL ? 600_000 : 60_000);

let clean: FinalState;

beforeAll(async () => {
  const run = await startRun();
  await drive(run, () => undefined);
  await settleClean(run);
  clean = finalState(run.server);
  expect(await endRun(run)).toEqual([]);
}, 60_000);

const cases: FaultCase[] = selectCases(globalCases(), 7);

test.each(cases.map((c) => [c.name, c] as const))('%s: converges to the clean final state', async (_name, c) => {
  expect(await runCase(c, clean)).toEqual([]);
});
