// The fault matrix, per verb: 500s, 429s (with Retry-After and API Priority and Fairness's headers)
// and timeouts on every verb the operator uses, 409 conflicts on every write, each injected at each
// phase of a registry's rollout; every run must end in the clean run's final state, with one
// migration Job, one set of keys and no Secret lost. `npm test` runs a fixed subset, `npm run
// test:hardening` every case.
import { OPERATOR_USER } from '../support/controller-harness';
import { FaultCase, LEASE_PATH, SOMETIMES_AFTER, VERBS, VERBS_AFTER, VerbName, runCase, verbCases } from './faults-matrix';
import { PHASES, Phase, drive, endRun, settleClean, startRun } from './faults-scenario';
import { FinalState, finalState } from './faults-state';
import { FULL, selectCases } from './mode';

jest.setTimeout(FULL ? 400_000 : 60_000);

let clean: FinalState;
/** The verbs the clean run's operator used after each phase. */
const used: Partial<Record<Phase, Set<VerbName>>> = {};

beforeAll(async () => {
  const run = await startRun();
  const marks: Partial<Record<Phase, number>> = {};
  await drive(run, (phase) => {
    marks[phase] = run.server.requests.length;
  });
  await settleClean(run);
  clean = finalState(run.server);
  for (const phase of PHASES) {
    // Not the Lease's gets and updates (every retry period, for as long as the operator runs): the
    // matrix's faults never hit them (faults-matrix.ts inject), so they would make a cell for a verb
    // the reconcile itself does not use after the phase.
    const after = run.server.requests.slice(marks[phase]).filter((r) => r.user === OPERATOR_USER && !r.path.includes(LEASE_PATH));
    used[phase] = new Set((Object.keys(VERBS) as VerbName[]).filter((v) => after.some((r) => Object.entries(VERBS[v]).every(([k, want]) => (r as unknown as Record<string, unknown>)[k] === want))));
  }
  expect(await endRun(run)).toEqual([]);
}, 60_000);

test('the matrix has a cell for every verb the operator uses after each phase, and none for a verb it does not', () => {
  // A verb used only sometimes after a phase (SOMETIMES_AFTER) has no cell, whether this run used it or not.
  const sometimes = (phase: Phase) => SOMETIMES_AFTER[phase] ?? [];
  const table = (verbs: (phase: Phase) => Iterable<VerbName>) => Object.fromEntries(PHASES.map((phase) => [phase, [...verbs(phase)].filter((v) => !sometimes(phase).includes(v)).sort()]));
  expect(table((phase) => used[phase]!)).toEqual(table((phase) => VERBS_AFTER[phase]));
  for (const phase of PHASES) for (const verb of sometimes(phase)) expect([phase, verb, VERBS_AFTER[phase].includes(verb)]).toEqual([phase, verb, false]);
});

const cases: FaultCase[] = selectCases(verbCases(), 55);

test.each(cases.map((c) => [c.name, c] as const))('%s: converges to the clean final state', async (_name, c) => {
  expect(await runCase(c, clean)).toEqual([]);
});
