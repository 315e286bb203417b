// `npm run bench [-- --short]`: synthesis, reconcile and start-up figures, printed as tables and
// written to bench/results.json. Every measurement runs in a fresh worker process, one at a time,
// so peak RSS belongs to that measurement alone and runs do not compete for the CPU; the fake API
// server always runs in a process of its own.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { OPERATOR_MALLOC_ARENAS, OPERATOR_NODE_FLAGS } from '../constructs/operator-install';
import { OPERATOR_V8_FLAGS } from '../lib/controller/runtime/v8-flags';
import { ComparisonRow, Goal, comparison, goals, runLabel } from './goals';
import { Child, serve } from './ipc';
import { BIN, NODE_FLAGS } from './operator';
import { ProcessResult, processBench } from './process';
import { ReconcileResult, Traffic, reconcileWorker } from './reconcile';
import { StartupResult, startupBench } from './startup';
import { RenderManyResult, SynthResult, renderManyWorker, synthWorker } from './synth';
import { fmt, round, table } from './stats';

const WORKERS: Record<string, (args: any) => unknown> = {
  synth: synthWorker,
  'render-many': renderManyWorker,
  reconcile: reconcileWorker,
};

const USAGE = `Usage: npm run bench -- [options]

  --short              fewer renders and registries (CI: proves every section works)
  --only LIST          sections to run, of synth,reconcile,startup,process (default: all)
  --synth-n LIST       registries rendered in one process (default 1,10,100,1000; short 1,10)
  --reconcile-n LIST   registries reconciled by one operator (default 1,10,100,1000; short 1,10)
  --concurrency N      the operator's concurrent reconciles (default 4, as \`run\`)
  --pod-heap MiB       also reconcile the largest N as in the operator's pod: its node flags (default),
                       or V8's heap as Node sizes it for an old space of MiB (0: skip)
  --quiet-s S          section 4: seconds at rest after Available (default 60; short 20)
  --profile DIR        write V8 CPU profiles of every worker and fake API server to DIR
  --check              exit 1 when a goal is not met
`;

interface Config {
  readonly short: boolean;
  readonly sections: Set<string>;
  readonly renders: number;
  readonly warmup: number;
  readonly synthN: number[];
  readonly reconcileN: number[];
  readonly concurrency: number;
  readonly podFlags: string[] | undefined;
  readonly quietMs: number;
  readonly startupRuns: number;
  readonly execArgv: string[];
  readonly check: boolean;
}

function config(argv: string[]): Config {
  const { values } = parseArgs({
    args: argv,
    options: {
      short: { type: 'boolean', default: false },
      only: { type: 'string' },
      'synth-n': { type: 'string' },
      'reconcile-n': { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      'pod-heap': { type: 'string' },
      'quiet-s': { type: 'string' },
      profile: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const list = (s: string | undefined, dflt: number[]) => (s ? s.split(',').map((x) => Number(x.trim())).filter((x) => Number.isInteger(x) && x > 0) : dflt);
  const short = values.short ?? false;
  const sections = new Set((values.only ?? 'synth,reconcile,startup,process').split(',').map((s) => s.trim()));
  for (const s of sections) if (!['synth', 'reconcile', 'startup', 'process'].includes(s)) throw new Error(`unknown section ${s}\n${USAGE}`);
  const podHeap = values['pod-heap'] === undefined ? undefined : Number(values['pod-heap']);
  const profile = values.profile ? path.resolve(values.profile) : undefined;
  if (profile) fs.mkdirSync(profile, { recursive: true });
  return {
    short,
    sections,
    renders: short ? 50 : 200,
    warmup: short ? 10 : 50,
    synthN: list(values['synth-n'], short ? [1, 10] : [1, 10, 100, 1000]),
    reconcileN: list(values['reconcile-n'], short ? [1, 10] : [1, 10, 100, 1000]),
    concurrency: Number(values.concurrency),
    podFlags: podHeap === undefined ? OPERATOR_NODE_FLAGS : podHeap > 0 ? podHeapFlags(podHeap) : undefined,
    quietMs: Number(values['quiet-s'] ?? (short ? 20 : 60)) * 1000,
    startupRuns: short ? 2 : 5,
    execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [],
    check: values.check ?? false,
  };
}

/**
 * The V8 heap Node configures in a container whose memory limit gives this old space (Node sizes the
 * heap from the cgroup limit: old space = limit / 2, at least 256 MiB), young space included: V8
 * derives the semi-space from the old space (1/256 of it up to 256 MiB, else 1/128; 1 to 16 MiB).
 * 256 → 259 MiB, as `node` reports under the operator's 512Mi limit.
 */
function podHeapFlags(oldSpaceMiB: number): string[] {
  const semi = Math.min(16, Math.max(1, Math.round(oldSpaceMiB / (oldSpaceMiB <= 256 ? 256 : 128))));
  return [`--max-old-space-size=${oldSpaceMiB}`, `--max-semi-space-size=${semi}`];
}

/** Runs WORKERS[name](args) in a fresh process. */
async function inWorker<T>(cfg: Config, name: string, args: unknown, execArgv: string[] = []): Promise<T> {
  // The controller's workers with its pod's malloc setting.
  const w = Child.fork(__filename, ['--worker', name], { execArgv: [...cfg.execArgv, ...execArgv], env: { ...process.env, MALLOC_ARENA_MAX: OPERATOR_MALLOC_ARENAS } });
  try {
    return await w.call<T>('run', args);
  } finally {
    await w.stop();
  }
}

const log = (text: string) => process.stdout.write(text);

// ------------------------------------------------------------------------------------- printing

function printSynthesis(s: SynthResult | undefined, many: RenderManyResult[]): void {
  log('\n1. Synthesis: renderRegistry(model), the default all-managed registry (test/support/model.ts testModel())\n');
  if (s) {
    log(`  ${s.render.n} renders after ${s.warmup} warm-up; ${s.objects} objects, ${s.yamlBytes} bytes of YAML (toYamlStream)\n\n`);
    const row = (what: string, x: SynthResult['render']) => [what, fmt(x.median), fmt(x.p95), fmt(x.min), fmt(x.max)];
    log(table(['ms', 'median', 'p95', 'min', 'max'], [row('renderRegistry', s.render), row('toYamlStream', s.yaml)]));
  }
  if (many.length > 0) {
    const base = many.find((m) => m.n === 10) ?? many[0];
    log(`\n  N distinct registries rendered in one process (after warm-up; models built beforehand):\n\n`);
    log(
      table(
        ['registries', 'total ms', 'ms/registry', `vs N=${base.n}`, 'objects', 'RSS before MiB', 'RSS after MiB', 'peak RSS MiB'],
        many.map((m) => [String(m.n), fmt(m.totalMs), fmt(m.msPerRegistry), `${fmt(m.msPerRegistry / base.msPerRegistry)}x`, String(m.objects), fmt(m.before.rssMiB), fmt(m.after.rssMiB), fmt(m.after.peakRssMiB)]),
      ),
    );
  }
}

function trafficRow(what: string, t: Traffic): string[] {
  return [what, String(t.reconciles), String(t.errors), fmt(t.meanReconcileMs), String(t.clientReads), String(t.clientWatches), String(t.clientWrites), String(t.redundantWrites), String(t.flaps), String(t.clientBytesSent), String(t.serverRequests), String(t.serverWrites)];
}

function printReconcile(results: ReconcileResult[], concurrency: number): void {
  log(`\n2. Reconcile: the controller against the fake API server (in its own process), concurrency ${concurrency}\n`);
  if (results.length === 0) return;
  log(`   node ${results[0].execArgv.join(' ')} (the pod's flags but its heap limit); V8 flags as \`run\` sets them: ${OPERATOR_V8_FLAGS.join(' ')}\n`);
  const one = results[0];
  log(`\n  One operator, ${one.n} registr${one.n === 1 ? 'y' : 'ies'} (${one.rollout.objectsPerRegistry} objects each once rolled out). What the operator's KubeClient sent (reads: GETs but watches), and`);
  log(`\n  what the fake received (redundant: writes it accepted that changed nothing; flaps: Available True, then False).\n\n`);
  const header = ['phase', 'reconciles', 'errors', 'mean ms', 'reads', 'watches', 'writes', 'redundant', 'flaps', 'bytes sent', 'server req', 'server writes'];
  const rows = [
    ...(one.first ? [trafficRow('first reconcile (cluster not reacting yet)', one.first.traffic)] : []),
    trafficRow('create -> Available (whole rollout)', one.rollout.traffic),
    trafficRow('no-op reconcile of every registry', one.noop.traffic),
    trafficRow('restart: new operator, same cluster', one.restart.traffic),
  ];
  log(table(header, rows));
  log(`\n  create -> first object applied: ${fmt(one.rollout.toFirstWriteMs.median)} ms; create -> all objects applied and Available: ${fmt(one.rollout.toAvailableMs.median)} ms (median)\n`);
  if (one.first) log(`  first reconcile: create -> first write ${fmt(one.first.toFirstWriteMs)} ms\n`);
  const nonZero = results.flatMap((r) => [...r.noop.traffic.writeList, ...r.restart.traffic.writeList]);
  if (nonZero.length > 0) log(`  writes made by no-op reconciles:\n${nonZero.slice(0, 20).map((w) => `    ${w}\n`).join('')}`);
  const redundant = results.flatMap((r) => [...r.rollout.traffic.redundantList, ...r.noop.traffic.redundantList]);
  if (redundant.length > 0) log(`  redundant writes:\n${redundant.slice(0, 20).map((w) => `    ${w}\n`).join('')}`);

  log(`\n  N registries created at once; "applied" = every one reports Available (all objects applied, pods simulated ready):\n\n`);
  log(
    table(
      ['registries', 'all applied ms', 'ms/registry', 'reconciles', 'reconciles/s', 'applied p50 ms', 'applied p95 ms', 'no-op ms', 'no-op rec/s', 'no-op writes', 'restart ms'],
      results.map((r) => [
        runLabel(r),
        fmt(r.rollout.allAvailableMs),
        fmt(r.rollout.msPerRegistry),
        String(r.rollout.traffic.reconciles),
        fmt(r.rollout.reconcilesPerSecond),
        fmt(r.rollout.toAvailableMs.median),
        fmt(r.rollout.toAvailableMs.p95),
        fmt(r.noop.ms),
        fmt(r.noop.reconcilesPerSecond),
        String(r.noop.traffic.clientWrites + r.restart.traffic.clientWrites),
        fmt(r.restart.idleMs),
      ]),
    ),
  );
  log('\n  Memory (MiB): the controller process (V8 heap limit; RSS idle after start, after the rollout, peak) and the fake API server process:\n\n');
  log(
    table(
      ['registries', 'heap limit', 'idle RSS', 'RSS after', 'peak RSS', 'heap after', 'KiB/registry', 'restart peak', 'fake RSS', 'fake peak'],
      results.map((r) => [
        runLabel(r),
        fmt(r.heapLimitMiB, 0),
        fmt(r.idle.rssMiB),
        fmt(r.rollout.memory.rssMiB),
        fmt(r.rollout.memory.peakRssMiB),
        fmt(r.rollout.memory.heapUsedMiB),
        fmt(((r.rollout.memory.rssMiB - r.idle.rssMiB) * 1024) / r.n, 0),
        fmt(r.restart.memory.peakRssMiB),
        fmt(r.rollout.fakeServerMemory.rssMiB),
        fmt(r.rollout.fakeServerMemory.peakRssMiB),
      ]),
    ),
  );
}

/** Per-registry cost at each N, and its ratio to N=10's: flat means linear growth. */
function printGrowth(many: RenderManyResult[], rec: ReconcileResult[]): void {
  const ns = [...new Set([...many.map((m) => m.n), ...rec.map((r) => r.n)])].sort((a, b) => a - b);
  if (ns.length < 2) return;
  const render = (n: number) => many.find((m) => m.n === n)?.msPerRegistry;
  const r = (n: number) => rec.find((x) => x.n === n);
  const per = {
    render,
    rollout: (n: number) => r(n)?.rollout.msPerRegistry,
    noop: (n: number) => (r(n) ? r(n)!.noop.ms / n : undefined),
    requests: (n: number) => (r(n) ? r(n)!.rollout.traffic.clientRequests / n : undefined),
    kib: (n: number) => (r(n) ? ((r(n)!.rollout.memory.rssMiB - r(n)!.idle.rssMiB) * 1024) / n : undefined),
  };
  const cell = (f: (n: number) => number | undefined, n: number) => {
    const v = f(n);
    const base = f(10);
    return v === undefined ? '-' : `${fmt(v)}${base ? ` (${fmt(v / base)}x)` : ''}`;
  };
  log('\nGrowth with N: cost per registry (and its ratio to N=10; flat = linear)\n\n');
  log(
    table(
      ['registries', 'render ms', 'rollout ms', 'no-op reconcile ms', 'requests', 'RSS KiB above idle'],
      ns.map((n) => [String(n), cell(per.render, n), cell(per.rollout, n), cell(per.noop, n), cell(per.requests, n), cell(per.kib, n)]),
    ),
  );
}

function printStartup(s: StartupResult): void {
  log(`\n3. Start-up: node ${NODE_FLAGS.join(' ')} ${path.relative(process.cwd(), BIN)} run --kubeconfig ... against the fake API server (${s.runs} runs, empty cluster)\n\n`);
  const row = (what: string, x: StartupResult['readyMs']) => [what, fmt(x.median), fmt(x.p95), fmt(x.min), fmt(x.max)];
  log(
    table(
      ['', 'median', 'p95', 'min', 'max'],
      [
        row('spawn -> /readyz 200, ms', s.readyMs),
        row('CPU until /readyz 200, ms', s.readyCpuMs),
        row(`RSS ${s.idleWaitMs} ms after ready, MiB`, s.idleRssMiB),
        row('SIGTERM -> exit, ms', s.stopMs),
        row('node -e 0 (floor), ms', s.nodeBareMs),
      ],
    ),
  );
}

function printProcess(p: ProcessResult): void {
  log(`\n4. The operator process, one registry (as the issue measured): node ${p.nodeFlags.join(' ')} bin.js run, a registry created once ready,\n`);
  log(`   rolled out, then ${fmt(p.quietMs / 1000, 0)} s at rest while HPAs take its Deployments from 1 to 2 pods and a pod is replaced\n\n`);
  const counts = (what: string, c: ProcessResult['quiet']) => [what, String(c.reads), String(c.watches), String(c.writes), String(c.redundantWrites), String(c.flaps)];
  log(table(['phase', 'reads', 'watches', 'writes', 'redundant', 'flaps'], [counts('start -> Available', p.untilAvailable), counts('at rest', p.quiet)]));
  if (p.quiet.writeList.length > 0) log(`  writes at rest:\n${p.quiet.writeList.map((w) => `    ${w}\n`).join('')}`);
  log(`\n  ready after ${fmt(p.readyMs, 0)} ms (${fmt(p.readyCpuMs, 0)} ms CPU); Available ${fmt(p.toAvailableMs, 0)} ms after creation; CPU whole run ${fmt(p.cpuMs, 0)} ms\n`);
  log(`  RSS at rest ${fmt(p.idleRssMiB)} MiB, peak ${fmt(p.peakRssMiB)} MiB\n`);
}

function printComparison(rows: ComparisonRow[]): void {
  log('\nBefore and after issue 15 (issue: its measurement on a real API server; before: this benchmark before the change, bench/before.json)\n\n');
  log(table(['measure', 'issue: this operator', 'issue: Go operator', 'before', 'after'], rows.map((r) => [r.measure, r.issue ?? '-', r.goOperator ?? '-', r.before ?? '-', r.after])));
}

// ------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  const cfg = config(process.argv.slice(2));
  const cpus = os.cpus();
  const environment = {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cores: os.availableParallelism?.() ?? cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
  };
  log(`quay-operator benchmark${cfg.short ? ' (--short)' : ''}\n`);
  log(`  node ${environment.node}, ${environment.platform}, ${environment.cores} cores (${environment.cpu}), ${environment.memoryGiB} GiB RAM\n`);

  let synth: SynthResult | undefined;
  const many: RenderManyResult[] = [];
  if (cfg.sections.has('synth')) {
    synth = await inWorker<SynthResult>(cfg, 'synth', { renders: cfg.renders, warmup: cfg.warmup });
    for (const n of cfg.synthN) many.push(await inWorker<RenderManyResult>(cfg, 'render-many', { n, warmup: 20 }));
    printSynthesis(synth, many);
  }

  const rec: ReconcileResult[] = [];
  const podRec: ReconcileResult[] = [];
  if (cfg.sections.has('reconcile')) {
    const smallest = Math.min(...cfg.reconcileN);
    const reconcile = (n: number, execArgv: string[] = []) =>
      inWorker<ReconcileResult>(cfg, 'reconcile', { n, first: n === smallest, concurrency: cfg.concurrency, timeoutMs: Math.max(60_000, n * 600), fakeExecArgv: cfg.execArgv }, execArgv);
    // The operator's node flags but its heap limit: V8's default one on this machine.
    for (const n of cfg.reconcileN) rec.push(await reconcile(n, OPERATOR_NODE_FLAGS.filter((f) => !f.startsWith('--max-old-space-size='))));
    // As in the operator's pod (NODE_OPTIONS sets the heap): V8 collects sooner than with the heap
    // a machine with more memory gets, which lets it grow to ~4x what is live.
    if (cfg.podFlags) podRec.push(await reconcile(Math.max(...cfg.reconcileN), cfg.podFlags));
    printReconcile([...rec, ...podRec], cfg.concurrency);
  }

  let startup: StartupResult | undefined;
  if (cfg.sections.has('startup')) {
    startup = await startupBench({ runs: cfg.startupRuns, idleWaitMs: 1000, timeoutMs: 30_000 });
    printStartup(startup);
  }

  let proc: ProcessResult | undefined;
  if (cfg.sections.has('process')) {
    proc = await processBench({ quietMs: cfg.quietMs, timeoutMs: 60_000 });
    printProcess(proc);
  }

  printGrowth(many, rec);
  const all = { synth, many, rec, podRec, ...(startup ? { startup } : {}), ...(proc ? { proc } : {}) };
  const compared = comparison(all);
  printComparison(compared);
  const results: Goal[] = goals(all);
  log('\nGoals\n');
  for (const g of results) log(`  [${g.status}] ${g.goal}: ${g.detail}\n`);

  const file = path.resolve(__dirname, '..', '..', 'bench', 'results.json');
  const json = { environment, short: cfg.short, concurrency: cfg.concurrency, synthesis: synth ? { ...synth, many } : undefined, reconcile: rec, reconcilePodFlags: podRec, startup, process: proc, comparison: compared, goals: results };
  fs.writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
  log(`\nwrote ${path.relative(process.cwd(), file) || file}\n`);
  return cfg.check && results.some((g) => g.status === 'FAIL') ? 1 : 0;
}

if (process.argv[2] === '--worker') {
  const worker = WORKERS[process.argv[3]];
  if (!worker) throw new Error(`unknown worker ${process.argv[3]}`);
  serve({
    run: (args) => worker(args),
    stop: () => setImmediate(() => process.exit(0)),
  });
} else {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
