import { WorkQueue } from '../../../lib/controller/runtime/workqueue';
import { Deferred, ManualClock, deferred, flush } from './helpers';

/** A handler whose runs block until the test releases them, recording what runs when. */
function blockingHandler() {
  const runs: string[] = [];
  const active = new Map<string, number>();
  let maxActivePerKey = 0;
  let maxActive = 0;
  const gates = new Map<string, Deferred[]>();
  const handler = async (key: string) => {
    runs.push(key);
    active.set(key, (active.get(key) ?? 0) + 1);
    maxActivePerKey = Math.max(maxActivePerKey, active.get(key) as number);
    maxActive = Math.max(maxActive, [...active.values()].reduce((a, b) => a + b, 0));
    const gate = deferred();
    gates.set(key, [...(gates.get(key) ?? []), gate]);
    try {
      await gate.promise;
    } finally {
      active.set(key, (active.get(key) as number) - 1);
    }
  };
  return {
    handler,
    runs,
    active: () => [...active.entries()].filter(([, n]) => n > 0).map(([k]) => k).sort(),
    maxActivePerKey: () => maxActivePerKey,
    maxActive: () => maxActive,
    /** Lets the oldest running handler of `key` finish. */
    async release(key: string, err?: Error) {
      const g = gates.get(key)?.shift();
      if (!g) throw new Error(`${key} is not running`);
      if (err) g.reject(err);
      else g.resolve();
      await flush();
    },
  };
}

describe('WorkQueue', () => {
  it('does not queue a key that is already waiting', async () => {
    const q = new WorkQueue<string>({ clock: new ManualClock() });
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.depth()).toBe(2);
    const runs: string[] = [];
    q.start(1, async (k) => {
      runs.push(k);
    });
    await q.whenIdle();
    expect(runs).toEqual(['ns/a', 'ns/b']);
    expect(q.depth()).toBe(0);
  });

  it('never runs one key twice at once, and re-queues a key added while it runs, once', async () => {
    const q = new WorkQueue<string>({ clock: new ManualClock() });
    const h = blockingHandler();
    q.start(4, h.handler);
    q.add('a');
    await flush();
    expect(h.active()).toEqual(['a']);
    // Added three times while processing: waits, not in the queue, not handed to another worker.
    q.add('a');
    q.add('a');
    q.add('a');
    await flush();
    expect(q.depth()).toBe(0);
    expect(q.inFlight()).toBe(1);
    expect(h.runs).toEqual(['a']);
    await h.release('a');
    // Processed again, once.
    expect(h.runs).toEqual(['a', 'a']);
    await h.release('a');
    await q.whenIdle();
    expect(h.runs).toEqual(['a', 'a']);
    expect(h.maxActivePerKey()).toBe(1);
  });

  it('does not re-run a key that was not added while it ran', async () => {
    const q = new WorkQueue<string>({ clock: new ManualClock() });
    const h = blockingHandler();
    q.start(2, h.handler);
    q.add('a');
    await flush();
    await h.release('a');
    await q.whenIdle();
    expect(h.runs).toEqual(['a']);
  });

  it('runs different keys in parallel, up to the concurrency', async () => {
    const q = new WorkQueue<string>({ clock: new ManualClock() });
    const h = blockingHandler();
    q.start(2, h.handler);
    q.add('a');
    q.add('b');
    q.add('c');
    await flush();
    expect(h.active()).toEqual(['a', 'b']);
    expect(q.depth()).toBe(1);
    await h.release('b');
    expect(h.active()).toEqual(['a', 'c']);
    await h.release('a');
    await h.release('c');
    await q.whenIdle();
    expect(h.runs).toEqual(['a', 'b', 'c']);
    expect(h.maxActive()).toBe(2);
  });

  it('backs off exponentially per key, capped at 5 minutes, and forget resets it', () => {
    const q = new WorkQueue<string>({ clock: new ManualClock() });
    const delays = Array.from({ length: 5 }, () => q.addRateLimited('a'));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(q.numRequeues('a')).toBe(5);
    // Another key has its own backoff.
    expect(q.addRateLimited('b')).toBe(1000);
    for (let i = 0; i < 30; i++) q.addRateLimited('a');
    expect(q.addRateLimited('a')).toBe(300_000);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    expect(q.addRateLimited('a')).toBe(1000);
  });

  it('retries a failing handler with growing delays and forgets the failures after a success', async () => {
    const clock = new ManualClock();
    const errors: [string, number][] = [];
    const q = new WorkQueue<string>({ clock, onError: (k, _e, delay) => errors.push([k, delay]) });
    const runs: number[] = [];
    let failures = 3;
    q.start(1, async () => {
      runs.push(clock.now());
      if (failures-- > 0) throw new Error('boom');
    });
    const t0 = clock.now();
    q.add('a');
    await flush();
    expect(runs).toHaveLength(1);
    await clock.advance(999);
    expect(runs).toHaveLength(1);
    await clock.advance(1);
    expect(runs).toHaveLength(2);
    await clock.advance(2000);
    expect(runs).toHaveLength(3);
    await clock.advance(4000);
    expect(runs.map((t) => t - t0)).toEqual([0, 1000, 3000, 7000]);
    expect(errors).toEqual([
      ['a', 1000],
      ['a', 2000],
      ['a', 4000],
    ]);
    expect(q.numRequeues('a')).toBe(0);
    await clock.advance(60_000);
    expect(runs).toHaveLength(4);
  });

  it('addAfter delays a key, and the earliest time wins', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({ clock });
    const runs: [string, number][] = [];
    const t0 = clock.now();
    q.start(2, async (k) => {
      runs.push([k, clock.now() - t0]);
    });
    q.addAfter('a', 5000);
    q.addAfter('a', 1000); // earlier: replaces
    q.addAfter('b', 1000);
    q.addAfter('b', 5000); // later: ignored
    expect(q.delayedCount()).toBe(2);
    expect(q.depth()).toBe(0);
    await clock.advance(999);
    expect(runs).toEqual([]);
    await clock.advance(10_000);
    expect(runs).toEqual([
      ['a', 1000],
      ['b', 1000],
    ]);
    expect(q.delayedCount()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('a delayed key that is already queued is processed once', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 100);
    q.add('a');
    await clock.advance(100);
    expect(q.depth()).toBe(1);
  });

  it('requeues after requeueAfterMs without counting a failure', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({ clock });
    const runs: number[] = [];
    const t0 = clock.now();
    q.start(1, async () => {
      runs.push(clock.now() - t0);
      return runs.length < 3 ? { requeueAfterMs: 30_000 } : undefined;
    });
    q.add('a');
    await flush();
    await clock.advance(120_000);
    expect(runs).toEqual([0, 30_000, 60_000]);
    expect(q.numRequeues('a')).toBe(0);
  });

  it('shutdown waits for handlers in flight, then takes no more work', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({ clock });
    const h = blockingHandler();
    q.start(2, h.handler);
    q.add('a');
    q.add('b');
    q.add('c');
    q.addAfter('d', 1000);
    await flush();
    let done = false;
    const stopping = q.shutdown().then(() => {
      done = true;
    });
    q.add('a'); // ignored: shutting down
    q.add('e');
    await flush();
    expect(done).toBe(false);
    expect(q.depth()).toBe(0);
    await h.release('a');
    expect(done).toBe(false);
    await h.release('b');
    await stopping;
    expect(done).toBe(true);
    await clock.advance(10_000);
    expect(h.runs).toEqual(['a', 'b']);
    expect(clock.pending()).toBe(0);
  });

  it('shutdown resolves at once when idle, and a failing handler during shutdown is not retried', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({ clock });
    await q.shutdown();
    const q2 = new WorkQueue<string>({ clock });
    const h = blockingHandler();
    q2.start(1, h.handler);
    q2.add('a');
    await flush();
    const stopping = q2.shutdown();
    await h.release('a', new Error('interrupted'));
    await stopping;
    expect(q2.delayedCount()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('runs with real timers too', async () => {
    const q = new WorkQueue<string>({ baseDelayMs: 5 });
    const runs: string[] = [];
    let failed = false;
    q.start(2, async (k) => {
      runs.push(k);
      if (!failed) {
        failed = true;
        throw new Error('once');
      }
    });
    q.add('a');
    q.addAfter('b', 10);
    // Until the three runs happened (no fixed sleep: a loaded machine only makes it slower).
    for (const deadline = Date.now() + 5000; runs.length < 3 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
    await q.shutdown();
    expect(runs.sort()).toEqual(['a', 'a', 'b']);
  });
});

describe('WorkQueue edges', () => {
  it('addAfter with no delay queues at once and drops a pending delay of the key', () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    expect(q.depth()).toBe(2);
    expect(q.delayedCount()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('addAfter for the same time keeps the timer it has', () => {
    const clock = new ManualClock();
    const timers = jest.spyOn(clock, 'setTimeout');
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 1000);
    expect(timers).toHaveBeenCalledTimes(1);
  });

  it('a replaced timer that fires anyway (its cancel came too late) does nothing', async () => {
    const clock = new ManualClock();
    // clearTimeout that cancels nothing: the old timer still fires.
    clock.clearTimeout = () => undefined;
    const q = new WorkQueue<string>({ clock });
    const runs: number[] = [];
    const t0 = clock.now();
    q.start(1, async () => {
      runs.push(clock.now() - t0);
    });
    q.addAfter('a', 5000);
    q.addAfter('a', 1000);
    await clock.advance(10_000);
    expect(runs).toEqual([1000]);
  });

  it('takes no delayed keys while shutting down', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue<string>({ clock });
    await q.shutdown();
    q.addAfter('a', 1000);
    q.addAfter('b', 0);
    expect(q.delayedCount()).toBe(0);
    expect(q.depth()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('refuses to start twice, and a concurrency below 1', () => {
    const q = new WorkQueue<string>({ clock: new ManualClock() });
    expect(() => q.start(0, async () => undefined)).toThrow('concurrency must be at least 1, got 0');
    expect(() => q.start(Number.NaN, async () => undefined)).toThrow('concurrency must be at least 1, got NaN');
    q.start(1, async () => undefined);
    expect(() => q.start(1, async () => undefined)).toThrow('work queue already started');
  });

  it('requeueAfterMs of 0 is no requeue: the key runs once, as a success', async () => {
    const clock = new ManualClock();
    const outcomes: string[] = [];
    const q = new WorkQueue<string>({ clock, onProcessed: (_k, _ms, outcome) => outcomes.push(outcome) });
    q.start(1, async () => ({ requeueAfterMs: 0 }));
    q.add('a');
    await flush();
    await clock.advance(60_000);
    expect(outcomes).toEqual(['success']);
  });

  it('tells onProcessed each run: key, duration on the clock, outcome', async () => {
    const clock = new ManualClock();
    const seen: [string, number, string][] = [];
    const q = new WorkQueue<string>({ clock, onProcessed: (k, ms, outcome) => seen.push([k, ms, outcome]) });
    let n = 0;
    q.start(1, async (k) => {
      n++;
      await clock.advance(250);
      if (n === 1) throw new Error('first');
      if (n === 2) return { requeueAfterMs: 1000 };
      return undefined;
    });
    q.add('a');
    await flush();
    await clock.advance(5000);
    expect(seen).toEqual([
      ['a', 250, 'error'],
      ['a', 250, 'requeue'],
      ['a', 250, 'success'],
    ]);
  });

  it('whenIdle asked between two runs (from a hook) waits for the queued key', async () => {
    const clock = new ManualClock();
    const finished: string[] = [];
    let idleAfter: string[] | undefined;
    const q = new WorkQueue<string>({
      clock,
      onProcessed: (k) => {
        if (k === 'a') void q.whenIdle().then(() => (idleAfter = [...finished]));
      },
    });
    q.add('a');
    q.add('b');
    q.start(1, async (k) => {
      await flush();
      finished.push(k);
    });
    await q.whenIdle();
    await flush();
    expect(idleAfter).toEqual(['a', 'b']);
  });
});
