// The informer's cache: lookups by key and by namespace stay in step through replace and delete.
import { ObjectStore, dropManagedFields, dropSecretData, keyOf } from '../../../lib/controller/runtime/store';
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

test('list sorts by namespace/name whatever the insertion order', () => {
  const store = new ObjectStore();
  const names = ['e', 'd', 'c', 'b', 'a', 'f'];
  for (const n of names) store.set(keyOf(obj('ns', n, '1')), obj('ns', n, '1'));
  const other = obj('aa', 'z', '1');
  store.set(keyOf(other), other);
  expect(store.list('ns').map((o) => o.metadata.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  expect(store.list().map((o) => keyOf(o))).toEqual(['aa/z', 'ns/a', 'ns/b', 'ns/c', 'ns/d', 'ns/e', 'ns/f']);
});

/** A store holding ns/a and ns/b. */
function storeOfTwo(): [ObjectStore, KubeObject, KubeObject] {
  const store = new ObjectStore();
  const [a, b] = [obj('ns', 'a', '1'), obj('ns', 'b', '1')];
  store.set(keyOf(a), a);
  store.set(keyOf(b), b);
  return [store, a, b];
}

test('a new object joins its namespace without replacing another; the first one can be replaced in place', () => {
  const [store, a, b] = storeOfTwo();
  const c = obj('ns', 'c', '1');
  store.set(keyOf(c), c);
  expect(store.list('ns')).toEqual([a, b, c]);
  const a2 = obj('ns', 'a', '2');
  store.set(keyOf(a2), a2);
  expect(store.list('ns')).toEqual([a2, b, c]);
});

test('deleting what is not cached leaves the namespace as it was, for namespaced and cluster-scoped objects', () => {
  const [store, a, b] = storeOfTwo();
  const stranger = obj('ns', 'x', '1');
  store.delete(keyOf(stranger), stranger);
  expect(store.list('ns')).toEqual([a, b]);
  const node = obj(undefined, 'node', '1');
  store.delete(keyOf(node), node);
  store.set(keyOf(node), node);
  store.delete(keyOf(node), node);
  expect(store.list('')).toEqual([]);
  expect(store.size()).toBe(2);
});

test('dropManagedFields hands back the same object when there is nothing to drop (no copy per event)', () => {
  const o = obj('ns', 'a', '1');
  expect(dropManagedFields(o)).toBe(o);
  const withFields = { ...o, metadata: { ...o.metadata, managedFields: [{ manager: 'x' }] } } as unknown as KubeObject;
  expect(dropManagedFields(withFields)).toEqual(o);
});
