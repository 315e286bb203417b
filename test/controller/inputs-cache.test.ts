// The registries' Secret and ConfigMap inputs (lib/controller/inputs.ts) read directly: which objects
// keep their data in the informers' caches, what a data-less copy keeps, and how InputCache serves a
// read (from the cache, from a copy read or written earlier, or from the API), counted on a stub
// client. cached-reads.test.ts measures the same end to end as request counts on the fake API server.
import { FIELD_MANAGER, KubeClient } from '../../lib/controller/kube-client';
import { InputCache, dataWanted, dropData, inputTransform } from '../../lib/controller/inputs';
import type { ReadCache } from '../../lib/controller/reconciler';
import type { ResourceType } from '../../lib/controller/resources';
import { managedKeysSecretName } from '../../lib/keys';
import type { KubeObject } from '../../lib/synth';

type Obj = Record<string, any>;
const KEYS = managedKeysSecretName('r');

/** A cache as the informers' store answers: list(ns) that namespace's objects, list() all. */
function cacheOf(objects: KubeObject[]): ReadCache & { objects: KubeObject[] } {
  return {
    objects,
    get: (ns, name) => objects.find((o) => (o.metadata.namespace ?? '') === (ns ?? '') && o.metadata.name === name),
    list: (ns) => (ns === undefined ? objects : objects.filter((o) => (o.metadata.namespace ?? '') === ns)),
  };
}
const registry = (name: string, spec?: Obj, namespace = 'ns') =>
  ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name, namespace }, ...(spec ? { spec } : {}) }) as KubeObject;
const input = (kind: 'Secret' | 'ConfigMap', name: string, namespace = 'ns') => ({ apiVersion: 'v1', kind, metadata: { name, namespace } }) as KubeObject;

describe('dataWanted', () => {
  const registries = cacheOf([
    registry('bare'),
    registry('r', { configBundleSecret: 'bundle', tlsSecret: 'tls', initialUser: { secretName: 'first-user' } }),
    registry('elsewhere', { configBundleSecret: 'far' }, 'other'),
  ]);
  const wanted = (kind: 'Secret' | 'ConfigMap', name: string, namespace = 'ns') => dataWanted(registries, input(kind, name, namespace));

  test('a registry\'s bundle, certificate, first user, keys (also an old operator\'s `<keys>-<hash>`) and bucket Secret', () => {
    expect(['bundle', 'tls', 'first-user', KEYS, `${KEYS}-5f6g7h`, 'r-quay-datastore', 'bare-quay-datastore'].map((n) => wanted('Secret', n))).toEqual([true, true, true, true, true, true, true]);
  });

  test('of ConfigMaps, only the bucket provisioner\'s', () => {
    expect(['r-quay-datastore', 'bare-quay-datastore', 'bundle', 'tls', KEYS].map((n) => wanted('ConfigMap', n))).toEqual([true, true, false, false, false]);
  });

  test('nothing else, and nothing a registry of another namespace names', () => {
    expect(['other', `${KEYS}x`, 'x-' + KEYS, 'quay-datastore', 'bare', 'r'].map((n) => wanted('Secret', n))).toEqual([false, false, false, false, false, false]);
    expect(wanted('Secret', 'far')).toBe(false);
    expect(wanted('Secret', 'far', 'other')).toBe(true);
    expect(wanted('Secret', 'bundle', 'other')).toBe(false);
    expect(dataWanted(cacheOf([]), input('Secret', 'bundle'))).toBe(false);
  });
});

const OWN = { manager: FIELD_MANAGER, operation: 'Apply', fieldsV1Hash: 'cafecafecafecafe' };
const THEIRS = { manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:data': {} } };

test('dropData: data, stringData and binaryData gone, managedFields reduced to our entry\'s hash', () => {
  const secret = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's', namespace: 'ns', managedFields: [THEIRS, OWN] }, data: { a: 'YQ==' }, stringData: { b: 'b' } } as KubeObject;
  expect(dropData(secret)).toEqual({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's', namespace: 'ns', managedFields: [OWN] } });
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns', managedFields: [THEIRS] }, data: { a: '1' }, binaryData: { b: 'Yg==' } } as KubeObject;
  expect(dropData(configMap)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } });
});

test('inputTransform: data kept where a registry reads it (managedFields reduced as for the others), dropped elsewhere', () => {
  const transform = inputTransform(cacheOf([registry('r', { configBundleSecret: 'bundle' })]));
  const bundle = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bundle', namespace: 'ns', managedFields: [THEIRS, OWN] }, data: { 'config.yaml': 'eDogMQ==' } } as KubeObject;
  expect(transform(bundle)).toEqual({ ...bundle, metadata: { name: 'bundle', namespace: 'ns', managedFields: [OWN] } });
  const theirs = { ...bundle, metadata: { name: 'bundle', namespace: 'ns', managedFields: [THEIRS] } } as KubeObject;
  expect(transform(theirs)).toEqual({ ...bundle, metadata: { name: 'bundle', namespace: 'ns' } });
  expect(transform({ ...bundle, metadata: { ...bundle.metadata, name: 'unrelated' } } as KubeObject)).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unrelated', namespace: 'ns', managedFields: [OWN] } });
});

describe('InputCache', () => {
  /** The API: objects by kind/namespace/name; every get recorded. */
  function stubClient(server: Map<string, KubeObject>) {
    const gets: string[] = [];
    const client = {
      get: async (t: ResourceType, ns: string, name: string) => {
        gets.push(`${t.kind}/${ns}/${name}`);
        return server.get(`${t.kind}/${ns}/${name}`);
      },
    } as unknown as KubeClient;
    return { client, gets };
  }
  const secret = (rv: string, data: Obj = { a: 'YQ==' }) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns', resourceVersion: rv }, data }) as KubeObject;
  const setup = (cached: KubeObject[] = []) => {
    const server = new Map<string, KubeObject>();
    const { client, gets } = stubClient(server);
    const secrets = cacheOf(cached);
    const inputs = new InputCache(client, new Map([['Secret', secrets]]));
    return { server, gets, secrets, inputs };
  };

  test('a cached object with its data: served from the cache, no API read', async () => {
    const { gets, inputs } = setup([secret('1')]);
    expect(await inputs.get('Secret', 'ns', 's')).toEqual(secret('1'));
    expect(gets).toEqual([]);
  });

  test('a kind without a cache: read from the API', async () => {
    const { server, gets, inputs } = setup();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: {} } as KubeObject;
    server.set('ConfigMap/ns/c', cm);
    expect(await inputs.get('ConfigMap', 'ns', 'c')).toBe(cm);
    expect(gets).toEqual(['ConfigMap/ns/c']);
  });

  test('missing from the cache: absent without an API read, unless absence must be confirmed', async () => {
    const { server, gets, inputs } = setup();
    server.set('Secret/ns/s', secret('1'));
    expect(await inputs.get('Secret', 'ns', 's')).toBeUndefined();
    expect(gets).toEqual([]);
    expect(await inputs.get('Secret', 'ns', 's', true)).toEqual(secret('1'));
    expect(await inputs.get('Secret', 'ns', 'gone', true)).toBeUndefined();
    expect(gets).toEqual(['Secret/ns/s', 'Secret/ns/gone']);
  });

  test('cached without data: read from the API once, that copy served until the cache holds a newer version', async () => {
    const { server, gets, secrets, inputs } = setup([dropData(secret('1'))]);
    server.set('Secret/ns/s', secret('1'));
    expect(await inputs.get('Secret', 'ns', 's')).toEqual(secret('1'));
    expect(await inputs.get('Secret', 'ns', 's')).toEqual(secret('1'));
    expect(gets).toEqual(['Secret/ns/s']);
    // A newer version, still without data: read again.
    secrets.objects[0] = dropData(secret('2'));
    server.set('Secret/ns/s', secret('2', { b: 'Yg==' }));
    expect(await inputs.get('Secret', 'ns', 's')).toEqual(secret('2', { b: 'Yg==' }));
    expect(gets).toEqual(['Secret/ns/s', 'Secret/ns/s']);
    // The watch brings a version with data: the cache serves, the copy is dropped.
    secrets.objects[0] = secret('3', { c: 'Yw==' });
    expect(await inputs.get('Secret', 'ns', 's')).toEqual(secret('3', { c: 'Yw==' }));
    secrets.objects.length = 0;
    expect(await inputs.get('Secret', 'ns', 's')).toBeUndefined();
    expect(gets).toEqual(['Secret/ns/s', 'Secret/ns/s']);
  });

  test('cached without data but gone from the API: absent, and no stale copy served once the cache drops it', async () => {
    const { server, gets, secrets, inputs } = setup([dropData(secret('1'))]);
    server.set('Secret/ns/s', secret('1'));
    expect(await inputs.get('Secret', 'ns', 's')).toEqual(secret('1'));
    secrets.objects[0] = dropData(secret('2'));
    server.delete('Secret/ns/s');
    expect(await inputs.get('Secret', 'ns', 's')).toBeUndefined();
    secrets.objects.length = 0;
    expect(await inputs.get('Secret', 'ns', 's')).toBeUndefined();
    expect(gets).toEqual(['Secret/ns/s', 'Secret/ns/s']);
  });

  test('what the operator created is served until the watch delivers it, by kind, namespace and name; forget drops it', async () => {
    const { gets, inputs } = setup();
    const created = secret('1');
    inputs.remember(created);
    inputs.remember({ ...created, kind: 'ConfigMap', metadata: { ...created.metadata, name: 'cm' } } as KubeObject);
    expect(await inputs.get('Secret', 'ns', 's')).toBe(created);
    expect(await inputs.get('Secret', 'other', 's')).toBeUndefined();
    expect(await inputs.get('Secret', 'ns', 'cm')).toBeUndefined();
    inputs.forget(created);
    expect(await inputs.get('Secret', 'ns', 's')).toBeUndefined();
    expect(gets).toEqual([]);
  });
});
