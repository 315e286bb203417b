// The fake API server, through the operator's real client (KubeClient on client-node's KubeConfig
// and Watch). What a real server answers to single requests is pinned by the recorded fixtures
// (./apiserver/fixtures.test.ts); this covers what they cannot: authentication and RBAC, the
// cluster's controllers (garbage collection, namespaces), watches as client-node consumes them,
// CRDs served as they are created, fault injection and the tests' direct access.
import { ApiError, KubeClient, WatchEventType } from '../../lib/controller/kube-client';
import { typeOf } from '../../lib/controller/resources';
import type { KubeObject } from '../../lib/synth';
import { FakeApiServer, StatusError, serviceAccountUser } from './fake-apiserver';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const CM = typeOf('ConfigMap');
const DEPLOY = typeOf('Deployment');
const JOB = typeOf('Job');
const QR = typeOf('QuayRegistry');

let server: FakeApiServer;
let client: KubeClient;
const aborts: AbortController[] = [];

beforeEach(async () => {
  server = await FakeApiServer.start();
  server.createNamespace(NS);
  client = new KubeClient(server.kubeConfig());
});

afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
  await server.stop();
});

const configMap = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>, ns = NS): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
  data,
});

function deployment(name: string, extra: Obj = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, ...(extra.metadata ?? {}) },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'quay.io/x:1' }] } },
    },
  };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

async function until(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('authentication and RBAC', () => {
  test('no token is system:anonymous (403, even for discovery); an unknown token is 401', async () => {
    const anonymous = new KubeClient(server.anonymousKubeConfig());
    const denied = await refusal(anonymous.getPath('/apis/route.openshift.io/v1'));
    expect([denied.status, denied.reason, denied.serverMessage]).toEqual([403, 'Forbidden', 'forbidden: User "system:anonymous" cannot get path "/apis/route.openshift.io/v1"']);
    const res = await fetch(`${server.url}/api/v1/namespaces`, { headers: { Authorization: 'Bearer not-a-token' } });
    expect([res.status, await res.json()]).toEqual([401, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }]);
  });

  test('a ServiceAccount may discover, and do what its bindings grant: verbs, resources, subresources, names, namespaces', async () => {
    server.createNamespace('other');
    server.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r', namespace: NS },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create'] },
        { apiGroups: ['quay.redhat.com'], resources: ['quayregistries/status'], verbs: ['patch'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['only-this'], verbs: ['get'] },
      ],
    });
    server.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'r', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      subjects: [{ kind: 'ServiceAccount', name: 'op', namespace: 'ops' }],
    });
    const sa = new KubeClient(server.serviceAccountKubeConfig('ops', 'op'));
    await expect(sa.getPath('/apis')).resolves.toMatchObject({ kind: 'APIGroupList' });
    await expect(sa.create(CM, configMap('mine'))).resolves.toMatchObject({ metadata: { name: 'mine' } });
    await expect(sa.list(CM, { namespace: NS })).resolves.toMatchObject({ items: [{ metadata: { name: 'mine' } }] });
    const del = await refusal(sa.delete(CM, NS, 'mine'));
    expect([del.status, del.serverMessage]).toEqual([
      403,
      `configmaps "mine" is forbidden: User "system:serviceaccount:ops:op" cannot delete resource "configmaps" in API group "" in the namespace "${NS}"`,
    ]);
    const elsewhere = await refusal(sa.list(CM, { namespace: 'other' }));
    expect(elsewhere.serverMessage).toBe('configmaps is forbidden: User "system:serviceaccount:ops:op" cannot list resource "configmaps" in API group "" in the namespace "other"');
    const clusterWide = await refusal(sa.list(CM));
    expect(clusterWide.serverMessage).toMatch(/cannot list resource "configmaps" in API group "" at the cluster scope$/);
    // The subresource is granted, not the resource.
    server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'reg', namespace: NS }, spec: {} });
    await expect(sa.applyStatus(QR, NS, 'reg', { currentVersion: 'v1' })).resolves.toMatchObject({ status: { currentVersion: 'v1' } });
    expect((await refusal(sa.get(QR, NS, 'reg'))).status).toBe(403);
    // resourceNames.
    server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'only-this', namespace: NS }, stringData: { a: 'b' } });
    server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'not-that', namespace: NS }, stringData: { a: 'b' } });
    await expect(sa.get(typeOf('Secret'), NS, 'only-this')).resolves.toBeDefined();
    expect((await refusal(sa.get(typeOf('Secret'), NS, 'not-that'))).status).toBe(403);
    // Every request is recorded with who made it.
    expect(server.requests.filter((r) => r.user === 'system:serviceaccount:ops:op').length).toBeGreaterThan(5);
  });

  test('a ClusterRole bound cluster-wide applies in every namespace; one bound by a RoleBinding only in its namespace', async () => {
    server.createNamespace('other');
    server.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] });
    const binding = (kind: string, namespace?: string): Obj => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind,
      metadata: { name: 'b', ...(namespace ? { namespace } : {}) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cm-reader' },
      subjects: [{ kind: 'User', name: 'alice' }],
    });
    server.create(binding('RoleBinding', NS));
    const alice = new KubeClient(server.kubeConfigForUser({ name: 'alice', groups: ['system:authenticated'] }));
    await expect(alice.list(CM, { namespace: NS })).resolves.toBeDefined();
    expect((await refusal(alice.list(CM, { namespace: 'other' }))).status).toBe(403);
    server.create(binding('ClusterRoleBinding'));
    await expect(alice.list(CM, { namespace: 'other' })).resolves.toBeDefined();
    await expect(alice.list(CM)).resolves.toBeDefined();
  });

  test('a Role may grant only what its writer holds, and blockOwnerDeletion needs update on the owner’s finalizers', async () => {
    server.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'writer', namespace: NS },
      rules: [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['create'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create'] },
      ],
    });
    server.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'writer', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'writer' },
      subjects: [{ kind: 'ServiceAccount', name: 'w', namespace: NS }],
    });
    const w = new KubeClient(server.serviceAccountKubeConfig(NS, 'w'));
    const role = (verbs: string[]): KubeObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: verbs.join('-'), namespace: NS }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs }] });
    await expect(w.create(typeOf('Role'), role(['get']))).resolves.toBeDefined();
    const escalation = await refusal(w.create(typeOf('Role'), role(['get', 'delete'])));
    expect([escalation.status, escalation.serverMessage]).toEqual([
      403,
      `roles.rbac.authorization.k8s.io "get-delete" is forbidden: user "system:serviceaccount:${NS}:w" (groups=["system:serviceaccounts","system:serviceaccounts:${NS}","system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["configmaps"], Verbs:["delete"]}`,
    ]);
    const owner = server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'reg', namespace: NS }, spec: {} });
    const owned = (blockOwnerDeletion: boolean): KubeObject => ({
      ...configMap(`owned-${blockOwnerDeletion}`),
      metadata: { name: `owned-${blockOwnerDeletion}`, namespace: NS, ownerReferences: [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: 'reg', uid: owner.metadata.uid, controller: true, blockOwnerDeletion }] },
    });
    await expect(w.create(CM, owned(false))).resolves.toBeDefined();
    const blocked = await refusal(w.create(CM, owned(true)));
    expect(blocked.serverMessage).toBe(
      `configmaps "owned-true" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: User "system:serviceaccount:${NS}:w" cannot update resource "quayregistries/finalizers" in API group "quay.redhat.com" in the namespace "${NS}", <nil>`,
    );
  });
});

describe("the cluster's controllers", () => {
  test('deleting an owner deletes what it owns (Background), after it (Foreground), or leaves it (Orphan)', async () => {
    const owner = server.create(configMap('owner'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
    server.create({ ...configMap('child'), metadata: { name: 'child', namespace: NS, ownerReferences: [ref] } });
    server.create({ ...configMap('grandchild'), metadata: { name: 'grandchild', namespace: NS, ownerReferences: [{ ...ref, name: 'child', uid: server.get('v1', 'ConfigMap', NS, 'child')!.metadata.uid }] } });
    await client.delete(CM, NS, 'owner');
    expect(server.list('v1', 'ConfigMap', NS)).toEqual([]);

    const o2 = server.create(configMap('o2'));
    server.create({ ...configMap('kept'), metadata: { name: 'kept', namespace: NS, ownerReferences: [{ ...ref, name: 'o2', uid: o2.metadata.uid }] } });
    server.delete('v1', 'ConfigMap', NS, 'o2', 'Orphan');
    expect(server.get('v1', 'ConfigMap', NS, 'kept')?.metadata.ownerReferences).toBeUndefined();

    const o3 = server.create(configMap('o3'));
    server.create({ ...configMap('dep'), metadata: { name: 'dep', namespace: NS, ownerReferences: [{ ...ref, name: 'o3', uid: o3.metadata.uid, blockOwnerDeletion: true }] } });
    await client.delete(CM, NS, 'o3', 'Foreground');
    expect(server.get('v1', 'ConfigMap', NS, 'o3')).toBeUndefined();
    expect(server.get('v1', 'ConfigMap', NS, 'dep')).toBeUndefined();
  });

  test("a Job deleted without a propagation policy orphans what it owns (batch/v1's default), Background does not", async () => {
    const job = (name: string): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: NS },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'quay.io/x:1' }] } } },
    });
    for (const name of ['j1', 'j2']) {
      const j = await client.create(JOB, job(name));
      server.create({ ...configMap(`${name}-pod`), metadata: { name: `${name}-pod`, namespace: NS, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: j.metadata.uid }] } });
    }
    await fetch(`${server.url}/apis/batch/v1/namespaces/${NS}/jobs/j1`, { method: 'DELETE', headers: { Authorization: `Bearer ${server.adminToken}` } });
    expect(server.get('v1', 'ConfigMap', NS, 'j1-pod')).toMatchObject({ metadata: { name: 'j1-pod' } });
    expect(server.get('v1', 'ConfigMap', NS, 'j1-pod')?.metadata.ownerReferences).toBeUndefined();
    await client.delete(JOB, NS, 'j2', 'Background');
    expect(server.get('v1', 'ConfigMap', NS, 'j2-pod')).toBeUndefined();
  });

  test('finalizers hold a deleted object; a deleted Namespace goes Terminating, is emptied, then removed', async () => {
    server.create({ ...configMap('held'), metadata: { name: 'held', namespace: NS, finalizers: ['example.com/hold'] } });
    await client.delete(CM, NS, 'held');
    expect(server.get('v1', 'ConfigMap', NS, 'held')?.metadata.deletionTimestamp).toEqual(expect.any(String));
    await client.mergePatch(CM, NS, 'held', { metadata: { finalizers: null } });
    expect(server.get('v1', 'ConfigMap', NS, 'held')).toBeUndefined();
    server.create(configMap('in-ns'));
    server.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'pvc', namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    server.delete('v1', 'Namespace', undefined, NS);
    expect(server.get('v1', 'Namespace', undefined, NS)).toBeUndefined();
    expect(server.list('v1', 'ConfigMap', NS)).toEqual([]);
    expect(server.list('v1', 'PersistentVolumeClaim', NS)).toEqual([]);
  });

  test('with gc off, a deleted Namespace stays Terminating and refuses new content', async () => {
    const s = await FakeApiServer.start({ gc: false });
    try {
      s.createNamespace('t');
      s.delete('v1', 'Namespace', undefined, 't');
      expect(s.get('v1', 'Namespace', undefined, 't')?.status.phase).toBe('Terminating');
      expect(() => s.create(configMap('late', {}, undefined, 't'))).toThrow(/unable to create new content in namespace t because it is being terminated/);
    } finally {
      await s.stop();
    }
  });

  test('writes into a namespace that does not exist are refused (404), as on a real server', async () => {
    const err = await refusal(client.apply(CM, configMap('c', {}, undefined, 'nowhere')));
    expect([err.status, err.serverMessage]).toEqual([404, 'namespaces "nowhere" not found']);
  });
});

describe('CRDs and discovery', () => {
  test('a CRD created through the API is served once Established, and deleting it stops serving it', async () => {
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gizmos.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Gizmo', plural: 'gizmos', singular: 'gizmo', listKind: 'GizmoList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    };
    await client.apply(typeOf('CustomResourceDefinition'), crd);
    const stored = server.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'gizmos.example.com')!;
    expect(stored.status.conditions.map((c: Obj) => [c.type, c.status])).toEqual([
      ['NamesAccepted', 'True'],
      ['Established', 'True'],
    ]);
    const gizmos = { apiVersion: 'example.com/v1', kind: 'Gizmo', plural: 'gizmos', namespaced: true };
    await expect(client.apply(gizmos, { apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g', namespace: NS }, spec: { size: 3 } })).resolves.toMatchObject({ spec: { size: 3 } });
    const invalid = await refusal(client.apply(gizmos, { apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g', namespace: NS }, spec: { size: 'big' } }));
    expect(invalid.status).toBe(500);
    await expect(client.getPath('/apis/example.com/v1')).resolves.toMatchObject({ resources: [{ name: 'gizmos', kind: 'Gizmo' }] });
    await client.delete(typeOf('CustomResourceDefinition'), undefined, 'gizmos.example.com');
    expect((await refusal(client.getPath('/apis/example.com/v1'))).status).toBe(404);
  });

  test('setDiscovery hides the groups of a plain Kubernetes cluster; /api and /apis list what is served', async () => {
    await expect(client.getPath('/apis/route.openshift.io/v1')).resolves.toMatchObject({ resources: [{ name: 'routes' }, { name: 'routes/status' }] });
    server.setDiscovery(['apps/v1', 'batch/v1', 'quay.redhat.com/v1']);
    expect((await refusal(client.getPath('/apis/route.openshift.io/v1'))).status).toBe(404);
    const groups = ((await client.getPath('/apis')) as Obj).groups.map((g: Obj) => g.name);
    expect(groups.sort()).toEqual(['apps', 'batch', 'quay.redhat.com']);
    await expect(client.getPath('/api')).resolves.toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    await expect(client.getPath('/apis/apps/v1')).resolves.toMatchObject({ resources: expect.arrayContaining([expect.objectContaining({ name: 'deployments/scale' })]) });
  });
});

describe('watches through client-node', () => {
  interface Watched {
    events: { type: WatchEventType; object: KubeObject }[];
    done: { called: boolean; err: unknown };
  }

  async function watch(resourceVersion: string, labelSelector?: string): Promise<Watched> {
    const w: Watched = { events: [], done: { called: false, err: undefined } };
    const before = server.openWatches;
    const ctl = await client.watch(
      CM,
      { namespace: NS, resourceVersion, ...(labelSelector ? { labelSelector } : {}) },
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

  test('from a list: ADDED, MODIFIED, DELETED in order; objects leaving a selection are DELETED with their old labels', async () => {
    const { resourceVersion } = await client.list(CM, { namespace: NS });
    const w = await watch(resourceVersion, 'app=quay');
    await client.apply(CM, configMap('a', { k: '1' }, { app: 'quay' }));
    await client.apply(CM, configMap('a', { k: '2' }, { app: 'quay' }));
    await client.apply(CM, configMap('b', {}, { app: 'other' }));
    await client.mergePatch(CM, NS, 'a', { metadata: { labels: { app: 'moved' } } });
    await until(() => w.events.length === 3, 'three events');
    expect(w.events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.labels?.app])).toEqual([
      ['ADDED', 'a', 'quay'],
      ['MODIFIED', 'a', 'quay'],
      ['DELETED', 'a', 'quay'],
    ]);
    expect(w.events[0].object).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
  });

  test('an expired watch ends with ERROR 410, and a too old resourceVersion gets the same', async () => {
    const w = await watch(server.resourceVersion);
    server.expireWatches();
    await until(() => w.done.called, 'the watch to end');
    const old = await watch('1');
    await until(() => old.done.called, 'the old watch to end');
    expect(old.events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired', message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/) }) }]);
  });

  test('dropWatches closes the streams (done is called); bookmarks on demand', async () => {
    const w = await watch(server.resourceVersion);
    server.bookmark();
    await until(() => w.events.some((e) => e.type === 'BOOKMARK'), 'a bookmark');
    server.dropWatches();
    await until(() => w.done.called, 'done');
  });
});

describe('fault injection and records', () => {
  test('failNext answers the next matching requests with an error (and Retry-After), then the server recovers', async () => {
    server.failNext({ method: 'PATCH', pathIncludes: '/configmaps/' }, 429, 1, 3);
    const res = await fetch(`${server.url}/api/v1/namespaces/${NS}/configmaps/x?fieldManager=t`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${server.adminToken}`, 'Content-Type': 'application/apply-patch+yaml' },
      body: JSON.stringify(configMap('x')),
    });
    expect([res.status, res.headers.get('retry-after'), ((await res.json()) as Obj).reason]).toEqual([429, '3', 'TooManyRequests']);
    await expect(client.apply(CM, configMap('x'))).resolves.toBeDefined();
    const patches = server.writes().filter((w) => w.path.endsWith('/configmaps/x'));
    expect(patches.map((p) => p.code)).toEqual([429, 201]);
  });

  test('excludePathIncludes leaves out the requests whose path includes it (e.g. a Lease), the fault waits for another', async () => {
    const handle = server.failNext({ method: 'PATCH', excludePathIncludes: '/configmaps/lease' }, 500, 1);
    const apply = (name: string) =>
      fetch(`${server.url}/api/v1/namespaces/${NS}/configmaps/${name}?fieldManager=t`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${server.adminToken}`, 'Content-Type': 'application/apply-patch+yaml' },
        body: JSON.stringify(configMap(name)),
      }).then((res) => res.status);
    expect([await apply('lease'), handle.fired]).toEqual([201, 0]);
    expect([await apply('other'), handle.fired]).toEqual([500, 1]);
    expect(await apply('other')).toBe(201);
  });

  test('refusals are recorded with their code and message; clearRequests resets the record', async () => {
    await refusal(client.apply(DEPLOY, { ...deployment('bad'), spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [] } } } }));
    const last = server.requests[server.requests.length - 1];
    expect([last.method, last.code, last.message]).toEqual(['PATCH', 422, expect.stringContaining('spec.selector: Required value')]);
    server.clearRequests();
    expect(server.requests).toEqual([]);
  });
});

describe('direct access (tests set up the cluster)', () => {
  test('create puts namespaces in place, keeps the given status, and refuses what the API refuses', () => {
    const d = server.create({ ...deployment('quay'), metadata: { name: 'quay', namespace: 'fresh' }, status: { availableReplicas: 2 } });
    expect(server.get('v1', 'Namespace', undefined, 'fresh')).toBeDefined();
    expect(d.status).toEqual({ availableReplicas: 2 });
    expect(d.spec.replicas).toBe(1); // defaulted
    expect(d.metadata.managedFields).toBeUndefined(); // direct reads leave them out
    expect(server.managedFields('apps/v1', 'Deployment', 'fresh', 'quay')).toEqual([expect.objectContaining({ manager: 'fake-test', operation: 'Update' })]);
    expect(() => server.create(deployment('quay'))).not.toThrow();
    expect(() => server.create(deployment('quay'))).toThrow(StatusError);
    expect(() => server.create({ ...configMap('Bad_Name') })).toThrow(/a lowercase RFC 1123 subdomain/);
  });

  test('update and updateStatus write at the current resourceVersion; apply is server-side apply', () => {
    server.create(deployment('quay'));
    const u = server.update({ ...server.get('apps/v1', 'Deployment', NS, 'quay')!, metadata: { ...server.get('apps/v1', 'Deployment', NS, 'quay')!.metadata, labels: { a: 'b' } } });
    expect(u.metadata.labels).toEqual({ a: 'b' });
    const s = server.updateStatus('apps/v1', 'Deployment', NS, 'quay', { readyReplicas: 1 });
    expect(s.status).toEqual({ readyReplicas: 1 });
    expect(s.metadata.generation).toBe(1); // status writes do not move generation
    const a = server.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: NS }, data: { k: 'v' } }, { fieldManager: 'someone' });
    expect(server.managedFields('v1', 'ConfigMap', NS, a.metadata.name)).toEqual([expect.objectContaining({ manager: 'someone', operation: 'Apply', fieldsV1: { 'f:data': { 'f:k': {} } } })]);
  });

  test('the scale subresource: a Deployment scaled by someone else keeps that replicas count when applied without it', async () => {
    await client.apply(DEPLOY, deployment('quay'));
    const scaled = await fetch(`${server.url}/apis/apps/v1/namespaces/${NS}/deployments/quay/scale?fieldManager=hpa`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${server.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'quay', namespace: NS }, spec: { replicas: 4 } }),
    });
    expect(((await scaled.json()) as Obj).spec).toEqual({ replicas: 4 });
    const again = await client.apply(DEPLOY, deployment('quay'));
    expect((again.spec as Obj).replicas).toBe(4);
    expect(server.managedFields('apps/v1', 'Deployment', NS, 'quay').map((e: Obj) => [e.manager, e.subresource ?? ''])).toEqual([
      ['quay-operator', ''],
      ['hpa', 'scale'],
    ]);
  });

  test('kubeConfigForUser and serviceAccountUser name the identity a token stands for', () => {
    expect(serviceAccountUser('ns', 'sa')).toEqual({ name: 'system:serviceaccount:ns:sa', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'] });
  });
});
