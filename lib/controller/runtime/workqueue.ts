// A rate-limited, delaying work queue of keys, after client-go's workqueue and controller-runtime's
// reconcile loop:
// - a key waiting in the queue is not added twice (dirty set);
// - a key being processed is never handed to a second worker; adding it meanwhile marks it dirty,
//   and it is queued again once, when the running handler finishes;
// - addAfter delays a key (the earliest pending time wins); addRateLimited backs off per key
//   (base·2^n, capped), forget resets it;
// - start(concurrency, handler) runs up to `concurrency` different keys at once. A handler that
//   throws (or rejects) is retried with addRateLimited; one that returns { requeueAfterMs } is
//   forgotten and queued again after that delay; any other return forgets the key's failures;
// - shutdown() stops taking work and resolves when the handlers in flight have finished.

/** Time and timers, injectable so tests can drive them (e.g. Jest's fake timers or a manual clock). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What a handler may return: ask to be run again after a delay (not an error, no backoff). */
export interface Result {
  requeueAfterMs?: number;
}

export type Handler<K extends string> = (key: K) => Promise<Result | void>;

export interface WorkQueueOptions<K extends string> {
  clock?: Clock;
  /** First retry delay of addRateLimited (default 1 s). */
  baseDelayMs?: number;
  /** Cap of the per-key backoff (default 5 min). */
  maxDelayMs?: number;
  /** Told about each handler error (logging); the key is retried with backoff regardless. */
  onError?: (key: K, err: unknown, retryInMs: number) => void;
  /** Told after each handler run (metrics). */
  onProcessed?: (key: K, durationMs: number, outcome: 'success' | 'requeue' | 'error') => void;
}

interface Delayed {
  readonly at: number;
  readonly handle: unknown;
}

export class WorkQueue<K extends string> {
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  /** Keys ready to be processed, in order. */
  private readonly queue: K[] = [];
  /** Keys that need processing: queued, or added again while processing. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly delayed = new Map<K, Delayed>();
  private readonly failures = new Map<K, number>();
  private handler?: Handler<K>;
  private concurrency = 0;
  private shuttingDown = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: WorkQueueOptions<K> = {}) {
    this.clock = options.clock ?? realClock;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60 * 1000;
  }

  /** Queues a key for processing unless it is already waiting (or the queue is shutting down). */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    // A key being processed goes back into the queue when its handler finishes.
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.pump();
  }

  /** Queues a key after a delay. If the key is already waiting for a delay, the earlier time wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.cancelDelay(key);
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      const current = this.delayed.get(key);
      if (current?.handle !== handle) return;
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Queues a key after its backoff delay (base·2^n, capped), and counts the retry. Returns the delay. */
  addRateLimited(key: K): number {
    const delay = this.backoffFor(key);
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    this.addAfter(key, delay);
    return delay;
  }

  /** The delay the next addRateLimited(key) would use. */
  backoffFor(key: K): number {
    const n = this.failures.get(key) ?? 0;
    // 2^n overflows to Infinity for large n; min() keeps the cap.
    return Math.min(this.baseDelayMs * Math.pow(2, n), this.maxDelayMs);
  }

  /** Resets the key's backoff (after a successful run). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Keys waiting to be processed now (not the delayed ones, not those running). */
  depth(): number {
    return this.queue.length;
  }

  /** Keys waiting for a delay to pass. */
  delayedCount(): number {
    return this.delayed.size;
  }

  /** Keys whose handler is running. */
  inFlight(): number {
    return this.processing.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Starts `concurrency` workers calling `handler` for each key. */
  start(concurrency: number, handler: Handler<K>): void {
    if (this.handler) throw new Error('work queue already started');
    if (!(concurrency >= 1)) throw new Error(`concurrency must be at least 1, got ${concurrency}`);
    this.handler = handler;
    this.concurrency = Math.floor(concurrency);
    this.pump();
  }

  /**
   * Stops taking work: drops queued and delayed keys, ignores further adds, and resolves when the
   * handlers in flight have finished (a graceful SIGTERM).
   */
  shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) this.clock.clearTimeout(d.handle);
    this.delayed.clear();
    this.queue.length = 0;
    this.dirty.clear();
    return this.whenIdle();
  }

  /** Resolves once nothing is queued or running (delayed keys do not count). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.processing.size === 0 && (this.queue.length === 0 || !this.handler || this.shuttingDown);
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler) return;
    while (!this.shuttingDown && this.processing.size < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as K;
      this.dirty.delete(key);
      this.processing.add(key);
      void this.run(handler, key);
    }
    this.notifyIdle();
  }

  private async run(handler: Handler<K>, key: K): Promise<void> {
    const started = this.clock.now();
    let outcome: 'success' | 'requeue' | 'error' = 'success';
    try {
      const result = await handler(key);
      if (result && result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        outcome = 'requeue';
        this.forget(key);
        this.addAfter(key, result.requeueAfterMs);
      } else {
        this.forget(key);
      }
    } catch (err) {
      outcome = 'error';
      const delay = this.shuttingDown ? 0 : this.addRateLimited(key);
      this.safely(() => this.options.onError?.(key, err, delay));
    } finally {
      this.processing.delete(key);
      this.safely(() => this.options.onProcessed?.(key, this.clock.now() - started, outcome));
      // Added while it ran: process it again (once).
      if (this.dirty.has(key) && !this.shuttingDown) this.queue.push(key);
      this.pump();
    }
  }

  private cancelDelay(key: K): void {
    const d = this.delayed.get(key);
    if (!d) return;
    this.clock.clearTimeout(d.handle);
    this.delayed.delete(key);
  }

  private notifyIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch {
      // Hooks are for logging and metrics; their failures must not stall the queue.
    }
  }
}
