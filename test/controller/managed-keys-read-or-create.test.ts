// The registry's generated keys (lib/controller/managed-keys.ts) against stubs: kept when the Secret
// exists, taken over from the hashed name an operator before 3.6.4 used, created once (owned by the
// registry unless its data is retained), and a create that lost a race or was refused. The controller
// tests reach this only through the fake API server.
import { LABEL_REGISTRY } from '../../lib/api/types';
import type { InputCache } from '../../lib/controller/inputs';
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import { readOrCreateManagedKeys } from '../../lib/controller/managed-keys';
import type { ReadCache } from '../../lib/controller/reconciler';
import type { RefusalReporter } from '../../lib/controller/refusals';
import type { ResourceType } from '../../lib/controller/resources';
import { MANAGED_KEY_NAMES, managedKeysSecretName } from '../../lib/keys';
import type { KubeObject } from '../../lib/synth';

type Obj = Record<string, any>;
const NAME = managedKeysSecretName('r');
const registry = (spec: Obj = {}) => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: 'ns', uid: 'u-1' }, spec }) as KubeObject;
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** A complete set of keys, as the Secret holds them. */
const KEYS = Object.fromEntries(MANAGED_KEY_NAMES.map((k) => [k, `${k.toLowerCase()}-value`]));
const secret = (name: string, keys: Record<string, string>, labels: Record<string, string> = { [LABEL_REGISTRY]: 'r' }, namespace = 'ns') =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels }, data: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, b64(v)])) }) as KubeObject;

interface Opts {
  /** Secrets the input cache serves (with data), by name. */
  inputs?: KubeObject[];
  /** Secrets in the owned-Secret cache (listed, without data). */
  owned?: KubeObject[] | null;
  createError?: Error;
  /** What a get after a 409 finds. */
  raced?: KubeObject;
}

function setup(opts: Opts = {}) {
  const calls: string[] = [];
  const created: Obj[] = [];
  const remembered: Obj[] = [];
  const reported: unknown[] = [];
  const client = {
    create: async (t: ResourceType, obj: Obj) => {
      calls.push(`create ${t.kind} ${obj.metadata.namespace}/${obj.metadata.name}`);
      if (opts.createError) throw opts.createError;
      created.push(obj);
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: '1' } };
    },
    get: async (t: ResourceType, namespace: string, name: string) => {
      calls.push(`get ${t.kind} ${namespace}/${name}`);
      return opts.raced;
    },
  } as unknown as KubeClient;
  const inputs = {
    get: async (kind: string, namespace: string, name: string) => {
      calls.push(`inputs ${kind} ${namespace}/${name}`);
      return (opts.inputs ?? []).find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
    },
    remember: (obj: Obj) => void remembered.push(obj),
  } as unknown as InputCache;
  const ownedCache: ReadCache = { get: () => undefined, list: (namespace) => (opts.owned ?? []).filter((o) => o.metadata.namespace === namespace) };
  const owned = new Map<string, ReadCache>(opts.owned === null ? [] : [['Secret', ownedCache]]);
  const refusals = { report: async (r: KubeObject, target: unknown, err: unknown) => void reported.push([r.metadata.name, target, err]) } as unknown as RefusalReporter;
  return { deps: { client, owned, inputs, refusals }, calls, created, remembered, reported };
}

test('an existing Secret: its keys, nothing created', async () => {
  const s = setup({ inputs: [secret(NAME, KEYS)] });
  expect(await readOrCreateManagedKeys(s.deps, registry())).toEqual({ values: KEYS, created: false });
  expect(s.calls).toEqual([`inputs Secret ns/${NAME}`]);
});

test('an existing Secret lacking keys (an older backup): kept ones as they are, the missing ones generated', async () => {
  const { CLAIR_DB_PASSWORD: _p, CLAIR_DB_ROOT_PW: _r, ...older } = KEYS;
  const s = setup({ inputs: [secret(NAME, older)] });
  const r = await readOrCreateManagedKeys(s.deps, registry());
  // An upgrade from before the Clair keys: the Clair database still has upstream's password.
  expect(r).toEqual({ values: { ...older, CLAIR_DB_PASSWORD: 'postgres', CLAIR_DB_ROOT_PW: 'postgres' }, created: false });
  expect(s.created).toEqual([]);
});

test('no Secret: one created with fresh keys, labelled and owned by the registry, and remembered until the watch brings it', async () => {
  const s = setup();
  const r = await readOrCreateManagedKeys(s.deps, registry());
  expect(Object.keys(r.values)).toEqual([...MANAGED_KEY_NAMES]);
  expect(r.values.DB_URI).toMatch(/^postgresql:\/\/r-quay-database:[0-9A-Za-z]{80}@r-quay-database:5432\/r-quay-database$/);
  expect(r.created).toBe(true);
  expect(s.created).toEqual([
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: NAME,
        namespace: 'ns',
        labels: { [LABEL_REGISTRY]: 'r', 'quay-component': 'quay' },
        ownerReferences: [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: 'r', uid: 'u-1', controller: true, blockOwnerDeletion: true }],
      },
      type: 'Opaque',
      stringData: r.values,
    },
  ]);
  expect(s.remembered).toEqual([{ ...s.created[0], metadata: { ...s.created[0].metadata, resourceVersion: '1' } }]);
});

test('whenDeleted Retain: the created Secret has no owner, so deleting the registry keeps it', async () => {
  const s = setup();
  await readOrCreateManagedKeys(s.deps, registry({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } }));
  expect(s.created[0].metadata).toStrictEqual({ name: NAME, namespace: 'ns', labels: { [LABEL_REGISTRY]: 'r', 'quay-component': 'quay' } });
});

test('taken over from before 3.6.4: the keys of the first hashed-name Secret labelled for this registry, written under the new name', async () => {
  const legacyKeys = { ...KEYS, DB_URI: 'postgresql://u:legacy@db:5432/db' };
  const owned = [
    secret(`${NAME}-bbb`, {}),
    secret(`${NAME}-aaa`, {}),
    secret(`${NAME}-000`, {}, { [LABEL_REGISTRY]: 'other' }),
    secret('unrelated', {}),
    secret(`${NAME}-000`, {}, { [LABEL_REGISTRY]: 'r' }, 'elsewhere'),
  ];
  const s = setup({ owned, inputs: [secret(`${NAME}-aaa`, legacyKeys), secret(`${NAME}-bbb`, KEYS)] });
  expect(await readOrCreateManagedKeys(s.deps, registry())).toEqual({ values: legacyKeys, created: true });
  expect(s.calls).toEqual([`inputs Secret ns/${NAME}`, `inputs Secret ns/${NAME}-aaa`, `create Secret ns/${NAME}`]);
  expect(s.created[0].stringData).toEqual(legacyKeys);
});

test('a Secret whose name merely starts like the keys\' (no `-` after it) is no legacy copy', async () => {
  const s = setup({ owned: [secret(`${NAME}old`, {})], inputs: [secret(`${NAME}old`, KEYS)] });
  const r = await readOrCreateManagedKeys(s.deps, registry());
  expect(r.values.SECRET_KEY).not.toBe(KEYS.SECRET_KEY);
  expect(s.calls).toEqual([`inputs Secret ns/${NAME}`, `create Secret ns/${NAME}`]);
});

test('no owned-Secret cache: no legacy lookup, fresh keys', async () => {
  const s = setup({ owned: null });
  expect((await readOrCreateManagedKeys(s.deps, registry())).created).toBe(true);
  expect(s.calls).toEqual([`inputs Secret ns/${NAME}`, `create Secret ns/${NAME}`]);
});

test('a create that lost the race (409): the keys the winner wrote, read back; none created here', async () => {
  const s = setup({ createError: new ApiError(409, 'AlreadyExists', 'exists'), raced: secret(NAME, KEYS) });
  expect(await readOrCreateManagedKeys(s.deps, registry())).toEqual({ values: KEYS, created: false });
  expect(s.calls).toEqual([`inputs Secret ns/${NAME}`, `create Secret ns/${NAME}`, `get Secret ns/${NAME}`]);
  expect(s.reported).toEqual([]);
  expect(s.remembered).toEqual([]);
});

test('409 and then gone again: the keys generated here, not marked created', async () => {
  const s = setup({ createError: new ApiError(409, 'AlreadyExists', 'exists') });
  const r = await readOrCreateManagedKeys(s.deps, registry());
  expect(Object.keys(r.values)).toEqual([...MANAGED_KEY_NAMES]);
  expect(r.created).toBe(false);
});

test('a refused create is reported (create Secret <name>) and thrown: nothing may be rendered without the keys', async () => {
  for (const err of [new ApiError(403, 'Forbidden', 'secrets is forbidden'), new Error('ECONNRESET')]) {
    const s = setup({ createError: err });
    await expect(readOrCreateManagedKeys(s.deps, registry())).rejects.toBe(err);
    expect(s.reported).toEqual([['r', { verb: 'create', kind: 'Secret', name: NAME }, err]]);
    expect(s.calls).toEqual([`inputs Secret ns/${NAME}`, `create Secret ns/${NAME}`]);
  }
});
