// The benchmark's goals (`--check` fails when one does) and the before/after comparison: the issue's
// measurement (this operator then, and the Go operator) and this benchmark's figures from before
// issue 15 (bench/before.json), next to this run's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProcessResult } from './process';
import type { ReconcileResult } from './reconcile';
import type { StartupResult } from './startup';
import { fmt, round } from './stats';
import type { RenderManyResult, SynthResult } from './synth';

export interface Goal {
  readonly goal: string;
  readonly status: 'pass' | 'FAIL' | 'n/a';
  readonly detail: string;
}

/** The Go operator's reads until Available in the issue's measurement. */
export const GO_OPERATOR_READS = 28;
export const GOALS = { readyCpuMs: 300, idleRssMiB: 75, peakRssMiB: 100, thousandRssMiB: 256, renderMs: 10 } as const;

export interface Results {
  readonly synth?: SynthResult;
  readonly many: RenderManyResult[];
  readonly rec: ReconcileResult[];
  /** The largest N again, with the node flags of the operator's pod. */
  readonly podRec: ReconcileResult[];
  readonly startup?: StartupResult;
  readonly proc?: ProcessResult;
}

/** N, and the heap flag when the run had one. */
export function runLabel(r: ReconcileResult): string {
  const heap = r.execArgv.find((a) => a.startsWith('--max-old-space-size='));
  return heap ? `${r.n} (pod flags, heap ${fmt(r.heapLimitMiB, 0)} MiB)` : String(r.n);
}

/** Per-registry cost at the largest N over that at N=10 (N=1 carries fixed costs). */
function growth<T extends { n: number }>(rs: T[], perRegistry: (r: T) => number): { ratio: number; from: number; to: number } | undefined {
  const base = rs.find((r) => r.n === 10);
  const last = rs.reduce<T | undefined>((a, r) => (!a || r.n > a.n ? r : a), undefined);
  if (!base || !last || last.n <= base.n) return undefined;
  return { ratio: round(perRegistry(last) / perRegistry(base)), from: base.n, to: last.n };
}

const check = (goal: string, ok: boolean | undefined, detail: string): Goal => ({ goal, status: ok === undefined ? 'n/a' : ok ? 'pass' : 'FAIL', detail });

export function goals(r: Results): Goal[] {
  const out: Goal[] = [];
  if (r.synth) out.push(check(`rendering a registry: median < ${GOALS.renderMs} ms`, r.synth.render.median < GOALS.renderMs, `${fmt(r.synth.render.median)} ms`));
  const all = [...r.rec, ...r.podRec];
  if (all.length > 0) {
    const writes = all.reduce((a, x) => a + x.noop.traffic.clientWrites + x.restart.traffic.clientWrites, 0);
    out.push(check('a no-op reconcile makes no writes', writes === 0, `${writes} writes (no-op and restart, N = ${all.map(runLabel).join(', ')})`));
    const reads = all.reduce((a, x) => a + x.noop.traffic.clientReads, 0);
    out.push(check('a no-op reconcile makes no reads (inputs come from the caches)', reads === 0, `${reads} reads (N = ${all.map(runLabel).join(', ')})`));
  }
  const p = r.proc;
  const na = 'section 4 not run';
  out.push(check(`reads from start to Available <= the Go operator's ${GO_OPERATOR_READS}`, p && p.untilAvailable.reads <= GO_OPERATOR_READS, p ? `${p.untilAvailable.reads} reads (gets, lists, discovery); and ${p.untilAvailable.watches} watches` : na));
  out.push(check('at rest (HPAs scaling, status churn): no writes, no redundant write, no flap of Available', p && p.quiet.writes === 0 && p.quiet.redundantWrites === 0 && p.quiet.flaps === 0 && p.untilAvailable.flaps === 0, p ? `${p.quiet.writes} writes, ${p.quiet.redundantWrites} redundant, ${p.quiet.flaps + p.untilAvailable.flaps} flaps` : na));
  const cpu = r.startup?.readyCpuMs.median;
  out.push(check(`start-up: process start -> /readyz in < ${GOALS.readyCpuMs} ms of CPU`, cpu === undefined ? undefined : cpu < GOALS.readyCpuMs, cpu === undefined ? 'section 3 not run' : `${fmt(cpu, 0)} ms (median; node -e 0 alone: wall ${fmt(r.startup!.nodeBareMs.median, 0)} ms)`));
  out.push(check(`one registry: RSS at rest <= ${GOALS.idleRssMiB} MiB, peak <= ${GOALS.peakRssMiB} MiB`, p && p.idleRssMiB <= GOALS.idleRssMiB && p.peakRssMiB <= GOALS.peakRssMiB, p ? `at rest ${fmt(p.idleRssMiB)} MiB, peak ${fmt(p.peakRssMiB)} MiB (node ${p.nodeFlags.join(' ')})` : na));
  const thousand = (rs: ReconcileResult[], how: string): Goal => {
    const x = rs.find((y) => y.n === 1000);
    return check(
      `1000 registries in one process <= ${GOALS.thousandRssMiB} MiB RSS (${how})`,
      x && x.rollout.memory.peakRssMiB <= GOALS.thousandRssMiB,
      x ? `peak ${fmt(x.rollout.memory.peakRssMiB)} MiB, V8 heap limit ${fmt(x.heapLimitMiB, 0)} MiB` : 'N=1000 not run',
    );
  };
  out.push(thousand(r.rec, "V8's default heap limit on this machine"));
  out.push(thousand(r.podRec, "the node flags of the operator's pod"));
  const ratios = [
    ['render', growth(r.many, (m) => m.msPerRegistry)],
    ['rollout', growth(r.rec, (x) => x.rollout.msPerRegistry)],
    ['no-op', growth(r.rec, (x) => x.noop.ms / x.n)],
    ['requests', growth(r.rec, (x) => x.rollout.traffic.clientRequests / x.n)],
    ['memory', growth(r.rec, (x) => Math.max(x.rollout.memory.rssMiB - x.idle.rssMiB, 0.01) / x.n)],
  ] as const;
  const measured = ratios.filter(([, g]) => g !== undefined) as [string, NonNullable<ReturnType<typeof growth>>][];
  const linear = 'cost grows linearly with N (per-registry cost at the largest N <= 2x that at N=10)';
  out.push(measured.length === 0 ? check(linear, undefined, 'needs N=10 and a larger N') : check(linear, measured.every(([, g]) => g.ratio <= 2), measured.map(([what, g]) => `${what} ${fmt(g.ratio)}x (N=${g.to})`).join(', ')));
  return out;
}

// ------------------------------------------------------------------------------------- before/after

export interface ComparisonRow {
  readonly measure: string;
  /** The issue's measurement on a real API server: this operator before issue 15, and the Go operator. */
  readonly issue?: string;
  readonly goOperator?: string;
  /** This benchmark on this machine before issue 15 (bench/before.json). */
  readonly before?: string;
  readonly after: string;
}

type Before = Record<string, { issue?: string; goOperator?: string; before?: string }>;

/** bench/before.json: figures measured before issue 15, kept for the comparison. */
function loadBefore(): Before {
  try {
    return JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'bench', 'before.json'), 'utf8')).rows as Before;
  } catch {
    return {};
  }
}

export function comparison(r: Results): ComparisonRow[] {
  const before = loadBefore();
  const p = r.proc;
  const noop = r.rec.find((x) => x.n === 1);
  const thousand = r.rec.find((x) => x.n === 1000);
  const thousandPod = r.podRec.find((x) => x.n === 1000);
  const rows: [string, string | undefined][] = [
    ['reads from start to Available (gets, lists, discovery)', p && `${p.untilAvailable.reads} (+ ${p.untilAvailable.watches} watches)`],
    ['writes from start to Available', p && String(p.untilAvailable.writes)],
    ['reads of a no-op reconcile', noop && String(noop.noop.traffic.clientReads)],
    ['reads at rest (HPAs scaling, status churn)', p && `${p.quiet.reads} in ${fmt(p.quietMs / 1000, 0)} s`],
    ['writes at rest (HPAs scaling, status churn)', p && `${p.quiet.writes} in ${fmt(p.quietMs / 1000, 0)} s (${p.quiet.redundantWrites} redundant)`],
    ['flaps of Available', p && String(p.quiet.flaps + p.untilAvailable.flaps)],
    ['CPU, start -> /readyz', r.startup && `${fmt(r.startup.readyCpuMs.median, 0)} ms`],
    ['spawn -> /readyz (wall)', r.startup && `${fmt(r.startup.readyMs.median, 0)} ms`],
    ['CPU, whole run (start, one registry Available, at rest)', p && `${fmt(p.cpuMs, 0)} ms`],
    ['RSS at rest, one registry', p && `${fmt(p.idleRssMiB, 1)} MiB`],
    ['peak RSS, one registry', p && `${fmt(p.peakRssMiB, 1)} MiB`],
    ['RSS idle, empty cluster', r.startup && `${fmt(r.startup.idleRssMiB.median, 1)} MiB`],
    ["1000 registries, peak RSS (V8's default heap)", thousand && `${fmt(thousand.rollout.memory.peakRssMiB, 0)} MiB`],
    ["1000 registries, peak RSS (the pod's node flags)", thousandPod && `${fmt(thousandPod.rollout.memory.peakRssMiB, 0)} MiB`],
  ];
  return rows.map(([measure, after]) => ({ measure, ...before[measure], after: after ?? '-' }));
}
