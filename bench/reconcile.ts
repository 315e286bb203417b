// Section 2: the controller against the fake API server. Runs in a worker process of its own (the
// controller's memory is this process's), with the fake API server in a child process.
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import { Controller } from '../lib/controller/controller';
import { KubeClient, RequestStats } from '../lib/controller/kube-client';
import { silentLogger } from '../lib/controller/runtime/logger';
import { Registry } from '../lib/controller/runtime/metrics';
import { applyOperatorV8Flags } from '../lib/controller/runtime/v8-flags';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION } from '../lib/images';
import { FakeServer, kubeConfigFor, startFakeServer } from './fake';
import { registryName, registryNamespace } from './names';
import { MiB, Summary, memory, round, sleep, waitFor } from './stats';

export interface ReconcileOptions {
  readonly n: number;
  /** Also measure the first reconcile of one more registry, with the cluster not reacting. */
  readonly first: boolean;
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Node flags for the fake API server's process (e.g. --cpu-prof). */
  readonly fakeExecArgv: string[];
}

/** What the operator sent (its KubeClient.stats) and what the fake server received, over one phase. */
export interface Traffic {
  readonly reconciles: number;
  readonly errors: number;
  /** Mean reconcile duration (the operator's own histogram), ms. */
  readonly meanReconcileMs: number;
  readonly clientRequests: number;
  /** GETs but watches (gets, lists, discovery). */
  readonly clientReads: number;
  readonly clientWatches: number;
  readonly clientWrites: number;
  readonly clientBytesSent: number;
  readonly serverRequests: number;
  readonly serverWrites: number;
  /** Writes the server accepted that changed nothing. */
  readonly redundantWrites: number;
  /** Registries' Available going from True to False. */
  readonly flaps: number;
  readonly serverBytes: number;
  /** The first writes the server saw (method and path), to show what a no-op wrote. */
  readonly writeList: string[];
  readonly redundantList: string[];
}

interface Progress {
  created: number;
  firstWritten: number;
  available: number;
  toFirstWriteMs: Summary;
  toAvailableMs: Summary;
  allAvailableMs?: number;
}

export interface ReconcileResult {
  readonly n: number;
  readonly concurrency: number;
  /** V8's heap limit in this process: the machine's memory decides it, or --max-old-space-size. */
  readonly heapLimitMiB: number;
  /** Node flags the controller ran with (e.g. a heap limit). */
  readonly execArgv: string[];
  readonly controllerStartMs: number;
  readonly idle: ReturnType<typeof memory>;
  readonly rollout: {
    /** First registry created → last one Available (the fake server's clock). */
    readonly allAvailableMs: number;
    readonly msPerRegistry: number;
    readonly reconcilesPerSecond: number;
    readonly toFirstWriteMs: Summary;
    readonly toAvailableMs: Summary;
    readonly objectsPerRegistry: number;
    readonly traffic: Traffic;
    readonly memory: ReturnType<typeof memory>;
    readonly fakeServerMemory: ReturnType<typeof memory>;
  };
  /** Every registry reconciled once more with nothing changed. */
  readonly noop: { readonly ms: number; readonly reconcilesPerSecond: number; readonly traffic: Traffic };
  /** A new operator process (fresh caches, no apply records) against the rolled-out cluster. */
  readonly restart: { readonly readyMs: number; readonly idleMs: number; readonly traffic: Traffic; readonly memory: ReturnType<typeof memory> };
  /** One more registry's first reconcile, the cluster not reacting (as on a real first deploy). */
  readonly first?: { readonly toFirstWriteMs: number; readonly traffic: Traffic };
}

/** What bench/fake-server-main's `requests` answers. */
export interface ServerCounts {
  requests: number;
  reads: number;
  watches: number;
  writes: number;
  redundantWrites: number;
  flaps: number;
  bytes: number;
  writeList: string[];
  redundantList: string[];
}

/** Values of the operator's metrics, read from its Prometheus text, summed over labels. */
function scrape(metrics: Registry): { reconciles: number; errors: number; durationSum: number; durationCount: number } {
  const sums = new Map<string, number>();
  const errors = { n: 0 };
  for (const line of metrics.render().split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) continue;
    sums.set(m[1], (sums.get(m[1]) ?? 0) + Number(m[3]));
    if (m[1] === 'quay_operator_reconciles_total' && m[2]?.includes('result="error"')) errors.n += Number(m[3]);
  }
  return {
    reconciles: sums.get('quay_operator_reconciles_total') ?? 0,
    errors: errors.n,
    durationSum: sums.get('quay_operator_reconcile_duration_seconds_sum') ?? 0,
    durationCount: sums.get('quay_operator_reconcile_duration_seconds_count') ?? 0,
  };
}

class Operator {
  readonly client: KubeClient;
  readonly metrics = new Registry();
  readonly controller: Controller;

  constructor(url: string, token: string, concurrency: number) {
    this.client = new KubeClient(kubeConfigFor(url, token));
    this.controller = new Controller({
      client: this.client,
      environment: { images: DEFAULT_IMAGES, quayVersion: DEFAULT_QUAY_VERSION },
      logger: silentLogger,
      metrics: this.metrics,
      concurrency,
      discoveryIntervalMs: 3_600_000,
    });
  }

  /** Waits until nothing is queued or running and no reconcile started for 100 ms (late watch events). */
  async settle(): Promise<void> {
    for (;;) {
      const before = scrape(this.metrics).reconciles;
      await this.controller.whenIdle();
      await sleep(100);
      const q = this.controller.queue;
      if (scrape(this.metrics).reconciles === before && q.depth() === 0 && q.inFlight() === 0) return;
    }
  }

  /** Starts counting a phase's traffic; the returned function ends it. */
  async measure(fake: FakeServer): Promise<() => Promise<Traffic>> {
    await fake.child.call('clear');
    const client0: RequestStats = { ...this.client.stats };
    const m0 = scrape(this.metrics);
    return async () => {
      const m = scrape(this.metrics);
      const server = await fake.child.call<ServerCounts>('requests');
      const count = m.durationCount - m0.durationCount;
      return {
        reconciles: m.reconciles - m0.reconciles,
        errors: m.errors - m0.errors,
        meanReconcileMs: round(count > 0 ? ((m.durationSum - m0.durationSum) * 1000) / count : NaN),
        clientRequests: this.client.stats.requests - client0.requests,
        clientReads: this.client.stats.reads - client0.reads,
        clientWatches: this.client.stats.watches - client0.watches,
        clientWrites: this.client.stats.writes - client0.writes,
        clientBytesSent: this.client.stats.bytesSent - client0.bytesSent,
        serverRequests: server.requests,
        serverWrites: server.writes,
        redundantWrites: server.redundantWrites,
        flaps: server.flaps,
        serverBytes: server.bytes,
        writeList: server.writeList,
        redundantList: server.redundantList,
      };
    };
  }
}

async function waitAvailable(fake: FakeServer, from: number, count: number, timeoutMs: number): Promise<Progress> {
  return waitFor(
    `${count} registries to become Available`,
    async () => {
      const p = await fake.child.call<Progress>('progress', { from, count });
      return p.available === count ? p : undefined;
    },
    timeoutMs,
    20,
  );
}

export async function reconcileWorker(o: ReconcileOptions): Promise<ReconcileResult> {
  applyOperatorV8Flags(); // as `quay-operator run` does at start
  const fake = await startFakeServer(o.fakeExecArgv);
  try {
    let op = new Operator(fake.url, fake.token, o.concurrency);
    let t = performance.now();
    await op.controller.start();
    const controllerStartMs = round(performance.now() - t);
    await op.settle();
    const idle = memory();

    // 1. N registries at once, until every one reports Available.
    let done = await op.measure(fake);
    await fake.child.call('create', { from: 0, count: o.n });
    const progress = await waitAvailable(fake, 0, o.n, o.timeoutMs);
    await op.settle();
    const rolloutTraffic = await done();
    const allAvailableMs = round(progress.allAvailableMs ?? NaN);
    const { objects } = await fake.child.call<{ objects: number }>('objects', { index: 0 });
    const rollout = {
      allAvailableMs,
      msPerRegistry: round(allAvailableMs / o.n),
      reconcilesPerSecond: round((rolloutTraffic.reconciles / allAvailableMs) * 1000),
      toFirstWriteMs: progress.toFirstWriteMs,
      toAvailableMs: progress.toAvailableMs,
      objectsPerRegistry: objects,
      traffic: rolloutTraffic,
      memory: memory(),
      fakeServerMemory: await fake.child.call('memory'),
    };

    // 2. A no-op reconcile of every registry: nothing changed, so nothing may be written.
    done = await op.measure(fake);
    t = performance.now();
    for (let i = 0; i < o.n; i++) op.controller.queue.add(`${registryNamespace(i)}/${registryName(i)}`);
    await op.controller.whenIdle();
    const noopMs = round(performance.now() - t);
    await op.settle();
    const noopTraffic = await done();
    const noop = { ms: noopMs, reconcilesPerSecond: round((noopTraffic.reconciles / noopMs) * 1000), traffic: noopTraffic };

    // 3. A restart: a new operator lists everything and reconciles every registry once.
    await op.controller.stop();
    op = new Operator(fake.url, fake.token, o.concurrency);
    done = await op.measure(fake);
    t = performance.now();
    await op.controller.start();
    const readyMs = round(performance.now() - t);
    await op.controller.whenIdle();
    const idleMs = round(performance.now() - t);
    await op.settle();
    const restart = { readyMs, idleMs, traffic: await done(), memory: memory() };

    // 4. The first reconcile of a new registry, before the cluster has reacted to anything.
    let first: ReconcileResult['first'];
    if (o.first) {
      await fake.child.call('simulate', { on: false });
      done = await op.measure(fake);
      const before = scrape(op.metrics).reconciles;
      await fake.child.call('create', { from: o.n, count: 1 });
      await waitFor('the first reconcile', () => (scrape(op.metrics).reconciles > before ? true : undefined), o.timeoutMs);
      await op.settle();
      const p = await fake.child.call<Progress>('progress', { from: o.n, count: 1 });
      first = { toFirstWriteMs: p.toFirstWriteMs.median, traffic: await done() };
      await fake.child.call('simulate', { on: true });
    }

    await op.controller.stop();
    return {
      n: o.n,
      concurrency: o.concurrency,
      heapLimitMiB: round(v8.getHeapStatistics().heap_size_limit / MiB),
      execArgv: process.execArgv.filter((a) => !a.startsWith('--cpu-prof')),
      controllerStartMs, idle, rollout, noop, restart, ...(first ? { first } : {}) };
  } finally {
    await fake.child.stop();
  }
}
