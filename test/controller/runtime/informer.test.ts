import { KubeObject } from '../../../lib/synth';
import { KubeClient } from '../../../lib/controller/kube-client';
import { typeOf } from '../../../lib/controller/resources';
import { Informer, InformerOptions } from '../../../lib/controller/runtime/informer';
import { dropSecretData } from '../../../lib/controller/runtime/store';
import { FakeApiServer } from '../../support/fake-apiserver';
import { ManualClock, waitFor } from './helpers';

const CM = typeOf('ConfigMap');
const SECRET = typeOf('Secret');

function configMap(name: string, data: Record<string, string> = {}, namespace = 'quay'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** Records handler calls as strings: "add a", "update a 5->6", "delete a". */
function record(informer: Informer): string[] {
  const events: string[] = [];
  informer.addEventHandler({
    onAdd: (o) => events.push(`add ${o.metadata.name}`),
    onUpdate: (a, b) => events.push(`update ${b.metadata.name} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o) => events.push(`delete ${o.metadata.name}`),
  });
  return events;
}

function eventNames(events: string[]): string[] {
  return events.map((e) => e.replace(/ \d+->\d+$/, ''));
}

describe('Informer (fake API server)', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  const informers: Informer[] = [];

  beforeEach(async () => {
    server = await FakeApiServer.start();
    client = new KubeClient(server.kubeConfig());
  });

  afterEach(async () => {
    for (const i of informers.splice(0)) i.stop();
    await server.stop();
  });

  function informer(options: Partial<InformerOptions> = {}): Informer {
    const i = new Informer({ client, type: CM, selector: { namespace: 'quay' }, backoff: { initialMs: 20, maxMs: 100 }, ...options });
    informers.push(i);
    return i;
  }

  const watchRequests = () => server.requests.filter((r) => r.query.includes('watch=true')).length;
  const listRequests = () => server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/configmaps') && !r.query.includes('watch=true')).length;

  it('lists, caches and reports the initial objects, then watches from the list resourceVersion', async () => {
    server.create(configMap('a'));
    server.create(configMap('b'));
    server.create(configMap('elsewhere', {}, 'other'));
    const inf = informer();
    const events = record(inf);
    expect(inf.hasSynced()).toBe(false);
    inf.start();
    expect(await inf.waitForSync()).toBe(true);
    expect(inf.hasSynced()).toBe(true);
    expect(events).toEqual(['add a', 'add b']);
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(inf.list('other')).toEqual([]);
    expect(inf.get('quay', 'a')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'quay' } });
    expect(inf.get('quay', 'elsewhere')).toBeUndefined();
    await server.waitForWatches(1);
    const watch = server.requests.find((r) => r.query.includes('watch=true'));
    expect(new URLSearchParams(watch?.query).get('resourceVersion')).toBe(inf.resourceVersion);
    expect(watch?.path).toBe('/api/v1/namespaces/quay/configmaps');
  });

  it('lists one namespace from an all-namespaces cache, following adds and deletes', async () => {
    server.create(configMap('a'));
    server.create(configMap('x', {}, 'other'));
    const inf = informer({ selector: {} });
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    expect(inf.list('quay').map((o) => o.metadata.name)).toEqual(['a']);
    expect(inf.list('other').map((o) => o.metadata.name)).toEqual(['x']);
    server.create(configMap('y', {}, 'other'));
    server.delete('v1', 'ConfigMap', 'quay', 'a');
    await waitFor(() => inf.list('quay').length === 0 && inf.list('other').length === 2, 'the add and the delete');
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['x', 'y']);
  });

  it('reports adds, updates and deletes from the watch and keeps the cache current', async () => {
    const inf = informer();
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    const a = server.create(configMap('a', { x: '1' }));
    server.update({ ...a, data: { x: '2' } });
    server.create(configMap('b'));
    server.delete('v1', 'ConfigMap', 'quay', 'a');
    const rvOfDelete = server.resourceVersion;
    server.create(configMap('ignored', {}, 'other'));
    await waitFor(() => events.length === 4, 'four events');
    expect(events[1]).toBe(`update a ${a.metadata.resourceVersion}->${Number(a.metadata.resourceVersion) + 1}`);
    expect(eventNames(events)).toEqual(['add a', 'update a', 'add b', 'delete a']);
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['b']);
    expect(inf.list('quay').map((o) => o.metadata.name)).toEqual(['b']);
    expect(inf.resourceVersion).toBe(rvOfDelete);
  });

  it('relists when the watch expires (410), reporting what changed meanwhile by resourceVersion', async () => {
    const keep = server.create(configMap('keep'));
    const change = server.create(configMap('change', { v: '1' }));
    server.create(configMap('gone'));
    const inf = informer();
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    expect(eventNames(events)).toEqual(['add change', 'add gone', 'add keep']);
    events.length = 0;
    // Disconnected, the informer misses changes; then the server compacts its history so the
    // re-watch from the old resourceVersion gets ERROR 410.
    server.dropWatches();
    server.update({ ...change, data: { v: '2' } });
    server.delete('v1', 'ConfigMap', 'quay', 'gone');
    server.create(configMap('new'));
    server.expireWatches();
    await waitFor(() => events.length === 3, 'three events');
    expect(events.sort()).toEqual(['add new', 'delete gone', `update change ${change.metadata.resourceVersion}->${server.get('v1', 'ConfigMap', 'quay', 'change')?.metadata.resourceVersion}`]);
    expect(inf.stats.relists410).toBe(1);
    expect(listRequests()).toBe(2);
    expect(inf.get('quay', 'keep')).toEqual(keep);
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['change', 'keep', 'new']);
    // And it watches again after the relist.
    await server.waitForWatches(1);
    server.create(configMap('after'));
    await waitFor(() => events.includes('add after'), 'add after');
  });

  it('relists on an ERROR 410 event on an open watch', async () => {
    const inf = informer();
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    server.expireWatches();
    await waitFor(() => listRequests() === 2, 'a second list');
    await server.waitForWatches(1);
    server.create(configMap('a'));
    await waitFor(() => events.length === 1, 'one event');
    expect(events).toEqual(['add a']);
    expect(inf.stats.relists410).toBe(1);
  });

  it('re-watches from the last resourceVersion after a dropped connection, without losing events or relisting', async () => {
    server.create(configMap('a'));
    const inf = informer();
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    const rvBefore = inf.resourceVersion;
    server.dropWatches();
    // Written while no watch is open: replayed by the next watch.
    server.create(configMap('b'));
    server.update({ ...(server.get('v1', 'ConfigMap', 'quay', 'a') as KubeObject), data: { y: '1' } });
    server.delete('v1', 'ConfigMap', 'quay', 'b');
    await waitFor(() => events.length === 4, 'four events');
    expect(eventNames(events)).toEqual(['add a', 'add b', 'update a', 'delete b']);
    expect(listRequests()).toBe(1);
    const rewatch = server.requests.filter((r) => r.query.includes('watch=true'))[1];
    expect(new URLSearchParams(rewatch.query).get('resourceVersion')).toBe(rvBefore);
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['a']);
  });

  it('retries a failing watch (500) with growing backoff, then catches up', async () => {
    const clock = new ManualClock();
    const inf = informer({ clock, backoff: { initialMs: 1000, maxMs: 30_000 } });
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    server.failNext({ method: 'GET', pathIncludes: 'watch=true' }, 500, 3);
    server.dropWatches();
    server.create(configMap('while-down'));
    await waitFor(() => inf.stats.rewatches === 1, 'the re-watch timer');
    expect(watchRequests()).toBe(1);
    // Delays 1 s, 2 s, 4 s for the three failures, then 8 s for the attempt that works.
    for (const [delay, attempts] of [
      [1000, 2],
      [2000, 3],
      [4000, 4],
    ] as const) {
      await clock.advance(delay - 1);
      expect(watchRequests()).toBe(attempts - 1);
      await clock.advance(1);
      await waitFor(() => watchRequests() === attempts && inf.stats.rewatches === attempts, `watch attempt ${attempts}`);
    }
    await clock.advance(7999);
    expect(watchRequests()).toBe(4);
    await clock.advance(1);
    await waitFor(() => events.includes('add while-down'), 'the missed event');
    expect(listRequests()).toBe(1);
    expect(inf.stats.rewatches).toBe(4);
    // A good event reset the backoff: the next drop re-watches after 1 s again.
    server.dropWatches();
    await waitFor(() => inf.stats.rewatches === 5, 'the re-watch timer');
    await clock.advance(999);
    expect(server.openWatches).toBe(0);
    await clock.advance(1);
    await server.waitForWatches(1);
    server.create(configMap('later'));
    await waitFor(() => events.includes('add later'), 'add later');
  });

  it('relists when the watch request itself is answered 410 Gone', async () => {
    const inf = informer();
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    server.failNext({ method: 'GET', pathIncludes: 'watch=true' }, 410, 1);
    server.dropWatches();
    server.create(configMap('a'));
    await waitFor(() => events.includes('add a') && server.openWatches === 1, 'the relist and a new watch');
    expect(listRequests()).toBe(2);
    expect(inf.stats.relists410).toBe(1);
  });

  it('restarts a long-lived watch from the last resourceVersion (a silently dead connection cannot stall it)', async () => {
    const clock = new ManualClock();
    const inf = informer({ clock, watchTimeoutMs: 300_000 });
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    server.create(configMap('a'));
    await waitFor(() => events.length === 1, 'add a');
    const rv = inf.resourceVersion;
    await clock.advance(299_999);
    expect(watchRequests()).toBe(1);
    await clock.advance(1);
    await waitFor(() => watchRequests() === 2 && server.openWatches === 1, 'a new watch');
    const second = server.requests.filter((r) => r.query.includes('watch=true'))[1];
    expect(new URLSearchParams(second.query).get('resourceVersion')).toBe(rv);
    expect(listRequests()).toBe(1);
    server.create(configMap('b'));
    await waitFor(() => events.length === 2, 'add b');
    expect(events).toEqual(['add a', 'add b']);
  });

  it('retries a failing initial list', async () => {
    server.create(configMap('a'));
    server.failNext({ method: 'GET', pathIncludes: '/configmaps' }, 503, 2);
    const inf = informer();
    const events = record(inf);
    inf.start();
    expect(await inf.waitForSync()).toBe(true);
    expect(events).toEqual(['add a']);
    expect(listRequests()).toBe(3);
  });

  it('BOOKMARK events advance the resourceVersion only', async () => {
    const inf = informer();
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    server.create(configMap('other-ns', {}, 'other')); // bumps the server's resourceVersion, not seen by this watch
    server.bookmark();
    await waitFor(() => inf.resourceVersion === server.resourceVersion, 'the bookmark');
    expect(events).toEqual([]);
    expect(inf.size()).toBe(0);
  });

  it('caches transformed objects (Secret data dropped)', async () => {
    server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bundle', namespace: 'quay', managedFields: [{ manager: 'x' }] }, type: 'Opaque', data: { 'config.yaml': 'U0VDUkVU' } } as KubeObject);
    const inf = informer({ type: SECRET, transform: dropSecretData });
    const seen: KubeObject[] = [];
    inf.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_o, n) => seen.push(n) });
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    const live = server.get('v1', 'Secret', 'quay', 'bundle') as KubeObject;
    server.update({ ...live, stringData: undefined, data: { 'config.yaml': 'Q0hBTkdFRA==' } });
    await waitFor(() => seen.length === 2, 'two events');
    for (const o of [...seen, inf.get('quay', 'bundle')]) {
      expect(o).toBeDefined();
      expect(o).not.toHaveProperty('data');
      expect(o?.metadata).not.toHaveProperty('managedFields');
      expect(o).toMatchObject({ kind: 'Secret', type: 'Opaque', metadata: { name: 'bundle' } });
    }
  });

  it('re-delivers every cached object as an update on resync', async () => {
    server.create(configMap('a'));
    server.create(configMap('b'));
    const clock = new ManualClock();
    const inf = informer({ clock, resyncMs: 60_000 });
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    events.length = 0;
    await clock.advance(59_999);
    expect(events).toEqual([]);
    await clock.advance(1);
    const rvA = inf.get('quay', 'a')?.metadata.resourceVersion;
    expect(events[0]).toBe(`update a ${rvA}->${rvA}`);
    expect(eventNames(events)).toEqual(['update a', 'update b']);
    await clock.advance(60_000);
    expect(events).toHaveLength(4);
  });

  it('stop() aborts the watch and stops retrying', async () => {
    // A manual clock: "no retry after stop" is checked by moving time past every backoff and the
    // watch timeout, not by sleeping and hoping.
    const clock = new ManualClock();
    const inf = informer({ clock, backoff: { initialMs: 1000, maxMs: 30_000 }, watchTimeoutMs: 300_000 });
    inf.start();
    await inf.waitForSync();
    await server.waitForWatches(1);
    inf.stop();
    await waitFor(() => server.openWatches === 0, 'the watch to close');
    const before = server.requests.length;
    await clock.advance(600_000);
    expect(server.requests.length).toBe(before);
    expect(inf.isStopped()).toBe(true);
    // Stopping before the first sync: waitForSync says false.
    server.failNext({ method: 'GET', pathIncludes: '/configmaps' }, 500, 100);
    const never = informer();
    never.start();
    const synced = never.waitForSync();
    never.stop();
    expect(await synced).toBe(false);
  });
});

describe('Informer (scripted client)', () => {
  it('re-watches from the last resourceVersion (no relist) after an ERROR event that is not 410', async () => {
    const watches: string[] = [];
    let lists = 0;
    const cm = (name: string, rv: string) => ({ ...configMap(name), metadata: { name, namespace: 'quay', resourceVersion: rv } });
    const client = {
      list: async () => {
        lists++;
        return { items: [cm('a', '10')], resourceVersion: '10' };
      },
      watch: async (_t: unknown, sel: { resourceVersion: string }, onEvent: (type: string, o: unknown) => void, done: (err: unknown) => void) => {
        watches.push(sel.resourceVersion);
        const controller = new AbortController();
        if (watches.length === 1) {
          setImmediate(() => {
            onEvent('MODIFIED', cm('a', '11'));
            onEvent('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500, reason: 'InternalError', message: 'etcd hiccup' });
            onEvent('MODIFIED', cm('a', '99')); // after the error: ignored
            done(null);
          });
        }
        return controller;
      },
    } as unknown as KubeClient;
    const inf = new Informer({ client, type: CM, selector: { namespace: 'quay' }, backoff: { initialMs: 5, maxMs: 10 } });
    const events = record(inf);
    inf.start();
    await waitFor(() => watches.length === 2, 'the re-watch');
    inf.stop();
    expect(watches).toEqual(['10', '11']);
    expect(lists).toBe(1);
    expect(events).toEqual(['add a', 'update a 10->11']);
    expect(inf.stats.relists410).toBe(0);
  });

  it('keeps going when a handler throws', async () => {
    const client = {
      list: async () => ({ items: [configMap('a'), configMap('b')], resourceVersion: '1' }),
      watch: async () => new AbortController(),
    } as unknown as KubeClient;
    const inf = new Informer({ client, type: CM });
    const seen: string[] = [];
    inf.onAdd(() => {
      throw new Error('bad handler');
    });
    inf.onAdd((o) => seen.push(o.metadata.name));
    inf.start();
    await inf.waitForSync();
    inf.stop();
    expect(seen).toEqual(['a', 'b']);
  });
});
