// The apply-skip decision (lib/controller/applier.ts) read directly: the applied-hash stamp, our own
// managedFields entry and its hash, and when Applier re-applies (hash changed, our fields taken or
// dropped by someone else, a record forgotten). The fake API server reaches this only as "a write
// was or was not made"; here each reason is checked on its own, with a stub client's apply.
import { APPLIED_HASH, Applier, objectHash, ownFieldsHash, withOwnFieldsOnly } from '../../lib/controller/applier';
import { FIELD_MANAGER, KubeClient } from '../../lib/controller/kube-client';
import { ResourceType } from '../../lib/controller/resources';
import type { KubeObject } from '../../lib/synth';

type Obj = Record<string, any>;
const FIELDS = { 'f:data': { 'f:a': {} } };
/** sha256(JSON.stringify(FIELDS)) and of `null`, first 16 hex digits: the hashes older operators left. */
const FIELDS_HASH = 'a9b3b56d40381316';
const NULL_HASH = '74234e98afe7498f';

const configMap = (data: Record<string, string> = { a: '1' }, namespace = 'ns') =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace }, data }) as KubeObject;
const entry = (e: Obj) => ({ manager: FIELD_MANAGER, operation: 'Apply', fieldsV1: FIELDS, ...e });
/** The object as the server holds it after our apply: managedFields and a resourceVersion. */
const live = (desired: KubeObject, managedFields: Obj[] | undefined, resourceVersion = '5') =>
  ({ ...desired, metadata: { ...desired.metadata, resourceVersion, ...(managedFields ? { managedFields } : {}) } }) as KubeObject;

function stubClient(result: (obj: KubeObject) => KubeObject) {
  const calls: [ResourceType, KubeObject][] = [];
  const client = {
    apply: async (t: ResourceType, obj: KubeObject) => {
      calls.push([t, obj]);
      return result(obj);
    },
  } as unknown as KubeClient;
  return { client, calls };
}

test('objectHash: 16 hex digits of the object\'s JSON, stable across releases (a new hash re-applies everything)', () => {
  expect(objectHash(configMap())).toBe('cc7e62b0b74eccac');
  expect(objectHash(configMap({ a: '2' }))).not.toBe('cc7e62b0b74eccac');
});

test('Applier.stamp: the hash of the object as rendered, added to its other annotations', () => {
  const obj = { ...configMap(), metadata: { name: 'c', namespace: 'ns', annotations: { keep: 'me' } } } as KubeObject;
  expect(Applier.stamp(obj)).toEqual({ ...obj, metadata: { name: 'c', namespace: 'ns', annotations: { keep: 'me', [APPLIED_HASH]: objectHash(obj) } } });
  expect(Applier.stamp(configMap()).metadata.annotations).toEqual({ [APPLIED_HASH]: 'cc7e62b0b74eccac' });
});

test('ownFieldsHash: only our Apply entry for the main resource counts; a cached hash is read as is', () => {
  const cm = configMap();
  expect(ownFieldsHash(cm)).toBeUndefined();
  expect(ownFieldsHash(live(cm, [entry({})]))).toBe(FIELDS_HASH);
  expect(ownFieldsHash(live(cm, [entry({ fieldsV1: undefined })]))).toBe(NULL_HASH);
  expect(ownFieldsHash(live(cm, [entry({ fieldsV1Hash: 'cafecafecafecafe' })]))).toBe('cafecafecafecafe');
  // Another manager's, an Update of ours, our status subresource: not the fields our applies own.
  expect(ownFieldsHash(live(cm, [entry({ manager: 'kubectl' }), entry({ operation: 'Update' }), entry({ subresource: 'status' })]))).toBeUndefined();
  expect(ownFieldsHash(live(cm, [entry({ manager: 'kubectl', fieldsV1: {} }), entry({})]))).toBe(FIELDS_HASH);
});

test('withOwnFieldsOnly: managedFields reduced to our entry\'s hash; metadata untouched without one', () => {
  const obj = live(configMap(), [entry({ manager: 'kubectl' }), entry({})]);
  const metadata = { name: 'c', namespace: 'ns' } as KubeObject['metadata'];
  expect(withOwnFieldsOnly(obj, metadata)).toEqual({ name: 'c', namespace: 'ns', managedFields: [{ manager: FIELD_MANAGER, operation: 'Apply', fieldsV1Hash: FIELDS_HASH }] });
  expect(withOwnFieldsOnly(live(configMap(), [entry({ manager: 'kubectl' })]), metadata)).toBe(metadata);
  // What the cache keeps reads back to the same hash.
  expect(ownFieldsHash({ ...obj, metadata: withOwnFieldsOnly(obj, metadata) })).toBe(FIELDS_HASH);
});

describe('Applier', () => {
  const desired = Applier.stamp(configMap());

  test('applies what is missing, unstamped or stamped with another hash, through the kind\'s resource type', async () => {
    const { client, calls } = stubClient((o) => live(o, [entry({})]));
    const applier = new Applier(client);
    expect(await applier.apply(desired, undefined)).toBe(true);
    expect(calls).toEqual([[{ apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true }, desired]]);
    const unstamped = configMap();
    expect(applier.upToDate(unstamped, live(unstamped, [entry({})]))).toBe(false);
    expect(applier.upToDate(desired, live(Applier.stamp(configMap({ a: '2' })), [entry({})]))).toBe(false);
    expect(applier.upToDate(desired, live(configMap(), [entry({})]))).toBe(false);
  });

  test('an object stamped by an earlier operator process is trusted until a resync', async () => {
    const { client, calls } = stubClient((o) => o);
    const applier = new Applier(client);
    const taken = live(desired, [entry({ fieldsV1: { other: 1 } })]);
    expect(await applier.apply(desired, taken)).toBe(false);
    expect(calls).toEqual([]);
  });

  test('after an apply: skipped while our fields are as it left them, re-applied when someone took or dropped one', async () => {
    const { client, calls } = stubClient((o) => live(o, [entry({})]));
    const applier = new Applier(client);
    expect(await applier.apply(desired, undefined)).toBe(true);
    expect(await applier.apply(desired, live(desired, [entry({ manager: 'hpa' }), entry({})], '9'))).toBe(false);
    expect(applier.upToDate(desired, live(desired, [entry({ fieldsV1: { 'f:data': {} } })]))).toBe(false);
    expect(applier.upToDate(desired, live(desired, [entry({ manager: 'kubectl' })]))).toBe(false);
    expect(await applier.apply(desired, live(desired, []))).toBe(true);
    expect(calls.length).toBe(2);
  });

  test('where the server keeps no managedFields, the resourceVersion our apply left is the fingerprint', async () => {
    const { client } = stubClient((o) => live(o, undefined, '5'));
    const applier = new Applier(client);
    await applier.apply(desired, undefined);
    expect(applier.upToDate(desired, live(desired, undefined, '5'))).toBe(true);
    expect(applier.upToDate(desired, live(desired, undefined, '6'))).toBe(false);
  });

  test('records are per kind, namespace and name; forget and forgetAll drop them, so the object is trusted again', async () => {
    const { client } = stubClient((o) => live(o, [entry({})]));
    const applier = new Applier(client);
    const other = Applier.stamp(configMap({ a: '1' }, 'other'));
    await applier.apply(desired, undefined);
    await applier.apply(other, undefined);
    const changed = (o: KubeObject) => live(o, [entry({ fieldsV1: {} })]);
    expect([applier.upToDate(desired, changed(desired)), applier.upToDate(other, changed(other))]).toEqual([false, false]);
    applier.forget({ kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } });
    expect([applier.upToDate(desired, changed(desired)), applier.upToDate(other, changed(other))]).toEqual([true, false]);
    applier.forgetAll();
    expect(applier.upToDate(other, changed(other))).toBe(true);
  });
});
