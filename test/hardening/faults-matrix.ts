// The fault matrix: each fault kind, on each verb the operator uses, injected at each phase of a run
// (faults-scenario.ts), must end in the clean run's final state with a clean history. A cell where
// the operator makes no request of that verb after that phase is left out (`VERBS_AFTER`, checked
// against a clean run by faults-verbs.test.ts), and every case asserts its fault did fire.
import type { FailMatch, FaultHandle } from '../support/apiserver/faults';
import { OPERATOR_USER } from '../support/controller-harness';
import { eventually } from '../support/cluster-sim';
import { FinalState } from './faults-state';
import { PHASES, Phase, Run, converge, drive, endRun, startRun } from './faults-scenario';
import { FULL } from './mode';

/** The verbs of the matrix, as the fake API server matches them. */
export const VERBS = {
  get: { verb: 'get' },
  list: { verb: 'list' },
  watch: { verb: 'watch' },
  create: { verb: 'create' },
  apply: { verb: 'apply', subresource: '' },
  patch: { verb: 'patch' },
  update: { verb: 'update' },
  delete: { verb: 'delete' },
  status: { subresource: 'status' },
} satisfies Record<string, FailMatch>;
export type VerbName = keyof typeof VERBS;
const WRITES: readonly VerbName[] = ['create', 'apply', 'patch', 'update', 'delete', 'status'];

/**
 * Which verbs the operator's reconcile uses after each phase of a clean run (the leader election's
 * Lease requests left out: the matrix's faults never hit them). Watches are opened at start (and
 * restart); the registry's finalizer is a merge patch of the first reconcile; Events are created
 * until the registry is Available; gets are discovery's and the namespace's one read after each
 * start (the last at restart); everything else goes on to the end (pod lists before pruning, the
 * prune's deletes). No `update`: the only updates are the Lease's renewals.
 */
export const VERBS_AFTER: Record<Phase, readonly VerbName[]> = {
  created: ['get', 'list', 'watch', 'create', 'apply', 'patch', 'delete', 'status'],
  databases: ['get', 'list', 'watch', 'create', 'apply', 'patch', 'delete', 'status'],
  restart: ['get', 'list', 'watch', 'create', 'apply', 'delete', 'status'],
  migration: ['list', 'create', 'apply', 'delete', 'status'],
  rollout: ['list', 'create', 'apply', 'delete', 'status'],
  // Switching mirror off changes no condition a transition Event is recorded for.
  reconfigure: ['list', 'apply', 'delete', 'status'],
};

/**
 * Verbs a clean run uses after a phase only sometimes, so no cell of the matrix (its fault might
 * never fire): after restart the namespace's one read (monitoring-label.ts) is in the reconcile that
 * creates the migration Job, before or after the test sees the Job.
 */
export const SOMETIMES_AFTER: Partial<Record<Phase, readonly VerbName[]>> = {
  migration: ['get'],
};

export type VerbFault = '500' | '429' | 'timeout' | '409';
export type GlobalFault = 'watch-drop' | 'watch-410' | 'slow' | 'down';

export interface FaultCase {
  readonly name: string;
  readonly fault: VerbFault | GlobalFault;
  readonly verb?: VerbName;
  /** Only requests of the verb whose path (and query) includes this. */
  readonly pathIncludes?: string;
  /** How many requests the fault takes (default DOSE's). */
  readonly count?: number;
  readonly phase: Phase;
  readonly always?: boolean;
}

/**
 * Cells aimed at one request where a fault did harm, run in `npm test` too: the matrix's faults hit
 * the first requests of a verb, and these requests come later.
 */
export const TARGETED: readonly FaultCase[] = [
  // Start-up lists the kinds only some registries use, outside any informer: one failure used to
  // leave the controller unable to start again ("informer for QuayRegistry already started").
  { name: '500 on the start-up list of on-demand kinds at restart', fault: '500', verb: 'list', pathIncludes: '/cronjobs', phase: 'restart', count: 1, always: true },
  // The keys Secret's create: refused, or carried out with its answer lost.
  { name: '409 on the create of the keys Secret', fault: '409', verb: 'create', pathIncludes: '/secrets', phase: 'created', always: true },
  { name: 'timeout on the create of the keys Secret', fault: 'timeout', verb: 'create', pathIncludes: '/secrets', phase: 'created', always: true },
];

/** 500s, 429s and timeouts on every verb, 409s on every write, at every phase where the verb is used. */
export function verbCases(): FaultCase[] {
  const cases: FaultCase[] = [];
  for (const fault of ['500', '429', 'timeout', '409'] as const) {
    for (const phase of PHASES) {
      for (const verb of VERBS_AFTER[phase]) {
        if (fault === '409' && !WRITES.includes(verb)) continue;
        cases.push({ name: `${fault} on ${verb} at ${phase}`, fault, verb, phase });
      }
    }
  }
  return [...TARGETED, ...cases];
}

/** Watch drops, 410s, a slow server and a server down, at every phase. */
export function globalCases(): FaultCase[] {
  return (['watch-drop', 'watch-410', 'slow', 'down'] as const).flatMap((fault) => PHASES.map((phase) => ({ name: `${fault} at ${phase}`, fault, phase })));
}

/** How many requests a verb fault takes, and how long the global ones last. */
export const DOSE = {
  '500': 3,
  '409': 3,
  '429': 3,
  /** Seconds a 429 asks to wait. */
  retryAfter: 1,
  timeout: 2,
  /** The slow server's delay per request: 1 s as the issue says in full mode. */
  slowMs: FULL ? 1000 : 40,
  /** The outage: a minute in full mode. */
  downMs: FULL ? 60_000 : 2_000,
};

/** What a case injected, to check afterwards that it did happen. */
interface Injected {
  handle?: FaultHandle;
  at?: number;
}

/** The leader election's Lease: its requests are the lease client's, not the reconcile's. */
export const LEASE_PATH = '/leases/';

function inject(run: Run, c: FaultCase, injected: Injected): void {
  const { server } = run;
  injected.at = Date.now();
  // Never the Lease's requests: the lease is read and renewed all along, so a fault on its gets or
  // updates would always fire, and a cell would pass for a verb the reconcile never used.
  const match: FailMatch = c.verb ? { ...VERBS[c.verb], user: OPERATOR_USER, excludePathIncludes: LEASE_PATH, ...(c.pathIncludes ? { pathIncludes: c.pathIncludes } : {}) } : {};
  switch (c.fault) {
    case '500':
      injected.handle = server.failNext(match, 500, c.count ?? DOSE['500']);
      break;
    case '409':
      injected.handle = server.failNext(match, 409, c.count ?? DOSE['409']);
      break;
    case '429':
      injected.handle = server.failNext(match, 429, c.count ?? DOSE['429'], DOSE.retryAfter);
      break;
    case 'timeout':
      // Writes are carried out, their answers lost: the operator cannot know they happened.
      injected.handle = server.holdNext(match, c.count ?? DOSE.timeout, { process: true });
      break;
    case 'watch-drop':
      server.dropWatches();
      break;
    case 'watch-410':
      server.expireWatches();
      break;
    case 'slow':
      server.setLatency(DOSE.slowMs);
      break;
    case 'down':
      server.goDown(DOSE.downMs);
      break;
  }
}

/**
 * Requests the operator sent while a 429 told it to wait: every one of its 429 answers at t must be
 * followed by no request of the same client (the lease has its own) before t + Retry-After, the
 * retry included. A little slack at the start for requests already on their way.
 */
export function hammering(run: Run): string[] {
  const requests = run.server.requests.filter((r) => r.user === OPERATOR_USER);
  const out: string[] = [];
  // The leader election has a client of its own (run.ts): its requests are told apart by path.
  const client = (o: { path: string }) => o.path.includes(LEASE_PATH);
  for (const r of requests) {
    if (r.code !== 429) continue;
    const until = r.at + DOSE.retryAfter * 1000 - 10;
    const early = requests.filter((o) => o !== r && o.at > r.at + 100 && o.at < until && client(o) === client(r));
    for (const o of early) out.push(`${o.method} ${o.path} ${o.at - r.at} ms after the 429 to ${r.method} ${r.path}`);
    const retry = requests.find((o) => o.at > r.at && o.method === r.method && o.path === r.path && o.query === r.query);
    if (retry && retry.at < until) out.push(`retried ${r.method} ${r.path} ${retry.at - r.at} ms after its 429`);
  }
  return out;
}

/** Runs one case: the scenario with the fault injected at its phase, to convergence; returns its problems. */
export async function runCase(c: FaultCase, clean: FinalState): Promise<string[]> {
  const run = await startRun();
  const injected: Injected = {};
  const problems: string[] = [];
  try {
    await drive(run, (phase) => {
      if (phase === c.phase) inject(run, c, injected);
    });
    await converge(run, clean);
    if (injected.at === undefined) problems.push('never injected');
    const handle = injected.handle;
    if (handle && handle.fired === 0) {
      // Not fired yet (the verb's next request, e.g. a periodic one, comes after the run converged): it must stay converged once it has.
      await eventually(() => expect(handle.fired).toBeGreaterThan(0), 15_000).catch(() => undefined);
      if (handle.fired === 0) problems.push(`the fault never fired: no ${c.verb} after ${c.phase}`);
      else await converge(run, clean);
    }
    if (c.fault === '429') problems.push(...hammering(run));
  } catch (err) {
    problems.push((err as Error).message);
  } finally {
    run.server.setLatency(0);
    problems.push(...(await endRun(run)));
  }
  return problems;
}
