// `npm run bench [-- --short]`: synthesis, reconcile and start-up figures, printed as tables and
// written to bench/results.json. Every measurement runs in a fresh worker process, one at a time,
// so peak RSS belongs to that measurement alone and runs do not compete for the CPU; the fake API
// server always runs in a process of its own.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Child, serve } from './ipc';
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
  --only LIST          sections to run, of synth,reconcile,startup (default: all)
  --synth-n LIST       registries rendered in one process (default 1,10,100,1000; short 1,10)
  --reconcile-n LIST   registries reconciled by one operator (default 1,10,100,1000; short 1,10)
  --concurrency N      the operator's concurrent reconciles (default 4, as \`run\`)
  --pod-heap MiB       also reconcile the largest N with V8's heap as Node sizes it in the operator's
                       pod: old space MiB (default 256: its 512Mi memory limit; 0: skip)
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
  readonly podHeapMiB: number;
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
      'pod-heap': { type: 'string', default: '256' },
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
  const sections = new Set((values.only ?? 'synth,reconcile,startup').split(',').map((s) => s.trim()));
  for (const s of sections) if (!['synth', 'reconcile', 'startup'].includes(s)) throw new Error(`unknown section ${s}\n${USAGE}`);
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
    podHeapMiB: Number(values['pod-heap']),
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
  const w = Child.fork(__filename, ['--worker', name], { execArgv: [...cfg.execArgv, ...execArgv] });
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
  return [what, String(t.reconciles), String(t.errors), fmt(t.meanReconcileMs), String(t.clientRequests), String(t.clientWrites), String(t.clientBytesSent), String(t.serverRequests), String(t.serverWrites), String(t.serverBytes)];
}

/** N, and the heap flag when the run had one. */
function runLabel(r: ReconcileResult): string {
  const heap = r.execArgv.find((a) => a.startsWith('--max-old-space-size='));
  return heap ? `${r.n} (pod heap ${fmt(r.heapLimitMiB, 0)} MiB)` : String(r.n);
}

function printReconcile(results: ReconcileResult[], concurrency: number): void {
  log(`\n2. Reconcile: the controller against the fake API server (in its own process), concurrency ${concurrency}\n`);
  if (results.length === 0) return;
  const one = results[0];
  log(`\n  One operator, ${one.n} registr${one.n === 1 ? 'y' : 'ies'} (${one.rollout.objectsPerRegistry} objects each once rolled out). Client: what the operator's KubeClient sent; server: what the fake received.\n\n`);
  const header = ['phase', 'reconciles', 'errors', 'mean ms', 'client req', 'client writes', 'client bytes', 'server req', 'server writes', 'server bytes'];
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
  log(`\n3. Start-up: node build/lib/cli/bin.js run --kubeconfig ... against the fake API server (${s.runs} runs, empty cluster)\n\n`);
  const row = (what: string, x: StartupResult['readyMs']) => [what, fmt(x.median), fmt(x.p95), fmt(x.min), fmt(x.max)];
  log(
    table(
      ['', 'median', 'p95', 'min', 'max'],
      [row('spawn -> /readyz 200, ms', s.readyMs), row(`RSS ${s.idleWaitMs} ms after ready, MiB`, s.idleRssMiB), row('SIGTERM -> exit, ms', s.stopMs), row('node -e 0 (floor), ms', s.nodeBareMs)],
    ),
  );
}

// ------------------------------------------------------------------------------------- goals

interface Goal {
  readonly goal: string;
  readonly status: 'pass' | 'FAIL' | 'n/a';
  readonly detail: string;
}

/** Per-registry cost at the largest N over that at N=10 (N=1 carries fixed costs). */
function growth<T extends { n: number }>(rs: T[], perRegistry: (r: T) => number): { ratio: number; from: number; to: number } | undefined {
  const base = rs.find((r) => r.n === 10);
  const last = rs.reduce<T | undefined>((a, r) => (!a || r.n > a.n ? r : a), undefined);
  if (!base || !last || last.n <= base.n) return undefined;
  return { ratio: round(perRegistry(last) / perRegistry(base)), from: base.n, to: last.n };
}

function goals(synth: SynthResult | undefined, many: RenderManyResult[], rec: ReconcileResult[], podRec: ReconcileResult[]): Goal[] {
  const out: Goal[] = [];
  if (synth) out.push({ goal: 'rendering a registry: median < 10 ms', status: synth.render.median < 10 ? 'pass' : 'FAIL', detail: `${fmt(synth.render.median)} ms` });
  const all = [...rec, ...podRec];
  if (all.length > 0) {
    const total = all.reduce((a, r) => a + r.noop.traffic.clientWrites + r.restart.traffic.clientWrites, 0);
    out.push({ goal: 'a no-op reconcile makes no writes', status: total === 0 ? 'pass' : 'FAIL', detail: `${total} writes (no-op and restart, N = ${all.map(runLabel).join(', ')})` });
  }
  const thousand = (rs: ReconcileResult[], how: string): Goal => {
    const r = rs.find((x) => x.n === 1000);
    const goal = `1000 registries in one process under 256 MiB RSS (${how})`;
    return r
      ? { goal, status: r.rollout.memory.peakRssMiB < 256 ? 'pass' : 'FAIL', detail: `peak ${fmt(r.rollout.memory.peakRssMiB)} MiB, V8 heap limit ${fmt(r.heapLimitMiB, 0)} MiB` }
      : { goal, status: 'n/a', detail: 'N=1000 not run' };
  };
  out.push(thousand(rec, "V8's defaults on this machine"));
  out.push(thousand(podRec, "V8's heap as in the operator's 512Mi pod"));
  const ratios = [
    ['render', growth(many, (m) => m.msPerRegistry)],
    ['rollout', growth(rec, (r) => r.rollout.msPerRegistry)],
    ['no-op', growth(rec, (r) => r.noop.ms / r.n)],
    ['requests', growth(rec, (r) => r.rollout.traffic.clientRequests / r.n)],
    ['memory', growth(rec, (r) => Math.max(r.rollout.memory.rssMiB - r.idle.rssMiB, 0.01) / r.n)],
  ] as const;
  const measured = ratios.filter(([, g]) => g !== undefined) as [string, NonNullable<ReturnType<typeof growth>>][];
  out.push(
    measured.length === 0
      ? { goal: 'cost grows linearly with N (per-registry cost at the largest N <= 2x that at N=10)', status: 'n/a', detail: 'needs N=10 and a larger N' }
      : {
          goal: 'cost grows linearly with N (per-registry cost at the largest N <= 2x that at N=10)',
          status: measured.every(([, g]) => g.ratio <= 2) ? 'pass' : 'FAIL',
          detail: measured.map(([what, g]) => `${what} ${fmt(g.ratio)}x (N=${g.to})`).join(', '),
        },
  );
  return out;
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
    for (const n of cfg.reconcileN) rec.push(await reconcile(n));
    // The operator's pod (limits.memory 512Mi) makes Node size V8's old space at 256 MiB, which also
    // makes V8 collect garbage sooner: a machine with more memory lets the heap grow to ~4x what is live.
    if (cfg.podHeapMiB > 0) podRec.push(await reconcile(Math.max(...cfg.reconcileN), podHeapFlags(cfg.podHeapMiB)));
    printReconcile([...rec, ...podRec], cfg.concurrency);
  }

  let startup: StartupResult | undefined;
  if (cfg.sections.has('startup')) {
    startup = await startupBench({ runs: cfg.startupRuns, idleWaitMs: 1000, timeoutMs: 30_000 });
    printStartup(startup);
  }

  printGrowth(many, rec);
  const results = goals(synth, many, rec, podRec);
  log('\nGoals\n');
  for (const g of results) log(`  [${g.status}] ${g.goal}: ${g.detail}\n`);

  const file = path.resolve(__dirname, '..', '..', 'bench', 'results.json');
  const json = { environment, short: cfg.short, concurrency: cfg.concurrency, synthesis: synth ? { ...synth, many } : undefined, reconcile: rec, reconcilePodHeap: podRec, startup, goals: results };
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
