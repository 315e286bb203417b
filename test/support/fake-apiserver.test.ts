// The fake API server, exercised through the operator's real client (KubeClient on client-node's
// KubeConfig and Watch), as the controller tests and the benchmark use it.
import fetch from 'node-fetch';
import { ApiError, KubeClient, WatchEventType } from '../../lib/controller/kube-client';
import { typeOf } from '../../lib/controller/resources';
import type { KubeObject } from '../../lib/synth';
import { FakeApiServer } from './fake-apiserver';

const NS = 'quay-enterprise';
const CM = typeOf('ConfigMap');
const DEPLOY = typeOf('Deployment');
const SECRET = typeOf('Secret');
const QR = typeOf('QuayRegistry');
const ROUTE = typeOf('Route');

let server: FakeApiServer;
let client: KubeClient;
const aborts: AbortController[] = [];

beforeEach(async () => {
  server = await FakeApiServer.start();
  client = new KubeClient(server.kubeConfig());
});

afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
  await server.stop();
});

function configMap(name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, ...(labels ? { labels } : {}) }, data };
}

function deployment(name: string, replicas = 1, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'quay.io/x:1', env: [{ name: 'A', value: '1' }] }] },
      },
      ...extra,
    },
  };
}

async function until(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Watched {
  events: { type: WatchEventType; object: KubeObject }[];
  done: { called: boolean; err: unknown };
}

async function watch(t = CM, resourceVersion: string, selector: { namespace?: string; labelSelector?: string } = { namespace: NS }): Promise<Watched> {
  const w: Watched = { events: [], done: { called: false, err: undefined } };
  const before = server.openWatches;
  const ctl = await client.watch(
    t,
    { ...selector, resourceVersion },
    (type, object) => w.events.push({ type, object }),
    (err) => {
      w.done.called = true;
      w.done.err = err;
    },
  );
  aborts.push(ctl);
  if (!w.done.called) await until(() => server.openWatches > before || w.done.called, 'the watch to open');
  return w;
}

async function rawApply(path: string, body: unknown, query: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}?${query}`, { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe('objects and server-side apply', () => {
  test('apply creates the object; get returns it with server-managed metadata', async () => {
    const applied = await client.apply(CM, configMap('a', { k: 'v' }));
    const got = await client.get(CM, NS, 'a');
    expect(got).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: NS, generation: 1 }, data: { k: 'v' } });
    expect(got!.metadata.uid).toEqual(expect.any(String));
    expect(got!.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(got!.metadata.resourceVersion).toBe(applied.metadata.resourceVersion);
    expect(got!.metadata.managedFields).toBeUndefined();
    expect(await client.get(CM, NS, 'missing')).toBeUndefined();
    expect(server.get('v1', 'ConfigMap', NS, 'a')).toEqual(got);
  });

  test('applying the same body twice bumps neither resourceVersion nor generation', async () => {
    const first = await client.apply(DEPLOY, deployment('quay'));
    const second = await client.apply(DEPLOY, deployment('quay'));
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(second.metadata.generation).toBe(1);
    expect(server.resourceVersion).toBe(first.metadata.resourceVersion);
    const third = await client.apply(DEPLOY, deployment('quay', 2));
    expect(Number(third.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));
    expect(third.metadata.generation).toBe(2);
  });

  test('a field the manager applied before and omits now is removed', async () => {
    await client.apply(CM, configMap('a', { k: 'v', gone: 'soon' }, { keep: 'yes', drop: 'yes' }));
    const after = await client.apply(CM, configMap('a', { k: 'v' }, { keep: 'yes' }));
    expect(after.data).toEqual({ k: 'v' });
    expect(after.metadata.labels).toEqual({ keep: 'yes' });
    // Keyed lists merge by name: a dropped env var goes, the container stays.
    await client.apply(DEPLOY, deployment('quay', 1));
    const d = deployment('quay', 1);
    (d.spec as any).template.spec.containers[0].env = [{ name: 'B', value: '2' }];
    const dep = await client.apply(DEPLOY, d);
    expect((dep.spec as any).template.spec.containers).toEqual([{ name: 'main', image: 'quay.io/x:1', env: [{ name: 'B', value: '2' }] }]);
  });

  test("another writer's field survives an apply that never set it", async () => {
    await client.apply(DEPLOY, deployment('quay'));
    await client.mergePatch(DEPLOY, NS, 'quay', {
      metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } },
      spec: { template: { spec: { containers: [{ name: 'main', image: 'quay.io/x:1', env: [{ name: 'A', value: '1' }], resources: { limits: { cpu: '1' } } }] } } },
    });
    const d = deployment('quay', 3);
    const after = await client.apply(DEPLOY, d);
    expect(after.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': 'now' });
    expect((after.spec as any).template.spec.containers[0].resources).toEqual({ limits: { cpu: '1' } });
    expect((after.spec as any).replicas).toBe(3);
    // The merge patch's writer recorded a field manager.
    expect(server.writes().map((r) => [r.method, r.contentType, r.fieldManager])).toEqual([
      ['PATCH', 'application/apply-patch+yaml', 'quay-operator'],
      ['PATCH', 'application/merge-patch+json', undefined],
      ['PATCH', 'application/apply-patch+yaml', 'quay-operator'],
    ]);
  });

  test('a field another manager owns conflicts unless forced', async () => {
    const path = `/apis/apps/v1/namespaces/${NS}/deployments/quay`;
    expect((await rawApply(path, deployment('quay', 1), 'fieldManager=hpa')).status).toBe(201);
    const conflict = await rawApply(path, deployment('quay', 5), 'fieldManager=other');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
    expect(conflict.body.message).toContain('conflict with "hpa": .spec.replicas');
    // The same values do not conflict: ownership is shared.
    expect((await rawApply(path, deployment('quay', 1), 'fieldManager=other')).status).toBe(200);
    const forced = await rawApply(path, deployment('quay', 5), 'fieldManager=other&force=true');
    expect(forced.status).toBe(200);
    expect(forced.body.spec.replicas).toBe(5);
    // hpa lost .spec.replicas: its own apply without it does not remove it, and the operator's forced apply wins.
    expect((await rawApply(path, deployment('quay', 1), 'fieldManager=hpa')).status).toBe(409);
    const op = await client.apply(DEPLOY, deployment('quay', 2));
    expect((op.spec as any).replicas).toBe(2);
    // Apply needs a field manager.
    const noManager = await rawApply(path, deployment('quay', 2), '');
    expect(noManager.status).toBe(400);
  });

  test('apply validates its body and honours a resourceVersion precondition', async () => {
    const created = await client.apply(CM, configMap('a', { k: 'v' }));
    const path = `/api/v1/namespaces/${NS}/configmaps/a`;
    expect((await rawApply(path, { ...configMap('a', { k: 'w' }), metadata: { name: 'a', managedFields: [] } }, 'fieldManager=x')).status).toBe(400);
    expect((await rawApply(path, { metadata: { name: 'a' }, data: {} }, 'fieldManager=x')).status).toBe(400);
    const stale = { ...configMap('a', { k: 'w' }), metadata: { name: 'a', namespace: NS, resourceVersion: '1' } };
    expect((await rawApply(path, stale, 'fieldManager=x&force=true')).status).toBe(409);
    const fresh = { ...configMap('a', { k: 'w' }), metadata: { name: 'a', namespace: NS, resourceVersion: created.metadata.resourceVersion } };
    expect((await rawApply(path, fresh, 'fieldManager=x&force=true')).body.data).toEqual({ k: 'w' });
  });

  test('create, replace with a resourceVersion precondition, delete', async () => {
    const created = await client.create(CM, configMap('a', { k: 'v' }));
    await expect(client.create(CM, configMap('a', { k: 'v' }))).rejects.toMatchObject({ status: 409, reason: 'AlreadyExists' });
    const replaced = await client.replace(CM, { ...created, data: { k: 'w' } });
    expect(replaced.data).toEqual({ k: 'w' });
    const err = await client.replace(CM, { ...created, data: { k: 'x' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, reason: 'Conflict' });
    // Without a resourceVersion, a replace is unconditional.
    const { resourceVersion: _, ...meta } = replaced.metadata;
    expect((await client.replace(CM, { ...replaced, metadata: meta, data: { k: 'y' } })).data).toEqual({ k: 'y' });
    await client.delete(CM, NS, 'a');
    expect(await client.get(CM, NS, 'a')).toBeUndefined();
    await client.delete(CM, NS, 'a'); // missing: not an error for the client
    await expect(client.replace(CM, created)).rejects.toMatchObject({ status: 404 });
  });

  test('status is only written through /status, and spec never through it', async () => {
    await client.apply(DEPLOY, { ...deployment('quay'), status: { availableReplicas: 9 } });
    expect((await client.get(DEPLOY, NS, 'quay'))!.status).toBeUndefined();
    const withStatus = await client.applyStatus(DEPLOY, NS, 'quay', { availableReplicas: 1 });
    expect(withStatus.status).toEqual({ availableReplicas: 1 });
    expect(withStatus.metadata.generation).toBe(1);
    // Spec sent to /status is ignored.
    const res = await fetch(`${server.url}/apis/apps/v1/namespaces/${NS}/deployments/quay/status`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { replicas: 5 }, metadata: { labels: { sneaky: 'yes' } }, status: { availableReplicas: 1 } }),
    });
    const viaStatus = (await res.json()) as any;
    expect(viaStatus.spec.replicas).toBe(1);
    expect(viaStatus.metadata.labels).toEqual({ app: 'quay' });
    // Status sent to the main resource is ignored, by merge patch, replace and apply.
    const patched = await client.mergePatch(DEPLOY, NS, 'quay', { status: { availableReplicas: 7 }, spec: { replicas: 2 } });
    expect(patched.status).toEqual({ availableReplicas: 1 });
    expect((patched.spec as any).replicas).toBe(2);
    expect(patched.metadata.generation).toBe(2);
    const replaced = await client.replace(DEPLOY, { ...patched, status: { availableReplicas: 8 } });
    expect(replaced.status).toEqual({ availableReplicas: 1 });
    // The direct helper a test uses to play the kubelet.
    server.updateStatus('apps/v1', 'Deployment', NS, 'quay', { availableReplicas: 3, readyReplicas: 3 });
    expect((await client.get(DEPLOY, NS, 'quay'))!.status).toEqual({ availableReplicas: 3, readyReplicas: 3 });
    // Kinds without a status subresource take everything through the main resource.
    const cm = await client.mergePatch(CM, NS, 'nope', {}).catch((e) => e);
    expect(cm).toMatchObject({ status: 404 });
  });

  test('finalizers hold a deleted object until they are removed', async () => {
    await client.apply(QR, { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: NS, finalizers: ['quay-operator/finalizer'] }, spec: {} });
    const w = await watch(QR, server.resourceVersion);
    await client.delete(QR, NS, 'r');
    const marked = await client.get(QR, NS, 'r');
    expect(marked!.metadata.deletionTimestamp).toEqual(expect.any(String));
    await client.delete(QR, NS, 'r'); // again: nothing changes
    expect((await client.get(QR, NS, 'r'))!.metadata.resourceVersion).toBe(marked!.metadata.resourceVersion);
    await client.mergePatch(QR, NS, 'r', { metadata: { finalizers: null } });
    expect(await client.get(QR, NS, 'r')).toBeUndefined();
    await until(() => w.events.length === 2, 'two events');
    expect(w.events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
  });

  test('deleting an owner deletes what it owns, recursively', async () => {
    const owner = await client.apply(QR, { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: NS }, spec: {} });
    const ref = (o: KubeObject) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid as string, controller: true }];
    const dep = await client.apply(DEPLOY, { ...deployment('quay'), metadata: { ...deployment('quay').metadata, ownerReferences: ref(owner) } });
    await client.apply(CM, { ...configMap('by-deploy', {}), metadata: { name: 'by-deploy', namespace: NS, ownerReferences: ref(dep) } });
    const other = await client.apply(SECRET, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'other', namespace: NS }, data: {} });
    await client.apply(SECRET, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shared', namespace: NS, ownerReferences: [...ref(owner), ...ref(other)] }, data: {} });
    await client.apply(SECRET, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unowned', namespace: NS }, data: {} });
    const w = await watch(DEPLOY, server.resourceVersion);
    await client.delete(QR, NS, 'r');
    expect(await client.get(DEPLOY, NS, 'quay')).toBeUndefined();
    expect(await client.get(CM, NS, 'by-deploy')).toBeUndefined();
    expect(await client.get(SECRET, NS, 'unowned')).toBeDefined();
    // An object with another owner that still exists stays, without the dangling reference.
    expect((await client.get(SECRET, NS, 'shared'))!.metadata.ownerReferences).toEqual(ref(other));
    await until(() => w.events.length === 1, 'the DELETED event');
    expect(w.events[0]).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'quay' } } });
  });

  test('deleting a Namespace deletes what is in it', async () => {
    const ns = typeOf('Namespace');
    await client.apply(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await client.apply(CM, configMap('a', {}));
    await client.apply(DEPLOY, deployment('quay'));
    await client.apply(CM, { ...configMap('b', {}), metadata: { name: 'b', namespace: 'other' } });
    await client.delete(ns, undefined, NS);
    expect(server.list('v1', 'ConfigMap').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['other/b']);
    expect(server.list('apps/v1', 'Deployment')).toEqual([]);
  });

  test('POST rejects a resourceVersion; generateName makes a name', async () => {
    const created = await client.create(CM, configMap('a', {}));
    await expect(client.create(CM, created)).rejects.toMatchObject({ status: 400 });
    const ev = await client.create(typeOf('Event'), { apiVersion: 'v1', kind: 'Event', metadata: { name: '', generateName: 'quay.', namespace: NS }, reason: 'Test' } as KubeObject);
    expect(ev.metadata.name).toMatch(/^quay\.[a-z0-9]{5}$/);
  });

  test('ownership is shared with an updater, who keeps a field the applier drops', async () => {
    // Another controller applies first; then someone edits replicas by hand; the operator applies (forced).
    server.apply(deployment('quay', 1), { fieldManager: 'other' });
    server.update({ ...server.get('apps/v1', 'Deployment', NS, 'quay')!, spec: { ...deployment('quay').spec as object, replicas: 4 } }, 'kubectl-edit');
    expect(() => server.apply(deployment('quay', 1), { fieldManager: 'other' })).toThrow(/conflict with "kubectl-edit": \.spec\.replicas/);
    const op = await client.apply(DEPLOY, deployment('quay', 2));
    expect((op.spec as any).replicas).toBe(2);
    // 'other' still owns the template; dropping replicas from its apply removes nothing it does not own alone.
    const d = deployment('quay');
    delete (d.spec as any).replicas;
    expect((server.apply(d, { fieldManager: 'other' }).spec as any).replicas).toBe(2);
  });

  test('garbage collection can be turned off', async () => {
    const s = await FakeApiServer.start({ gc: false });
    try {
      const owner = s.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: NS }, spec: {} });
      s.create({ ...configMap('c', {}), metadata: { name: 'c', namespace: NS, ownerReferences: [{ uid: owner.metadata.uid, name: 'r', kind: 'QuayRegistry', apiVersion: 'quay.redhat.com/v1' }] } });
      s.delete('quay.redhat.com/v1', 'QuayRegistry', NS, 'r');
      expect(s.get('v1', 'ConfigMap', NS, 'c')).toBeDefined();
    } finally {
      await s.stop();
    }
  });

  test('strategic merge and JSON patches', async () => {
    await client.apply(DEPLOY, deployment('quay'));
    const res = await fetch(`${server.url}/apis/apps/v1/namespaces/${NS}/deployments/quay`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
      body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'sidecar', image: 's:1' }, { name: 'main', image: 'quay.io/x:2' }] } } } }),
    });
    const body = (await res.json()) as any;
    expect(body.spec.template.spec.containers.map((c: any) => [c.name, c.image])).toEqual([
      ['main', 'quay.io/x:2'],
      ['sidecar', 's:1'],
    ]);
    const jp = await fetch(`${server.url}/apis/apps/v1/namespaces/${NS}/deployments/quay`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 4 }, { op: 'add', path: '/metadata/labels/x', value: 'y' }]),
    });
    expect(((await jp.json()) as any).spec.replicas).toBe(4);
    expect(server.get('apps/v1', 'Deployment', NS, 'quay')!.metadata.labels).toEqual({ app: 'quay', x: 'y' });
  });
});

describe('lists and selectors', () => {
  beforeEach(async () => {
    await client.apply(CM, configMap('a', {}, { app: 'quay', tier: 'web' }));
    await client.apply(CM, configMap('b', {}, { app: 'quay', tier: 'db' }));
    await client.apply(CM, configMap('c', {}, { app: 'clair' }));
    await client.apply(CM, { ...configMap('d', {}, { app: 'quay' }), metadata: { name: 'd', namespace: 'elsewhere', labels: { app: 'quay' } } });
  });

  const names = async (labelSelector?: string, namespace: string | null = NS, fieldSelector?: string) =>
    (await client.list(CM, { namespace: namespace ?? undefined, labelSelector, fieldSelector })).items.map((o) => o.metadata.name);

  test('label selectors', async () => {
    expect(await names()).toEqual(['a', 'b', 'c']);
    expect(await names('app=quay')).toEqual(['a', 'b']);
    expect(await names('app==quay,tier!=db')).toEqual(['a']);
    expect(await names('tier')).toEqual(['a', 'b']);
    expect(await names('!tier')).toEqual(['c']);
    expect(await names('tier in (db, cache)')).toEqual(['b']);
    expect(await names('app notin (clair)')).toEqual(['a', 'b']);
    expect(await names('app in (quay,clair),!tier')).toEqual(['c']);
    await expect(names('app=(')).rejects.toMatchObject({ status: 400 });
  });

  test('field selectors, all namespaces, and the list envelope', async () => {
    expect(await names(undefined, NS, 'metadata.name=b')).toEqual(['b']);
    expect(await names('app=quay', null)).toEqual(['d', 'a', 'b']); // by namespace, then name
    expect(await names(undefined, null, 'metadata.namespace=elsewhere')).toEqual(['d']);
    await expect(names(undefined, NS, 'spec.x=1')).rejects.toMatchObject({ status: 400 });
    const raw = (await client.getPath(`/api/v1/namespaces/${NS}/configmaps?labelSelector=app%3Dclair`)) as any;
    expect(raw).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: server.resourceVersion } });
    expect(raw.items).toHaveLength(1);
    expect(raw.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(server.list('v1', 'ConfigMap').map((o) => o.metadata.name)).toEqual(['d', 'a', 'b', 'c']);
  });

  test('unknown kinds and paths are 404 Status responses', async () => {
    const res = await fetch(`${server.url}/apis/example.com/v1/namespaces/${NS}/widgets`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    await expect(client.getPath(`/api/v1/namespaces/${NS}/widgets`)).rejects.toMatchObject({ status: 404 });
    server.registerType({ apiVersion: 'example.com/v1', kind: 'Widget', plural: 'widgets', namespaced: true });
    expect(((await client.getPath(`/apis/example.com/v1/namespaces/${NS}/widgets`)) as any).items).toEqual([]);
  });
});

describe('watches', () => {
  test('a watch from a list sees ADDED, MODIFIED and DELETED in order', async () => {
    await client.apply(CM, configMap('before', {}));
    const { resourceVersion } = await client.list(CM, { namespace: NS });
    const w = await watch(CM, resourceVersion);
    await client.apply(CM, configMap('a', { k: '1' }));
    await client.apply(CM, configMap('a', { k: '2' }));
    await client.apply(CM, configMap('elsewhere', {})); // same namespace, another name
    await client.apply(CM, { ...configMap('x', {}), metadata: { name: 'x', namespace: 'other' } }); // not watched
    await client.delete(CM, NS, 'a');
    await until(() => w.events.length === 4, 'four events');
    expect(w.events.map((e) => [e.type, e.object.metadata.name, (e.object as any).data?.k])).toEqual([
      ['ADDED', 'a', '1'],
      ['MODIFIED', 'a', '2'],
      ['ADDED', 'elsewhere', undefined],
      ['DELETED', 'a', '2'],
    ]);
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
    expect(w.done.called).toBe(false);
    const watchRequest = server.requests.find((r) => r.query.includes('watch=true'));
    expect(watchRequest).toMatchObject({ method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps` });
    expect(watchRequest!.query).toContain(`resourceVersion=${resourceVersion}`);
  });

  test('a watch from an older resourceVersion replays what happened since', async () => {
    const { resourceVersion } = await client.list(CM, { namespace: NS });
    await client.apply(CM, configMap('a', { k: '1' }));
    const mid = server.resourceVersion;
    await client.apply(CM, configMap('a', { k: '2' }));
    await client.apply(DEPLOY, deployment('quay')); // another kind: not replayed
    const w = await watch(CM, resourceVersion);
    const w2 = await watch(CM, mid);
    await client.apply(CM, configMap('b', {}));
    await until(() => w.events.length === 3 && w2.events.length === 2, 'replayed and live events');
    expect(w.events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'a'],
      ['MODIFIED', 'a'],
      ['ADDED', 'b'],
    ]);
    expect(w2.events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['MODIFIED', 'a'],
      ['ADDED', 'b'],
    ]);
  });

  test('a label-selected watch sees objects enter and leave the selection', async () => {
    const w = await watch(CM, server.resourceVersion, { namespace: NS, labelSelector: 'app=quay' });
    await client.apply(CM, configMap('a', {}, { app: 'other' }));
    await client.apply(CM, configMap('a', {}, { app: 'quay' }));
    await client.apply(CM, configMap('a', { k: 'v' }, { app: 'quay' }));
    await client.apply(CM, configMap('a', { k: 'v' }, { app: 'other' }));
    await until(() => w.events.length === 3, 'three events');
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  test('expireWatches ends open watches with ERROR 410, and an old resourceVersion gets the same', async () => {
    const { resourceVersion } = await client.list(CM, { namespace: NS });
    await client.apply(CM, configMap('a', {}));
    const w = await watch(CM, resourceVersion);
    await until(() => w.events.length === 1, 'the replayed event');
    server.expireWatches();
    await until(() => w.done.called, 'done');
    expect(w.events[1]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    expect(server.openWatches).toBe(0);
    const again = await watch(CM, resourceVersion);
    await until(() => again.done.called, 'done');
    expect(again.events.map((e) => [e.type, (e.object as any).code])).toEqual([['ERROR', 410]]);
    // A fresh list's resourceVersion works.
    const fresh = await watch(CM, (await client.list(CM, { namespace: NS })).resourceVersion);
    await client.apply(CM, configMap('b', {}));
    await until(() => fresh.events.length === 1, 'an event');
    expect(fresh.events[0].type).toBe('ADDED');
  });

  test('the event window bounds replay', async () => {
    const s = await FakeApiServer.start({ oldestResourceVersionWindow: 2 });
    try {
      const c = new KubeClient(s.kubeConfig());
      const start = s.resourceVersion;
      for (const n of ['a', 'b', 'c']) await c.apply(CM, configMap(n, {}));
      const events: string[] = [];
      let done = false;
      aborts.push(await c.watch(CM, { namespace: NS, resourceVersion: start }, (t, o) => events.push(`${t} ${(o as any).code ?? o.metadata.name}`), () => (done = true)));
      await until(() => done, 'done');
      expect(events).toEqual(['ERROR 410']);
      events.length = 0;
      aborts.push(await c.watch(CM, { namespace: NS, resourceVersion: String(Number(start) + 1) }, (t, o) => events.push(`${t} ${o.metadata.name}`), () => undefined));
      await until(() => events.length === 2, 'two events');
      expect(events).toEqual(['ADDED b', 'ADDED c']);
    } finally {
      await s.stop();
    }
  });

  test('dropWatches closes the streams: done is called', async () => {
    const w = await watch(CM, server.resourceVersion);
    const w2 = await watch(DEPLOY, server.resourceVersion);
    server.dropWatches();
    await until(() => w.done.called && w2.done.called, 'done');
    expect(server.openWatches).toBe(0);
    expect(w.events).toEqual([]);
  });

  test('bookmarks on demand, and stop() ends open watches', async () => {
    const w = await watch(CM, server.resourceVersion);
    await client.apply(CM, configMap('a', {}));
    server.bookmark();
    await until(() => w.events.length === 2, 'the bookmark');
    expect(w.events[1]).toEqual({ type: 'BOOKMARK', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: server.resourceVersion } } });
    await server.stop();
    await until(() => w.done.called, 'done');
    server = await FakeApiServer.start(); // for afterEach
  });
});

describe('fault injection and observation', () => {
  test('failNext fails the next matching requests, then the server recovers', async () => {
    server.failNext({ method: 'PATCH', pathIncludes: '/configmaps/' }, 500);
    const err = await client.apply(CM, configMap('a', {})).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 500, reason: 'InternalError' });
    expect(await client.get(CM, NS, 'a')).toBeUndefined();
    expect((await client.apply(CM, configMap('a', {}))).metadata.name).toBe('a');
    server.failNext({ method: 'GET' }, 503, 2);
    await expect(client.get(CM, NS, 'a')).rejects.toMatchObject({ status: 503 });
    await expect(client.list(CM, { namespace: NS })).rejects.toMatchObject({ status: 503 });
    expect((await client.list(CM, { namespace: NS })).items).toHaveLength(1);
    // A watch request can fail too: done gets the error.
    server.failNext({ pathIncludes: 'watch=true' }, 500);
    const w = await watch(CM, server.resourceVersion);
    await until(() => w.done.called, 'done');
    expect(w.done.err).toMatchObject({ statusCode: 500 });
  });

  test('requests and writes are recorded; clearRequests resets them', async () => {
    await client.apply(CM, configMap('a', { k: 'v' }));
    await client.get(CM, NS, 'a');
    await client.delete(CM, NS, 'a');
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /api/v1/namespaces/${NS}/configmaps/a`,
      `GET /api/v1/namespaces/${NS}/configmaps/a`,
      `DELETE /api/v1/namespaces/${NS}/configmaps/a`,
    ]);
    const [apply] = server.writes();
    expect(apply).toMatchObject({ query: 'fieldManager=quay-operator&force=true', contentType: 'application/apply-patch+yaml', fieldManager: 'quay-operator' });
    expect(apply.bytes).toBe(JSON.stringify(configMap('a', { k: 'v' })).length);
    expect(server.writes()).toHaveLength(2);
    server.clearRequests();
    expect(server.requests).toEqual([]);
  });

  test('direct access has the API semantics', async () => {
    const created = server.create(deployment('quay'));
    expect(() => server.create(deployment('quay'))).toThrow(ApiError);
    expect(() => server.update({ ...created, spec: { replicas: 2 }, metadata: { ...created.metadata, resourceVersion: '1' } })).toThrow(/modified/);
    const updated = server.update({ ...created, spec: { ...created.spec, replicas: 2 } });
    expect(updated.metadata.generation).toBe(2);
    expect(server.list('apps/v1', 'Deployment', NS)).toHaveLength(1);
    server.delete('apps/v1', 'Deployment', NS, 'quay');
    expect(server.get('apps/v1', 'Deployment', NS, 'quay')).toBeUndefined();
    expect(() => server.delete('apps/v1', 'Deployment', NS, 'quay')).toThrow(/not found/);
    const obc = server.create({ apiVersion: 'objectbucket.io/v1alpha1', kind: 'ObjectBucketClaim', metadata: { name: 'b', namespace: NS }, spec: {} });
    const bound = server.updateStatus('objectbucket.io/v1alpha1', 'ObjectBucketClaim', NS, 'b', { phase: 'Bound' });
    expect(bound.status).toEqual({ phase: 'Bound' });
    expect(Number(bound.metadata.resourceVersion)).toBeGreaterThan(Number(obc.metadata.resourceVersion));
  });
});

describe('discovery', () => {
  test('/api, /apis and resource lists', async () => {
    expect(await client.getPath('/api')).toMatchObject({ versions: ['v1'] });
    const core = (await client.getPath('/api/v1')) as any;
    expect(core.resources).toContainEqual({ name: 'configmaps', singularName: 'configmap', kind: 'ConfigMap', namespaced: true, verbs: expect.arrayContaining(['get', 'list', 'watch', 'patch']) });
    expect(core.resources).toContainEqual(expect.objectContaining({ name: 'namespaces', namespaced: false }));
    const groups = (await client.getPath('/apis')) as any;
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups).toContainEqual({
      name: 'route.openshift.io',
      versions: [{ groupVersion: 'route.openshift.io/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'route.openshift.io/v1', version: 'v1' },
    });
    const routes = (await client.getPath('/apis/route.openshift.io/v1')) as any;
    expect(routes).toMatchObject({ kind: 'APIResourceList', groupVersion: 'route.openshift.io/v1' });
    expect(routes.resources.map((r: any) => r.name)).toEqual(['routes', 'routes/status']);
  });

  test('a group removed from discovery is not served (plain Kubernetes)', async () => {
    const all = ((await client.getPath('/apis')) as any).groups.map((g: any) => g.preferredVersion.groupVersion);
    server.setDiscovery(all.filter((gv: string) => gv !== 'route.openshift.io/v1'));
    const groups = ((await client.getPath('/apis')) as any).groups.map((g: any) => g.name);
    expect(groups).not.toContain('route.openshift.io');
    expect(groups).toContain('apps');
    await expect(client.getPath('/apis/route.openshift.io/v1')).rejects.toMatchObject({ status: 404 });
    await expect(client.list(ROUTE, { namespace: NS })).rejects.toMatchObject({ status: 404 });
    expect((await client.list(DEPLOY, { namespace: NS })).items).toEqual([]);
  });
});
