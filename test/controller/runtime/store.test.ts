// The informer's cache: lookups by key and by namespace stay in step through replace and delete.
import { ObjectStore, dropSecretData, keyOf } from '../../../lib/controller/runtime/store';
import type { KubeObject } from '../../../lib/synth';

const obj = (namespace: string | undefined, name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion: rv } });

test('a replaced object is replaced in its namespace, a deleted one leaves it, an emptied namespace is gone', () => {
  const store = new ObjectStore();
  const a1 = obj('ns1', 'a', '1');
  const b = obj('ns1', 'b', '2');
  const c = obj('ns2', 'c', '3');
  for (const o of [b, a1, c]) store.set(keyOf(o), o);
  const a2 = obj('ns1', 'a', '4');
  store.set(keyOf(a2), a2);
  expect(store.list('ns1')).toEqual([a2, b]);
  expect(store.list()).toEqual([a2, b, c]);
  expect(store.size()).toBe(3);
  store.delete(keyOf(c), c);
  expect(store.list('ns2')).toEqual([]);
  expect(store.has(keyOf(c))).toBe(false);
  // Deleting by a stale copy removes the cached object, not nothing.
  store.delete(keyOf(a1), a1);
  expect(store.list('ns1')).toEqual([b]);
  expect(store.entries()).toEqual([['ns1/b', b]]);
});

test('cluster-scoped objects are listed under the empty namespace', () => {
  const store = new ObjectStore();
  const n = obj(undefined, 'node', '1');
  store.set(keyOf(n), n);
  expect(keyOf(n)).toBe('/node');
  expect(store.list('')).toEqual([n]);
  expect(store.get('/node')).toBe(n);
});

test('dropSecretData keeps metadata and type, drops data, stringData and managedFields', () => {
  const s = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's', managedFields: [{}] }, data: { a: 'YQ==' }, stringData: { b: 'b' } } as unknown as KubeObject;
  expect(dropSecretData(s)).toEqual({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's' } });
});
