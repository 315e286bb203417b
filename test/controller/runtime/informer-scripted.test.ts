// The informer against a client the test scripts call by call, on a manual clock: what it logs and
// counts, which timers it leaves behind, and what it does with answers that arrive too late (after
// stop(), or for a watch it has given up). informer.test.ts checks the same informer against the
// fake API server.
import type { KubeClient } from '../../../lib/controller/kube-client';
import { typeOf } from '../../../lib/controller/resources';
import { Informer, InformerOptions, isGone } from '../../../lib/controller/runtime/informer';
import type { KubeObject } from '../../../lib/synth';
import { Deferred, ManualClock, capturedLog, deferred, flush } from './helpers';

const CM = typeOf('ConfigMap');
type Obj = Record<string, any>;

const cm = (name: string, rv?: string): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'quay', ...(rv === undefined ? {} : { resourceVersion: rv }) } }) as KubeObject;

interface Watch {
  selector: Obj;
  onEvent: (type: string, obj: unknown) => void;
  done: (err: unknown) => void;
  controller: AbortController;
}

/** A client whose list and watch calls wait for the test: `lists` and `watches` hold each call. */
function scriptedClient() {
  const lists: Deferred<{ items: KubeObject[]; resourceVersion: string }>[] = [];
  const watches: Watch[] = [];
  const watchAnswers: Deferred<AbortController>[] = [];
  let holdWatch = false;
  let refuseWatch = false;
  const client = {
    list: () => {
      const d = deferred<{ items: KubeObject[]; resourceVersion: string }>();
      lists.push(d);
      return d.promise;
    },
    watch: (_t: unknown, selector: Obj, onEvent: Watch['onEvent'], done: Watch['done']) => {
      if (refuseWatch) {
        refuseWatch = false;
        return Promise.reject(undefined);
      }
      const controller = new AbortController();
      watches.push({ selector, onEvent, done, controller });
      if (!holdWatch) return Promise.resolve(controller);
      const d = deferred<AbortController>();
      watchAnswers.push(d);
      return d.promise;
    },
  } as unknown as KubeClient;
  return {
    client,
    lists,
    watches,
    watchAnswers,
    holdWatches: () => (holdWatch = true),
    /** The next watch request is rejected, without even an error. */
    refuseNextWatch: () => (refuseWatch = true),
    lastWatch: () => watches[watches.length - 1],
  };
}

function setup(options: Partial<InformerOptions> = {}) {
  const clock = new ManualClock();
  const script = scriptedClient();
  const log = capturedLog();
  const inf = new Informer({ client: script.client, type: CM, selector: { namespace: 'quay' }, clock, logger: log.logger, backoff: { initialMs: 100, maxMs: 1000 }, watchTimeoutMs: 0, ...options });
  const events: string[] = [];
  inf.addEventHandler({
    onAdd: (o) => events.push(`add ${o.metadata.name}`),
    onUpdate: (a, b) => events.push(`update ${b.metadata.name} ${a.metadata.resourceVersion ?? '-'}->${b.metadata.resourceVersion ?? '-'}`),
    onDelete: (o) => events.push(`delete ${o.metadata.name}`),
  });
  /** Starts and answers the first list with `items` at resourceVersion 10. */
  const synced = async (items: KubeObject[] = [cm('a', '10')]) => {
    inf.start();
    script.lists[0].resolve({ items, resourceVersion: '10' });
    expect(await inf.waitForSync()).toBe(true);
    await flush();
  };
  return { clock, inf, events, log, synced, ...script };
}

test('isGone: a 410 as an ApiError, a watch error or a Status; nothing else', () => {
  expect([{ status: 410 }, { statusCode: 410 }, { code: 410 }].map(isGone)).toEqual([true, true, true]);
  expect([null, undefined, 410, 'Gone', { status: 500 }, { code: '410' }, {}].map(isGone)).toEqual([false, false, false, false, false, false, false]);
});

test('before it starts: no resourceVersion, not stopped, not synced; it starts once', () => {
  const { inf } = setup();
  expect(inf.resourceVersion).toBe('');
  expect(inf.isStopped()).toBe(false);
  expect(inf.hasSynced()).toBe(false);
  inf.start();
  expect(() => inf.start()).toThrow('informer for ConfigMap already started');
});

test('counts lists, watches and events; logs a failed list and a failed or closed watch with the retry delay', async () => {
  const { inf, lists, lastWatch, clock, log } = setup({ selector: undefined });
  inf.start();
  lists[0].reject(new Error('connection refused'));
  await flush();
  await clock.advance(100);
  lists[1].resolve({ items: [cm('a', '10')], resourceVersion: '10' });
  await flush();
  lastWatch().onEvent('ADDED', cm('b', '11'));
  lastWatch().onEvent('MODIFIED', cm('b', '12'));
  lastWatch().done(new Error('stream reset'));
  await clock.advance(100);
  lastWatch().done(null);
  await flush();
  expect(inf.stats).toEqual({ lists: 2, watches: 2, events: 2, relists410: 0, rewatches: 2 });
  expect(log.lines).toEqual([
    { level: 'warn', msg: 'list failed', informer: 'ConfigMap', namespace: '', err: expect.objectContaining({ message: 'connection refused' }), retryInMs: 100 },
    { level: 'warn', msg: 'watch failed', informer: 'ConfigMap', namespace: '', err: expect.objectContaining({ message: 'stream reset' }), retryInMs: 100 },
    // No good event since the failure: the backoff has doubled.
    { level: 'debug', msg: 'watch closed', informer: 'ConfigMap', namespace: '', retryInMs: 200 },
  ]);
});

test('logs an expired watch and a watch error event with what the server said', async () => {
  const { lastWatch, lists, log, synced, clock } = setup();
  await synced();
  lastWatch().onEvent('ERROR', { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd hiccup' });
  await clock.advance(100);
  lastWatch().onEvent('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
  await flush();
  lists[1].resolve({ items: [cm('a', '10')], resourceVersion: '20' });
  await flush();
  lastWatch().done({ statusCode: 410 });
  await flush();
  expect(log.lines).toEqual([
    { level: 'warn', msg: 'watch error event', informer: 'ConfigMap', namespace: 'quay', code: 500, reason: 'InternalError', message: 'etcd hiccup', retryInMs: 100 },
    { level: 'info', msg: 'watch expired, relisting', informer: 'ConfigMap', namespace: 'quay', resourceVersion: '10', reason: 'Expired' },
    { level: 'info', msg: 'watch expired, relisting', informer: 'ConfigMap', namespace: 'quay', resourceVersion: '20' },
  ]);
});

test('a watch restarted on its timeout says so in the debug log, from the resourceVersion it reached', async () => {
  const { lastWatch, watches, log, synced, clock } = setup({ watchTimeoutMs: 60_000 });
  await synced();
  lastWatch().onEvent('ADDED', cm('b', '15'));
  await clock.advance(60_000);
  expect(watches.map((w) => w.selector.resourceVersion)).toEqual(['10', '15']);
  expect(watches[0].controller.signal.aborted).toBe(true);
  expect(log.lines).toEqual([{ level: 'debug', msg: 'restarting the watch', informer: 'ConfigMap', namespace: 'quay', resourceVersion: '15' }]);
});

test('a handler that throws is logged, and the others still hear the event', async () => {
  const { inf, log, synced, events } = setup();
  inf.onAdd(() => {
    throw new Error('bad handler');
  });
  await synced();
  expect(events).toEqual(['add a']);
  expect(log.lines).toEqual([{ level: 'error', msg: 'event handler failed', informer: 'ConfigMap', namespace: 'quay', err: expect.objectContaining({ message: 'bad handler' }) }]);
});

test('handlers can be removed; onUpdate and onDelete register one kind each', async () => {
  const { inf, lastWatch, synced } = setup();
  const seen: string[] = [];
  const off = inf.addEventHandler({ onAdd: (o) => seen.push(`add ${o.metadata.name}`) });
  inf.onUpdate((_a, b) => seen.push(`update ${b.metadata.name}`));
  inf.onDelete((o) => seen.push(`delete ${o.metadata.name}`));
  await synced();
  off();
  lastWatch().onEvent('ADDED', cm('b', '11'));
  lastWatch().onEvent('MODIFIED', cm('a', '12'));
  lastWatch().onEvent('DELETED', cm('a', '13'));
  expect(seen).toEqual(['add a', 'update a', 'delete a']);
});

test('waitForSync: true at once once synced, false at once once stopped', async () => {
  const { inf, synced } = setup();
  await synced();
  let answer: boolean | undefined;
  void inf.waitForSync().then((s) => (answer = s));
  await flush();
  expect(answer).toBe(true);
  const other = setup();
  other.inf.start();
  other.inf.stop();
  answer = undefined;
  void other.inf.waitForSync().then((s) => (answer = s));
  await flush();
  expect(answer).toBe(false);
});

describe('stop() leaves no timer behind', () => {
  test('while waiting to retry a list, with a resync scheduled', async () => {
    const { inf, lists, clock } = setup({ resyncMs: 60_000 });
    inf.start();
    lists[0].reject(new Error('down'));
    await flush();
    expect(clock.pending()).toBe(2);
    inf.stop();
    inf.stop();
    expect(clock.pending()).toBe(0);
  });

  test('while watching with a watch timeout', async () => {
    const { inf, clock, synced, lastWatch } = setup({ watchTimeoutMs: 60_000 });
    await synced();
    expect(clock.pending()).toBe(1);
    inf.stop();
    expect(clock.pending()).toBe(0);
    expect(lastWatch().controller.signal.aborted).toBe(true);
    expect(inf.isStopped()).toBe(true);
  });

  test('a watch that ends takes its timeout timer with it; no timer without a timeout or with a negative resync', async () => {
    const { clock, synced, lastWatch } = setup({ watchTimeoutMs: 60_000 });
    await synced();
    lastWatch().done(new Error('reset'));
    await flush();
    expect(clock.pending()).toBe(1); // the retry only
    const none = setup({ watchTimeoutMs: 0, resyncMs: -1 });
    await none.synced();
    expect(none.clock.pending()).toBe(0);
  });
});

describe('answers that come too late are ignored', () => {
  test('a list answered after stop(): nothing cached or reported', async () => {
    const { inf, lists, events, watches } = setup();
    inf.start();
    inf.stop();
    lists[0].resolve({ items: [cm('a', '10')], resourceVersion: '10' });
    await flush();
    expect(inf.size()).toBe(0);
    expect(events).toEqual([]);
    expect(watches).toEqual([]);
  });

  test('a list failing after stop(): no warning, no retry', async () => {
    const { inf, lists, log, clock } = setup();
    inf.start();
    inf.stop();
    lists[0].reject(new Error('down'));
    await flush();
    await clock.advance(10_000);
    expect(log.lines).toEqual([]);
    expect(lists).toHaveLength(1);
  });

  test('a watch request answered after stop() is closed at once', async () => {
    const { inf, lists, watches, watchAnswers, holdWatches } = setup();
    holdWatches();
    inf.start();
    lists[0].resolve({ items: [], resourceVersion: '10' });
    await flush();
    expect(watches).toHaveLength(1);
    inf.stop();
    const controller = new AbortController();
    watchAnswers[0].resolve(controller);
    await flush();
    expect(controller.signal.aborted).toBe(true);
  });
});

test('a watch request that cannot be made (rejected, even without a reason) is retried after the backoff', async () => {
  const { inf, lists, watches, log, clock, refuseNextWatch } = setup();
  refuseNextWatch();
  inf.start();
  lists[0].resolve({ items: [], resourceVersion: '10' });
  await flush();
  expect(log.lines).toEqual([{ level: 'warn', msg: 'watch failed', informer: 'ConfigMap', namespace: 'quay', err: expect.objectContaining({ message: 'watch failed' }), retryInMs: 100 }]);
  await clock.advance(100);
  expect(watches.map((w) => w.selector.resourceVersion)).toEqual(['10']);
});

test('a 429 on the watch: the retry waits as long as the server asked, never less', async () => {
  const { watches, lastWatch, synced, clock } = setup();
  await synced();
  lastWatch().done(Object.assign(new Error('Too Many Requests'), { retryAfterMs: 5000 }));
  await clock.advance(4999);
  expect(watches).toHaveLength(1);
  await clock.advance(1);
  expect(watches).toHaveLength(2);
});

test('an event without a name is ignored; without a resourceVersion the last one is kept', async () => {
  const { inf, lastWatch, synced, events } = setup();
  await synced();
  expect(() => lastWatch().onEvent('ADDED', { kind: 'ConfigMap' })).not.toThrow();
  expect(() => lastWatch().onEvent('ADDED', { kind: 'ConfigMap', metadata: {} })).not.toThrow();
  lastWatch().onEvent('ADDED', cm('b'));
  expect(events).toEqual(['add a', 'add b']);
  expect(inf.resourceVersion).toBe('10');
});

test('a relist reports objects without a resourceVersion (or an empty one) as updated: it cannot tell they are unchanged', async () => {
  const { lists, lastWatch, synced, events } = setup();
  await synced([cm('a'), cm('b', ''), cm('c', '10')]);
  lastWatch().done({ statusCode: 410 });
  await flush();
  lists[1].resolve({ items: [cm('a'), cm('b', ''), cm('c', '10')], resourceVersion: '30' });
  await flush();
  expect(events).toEqual(['add a', 'add b', 'add c', 'update a -->-', 'update b ->']);
});
