// One reconcile (lib/controller/reconciler.ts) driven directly: the caches are plain lists, the
// client a stub that records each call, so each test states the observed state and reads exactly
// which writes the reconcile made, in which order, what it reported and what it asked of the queue.
// Where a branch depends on what the plan decides (replace, scale down, prune, requeue), the plan
// is the real one with that decision added (jest.spyOn), since the planning rules have their own
// tests (plan*.test.ts). The controller tests run the same reconciles against the fake API server.
import * as backupRestore from '../../lib/controller/backup-restore';
import * as clairImport from '../../lib/controller/clair-import';
import * as initialUser from '../../lib/controller/initial-user';
import * as planning from '../../lib/controller/plan';
import { Applier } from '../../lib/controller/applier';
import { FINALIZER } from '../../lib/controller/finalizer';
import { InputCache } from '../../lib/controller/inputs';
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import type { RegistryUpgradeState } from '../../lib/controller/operator-condition';
import { CONFIG_PRUNE_RECHECK_MS, KEPT_ANNOTATION, ReadCache, Reconciler } from '../../lib/controller/reconciler';
import { RefusalReporter } from '../../lib/controller/refusals';
import { OWNED_KINDS } from '../../lib/controller/resources';
import { Registry } from '../../lib/controller/runtime/metrics';
import { LABEL_REGISTRY } from '../../lib/api/types';
import type { Environment } from '../../lib/model';
import type { KubeObject } from '../../lib/synth';
import { testEnvironment } from '../support/model';
import { capturedLog } from './runtime/helpers';

type Obj = Record<string, any>;

const NOW = '2026-01-01T00:00:00.000Z';
const OWNER = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: 'r', uid: 'u1', controller: true, blockOwnerDeletion: true };
/** Monitoring unmanaged: no namespace label, no finalizer (tested on their own below). */
const UNMONITORED = { components: [{ kind: 'monitoring', managed: false }] };

class Cache implements ReadCache {
  constructor(readonly objects: KubeObject[] = []) {}
  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
  }
  list(namespace?: string): KubeObject[] {
    return this.objects.filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }
}

/** An object of the registry as the caches hold it: labelled, owned, at a resourceVersion. */
function ownedObject(kind: string, name: string, extra: Obj = {}, rv = '10'): KubeObject {
  const apiVersion = kind === 'Deployment' ? 'apps/v1' : kind === 'Job' ? 'batch/v1' : 'v1';
  return { apiVersion, kind, ...extra, metadata: { name, namespace: 'ns', resourceVersion: rv, labels: { [LABEL_REGISTRY]: 'r' }, ownerReferences: [OWNER], ...(extra.metadata ?? {}) } } as KubeObject;
}

/** The bucket provisioner's Secret and ConfigMap: the bucket is known, so the render is complete. */
const DATASTORE = [
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'r-quay-datastore', namespace: 'ns' }, stringData: { AWS_ACCESS_KEY_ID: 'access', AWS_SECRET_ACCESS_KEY: 'secret' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'r-quay-datastore', namespace: 'ns' }, data: { BUCKET_NAME: 'bucket', BUCKET_HOST: 's3.example.com' } },
] as unknown as KubeObject[];
/** The generated keys, already created (an empty Secret: the missing keys are generated). */
const KEYS = ownedObject('Secret', 'r-quay-registry-managed-secret-keys');

interface Call {
  readonly verb: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly body?: any;
}

interface Options {
  /** null: none at all. */
  readonly spec?: Obj | null;
  readonly metadata?: Obj;
  readonly status?: Obj;
  readonly environment?: Environment;
  /** Cached objects (owned, inputs), by their kind. Default: the datastore's and the keys. */
  readonly cached?: KubeObject[];
  /** What client.get answers (by `Kind/name`); anything else is not found. */
  readonly live?: Record<string, KubeObject>;
  /** Pods a list answers, or the error it fails with. */
  readonly pods?: KubeObject[] | Error;
  /** A write to refuse: the error it fails with, or undefined. */
  readonly refuse?: (c: Call) => unknown;
  readonly onUpgradeState?: (namespace: string, name: string, state: RegistryUpgradeState) => void;
  readonly watchKinds?: (kinds: Iterable<string>) => Promise<void>;
  /** Not in the registries' cache. */
  readonly absent?: boolean;
  /** No clock given: the reconciler reads the time itself. */
  readonly noClock?: boolean;
}

function setup(options: Options = {}) {
  const calls: Call[] = [];
  /** Writes that went through. */
  let made = 0;
  const record = (c: Call) => {
    calls.push(c);
    const err = options.refuse?.(c);
    if (err) throw err;
    made++;
  };
  const client = {
    get: async (t: { kind: string }, namespace: string | undefined, name: string) => {
      calls.push({ verb: 'get', kind: t.kind, namespace, name });
      return options.live?.[`${t.kind}/${name}`];
    },
    create: async (t: { kind: string }, o: KubeObject) => {
      record({ verb: 'create', kind: t.kind, namespace: o.metadata.namespace, name: o.kind === 'Event' ? (o as Obj).reason : o.metadata.name, body: o });
      return o;
    },
    apply: async (t: { kind: string }, o: KubeObject) => {
      record({ verb: 'apply', kind: t.kind, namespace: o.metadata.namespace, name: o.metadata.name, body: o });
      return o;
    },
    applyStatus: async (t: { kind: string }, namespace: string, name: string, status: unknown) => {
      record({ verb: 'status', kind: t.kind, namespace, name, body: status });
      return {};
    },
    mergePatch: async (t: { kind: string }, namespace: string, name: string, patch: unknown) => {
      record({ verb: 'patch', kind: t.kind, namespace, name, body: patch });
      return {};
    },
    delete: async (t: { kind: string }, namespace: string, name: string, propagation: string) => {
      record({ verb: 'delete', kind: t.kind, namespace, name, body: propagation });
    },
    list: async (t: { kind: string }, selector: unknown) => {
      calls.push({ verb: 'list', kind: t.kind, name: '', body: selector });
      if (t.kind === 'Pod' && options.pods instanceof Error) throw options.pods;
      return { items: t.kind === 'Pod' && options.pods ? options.pods : [], resourceVersion: '1' };
    },
  } as unknown as KubeClient;
  const registry = {
    apiVersion: 'quay.redhat.com/v1',
    kind: 'QuayRegistry',
    metadata: { name: 'r', namespace: 'ns', uid: 'u1', generation: 2, resourceVersion: '5', ...options.metadata },
    ...(options.spec === null ? {} : { spec: options.spec ?? UNMONITORED }),
    ...(options.status ? { status: options.status } : {}),
  } as KubeObject;
  const caches = new Map<string, Cache>(OWNED_KINDS.map((k) => [k, new Cache()]));
  for (const o of options.cached ?? [...DATASTORE, KEYS]) caches.get(o.kind)!.objects.push(o);
  const { logger, lines } = capturedLog();
  const env = options.environment ?? testEnvironment('openshift');
  const registries = new Cache(options.absent ? [] : [registry]);
  const reconciler = new Reconciler({
    client,
    registries,
    owned: caches as ReadonlyMap<string, ReadCache>,
    inputs: new InputCache(client, caches as ReadonlyMap<string, ReadCache>),
    environment: () => env,
    applier: new Applier(client),
    logger,
    refusals: new RefusalReporter(client, logger, new Registry(), () => new Date(NOW)),
    ...(options.noClock ? {} : { now: () => new Date(NOW) }),
    initialUser: { client, quayApi: async () => ({ status: 500, body: '' }) as never, target: () => ({ url: 'http://quay' }) as never },
    ...(options.onUpgradeState ? { onUpgradeState: options.onUpgradeState } : {}),
    ...(options.watchKinds ? { watchKinds: options.watchKinds } : {}),
  });
  const line = (c: Call) => `${c.verb} ${c.kind} ${c.name}`;
  return {
    reconciler,
    registry,
    registries,
    caches,
    calls,
    lines,
    run: () => reconciler.reconcile('ns', 'r'),
    /** How many writes the API accepted (applies, creates, patches, deletes, status, Events). */
    made: () => made,
    /** Every call but the applies of rendered objects, as `verb Kind name`. */
    others: () => calls.filter((c) => c.verb !== 'apply' || c.kind === 'Namespace').map(line),
    applied: () => calls.filter((c) => c.verb === 'apply' && c.kind !== 'Namespace').map((c) => `${c.kind} ${c.name}`),
    status: () => calls.filter((c) => c.verb === 'status').map((c) => c.body as Obj),
    events: () => calls.filter((c) => c.verb === 'create' && c.kind === 'Event').map((c) => ({ type: c.body.type, reason: c.body.reason, message: c.body.message })),
    /** The WriteRefused events' messages: what the admin is told was refused. */
    refused: () => calls.filter((c) => c.verb === 'create' && c.kind === 'Event' && c.body.reason === 'WriteRefused').map((c) => c.body.message as string),
    condition: (type: string) => (calls.filter((c) => c.verb === 'status').pop()?.body as Obj | undefined)?.conditions?.find((c: Obj) => c.type === type),
  };
}

const realPlan = planning.plan;
/** The real plan, with some of its decisions replaced. */
function planWith(change: (p: planning.Plan) => Partial<planning.Plan>) {
  return jest.spyOn(planning, 'plan').mockImplementation((...args) => {
    const p = realPlan(...args);
    return { ...p, ...change(p) };
  });
}

afterEach(() => jest.restoreAllMocks());

describe('what is reconciled', () => {
  test('a registry no longer cached: nothing is read or written', async () => {
    const w = setup({ absent: true });
    expect(await w.run()).toEqual({ writes: 0 });
    expect(w.calls).toEqual([]);
  });

  test('a registry being deleted is finalized, not rendered: only the finalizer goes', async () => {
    const w = setup({ metadata: { deletionTimestamp: NOW, finalizers: ['other', FINALIZER] } });
    expect(await w.run()).toEqual({ writes: 1 });
    // The namespace is read once (whether the monitoring label is the operator's to remove).
    expect(w.others()).toEqual(['get Namespace ns', 'patch QuayRegistry r']);
    expect(w.calls[1].body).toEqual({ metadata: { finalizers: ['other'], resourceVersion: '5' } });
  });
});

describe('a rollout blocked before anything is rendered', () => {
  test('an invalid registry: its inputs are not read, no keys are made, the problems go to status and the log', async () => {
    const w = setup({ spec: { configBundleSecret: 'cfg', tlsSecret: 'tls', components: [{ kind: 'nonsense', managed: true }] } });
    const result = await w.run();
    expect(w.others()).toEqual(['status QuayRegistry r', 'create Event ConfigInvalid']);
    expect(result).toEqual({ writes: 2 });
    const message = w.condition('RolloutBlocked').message;
    expect(w.lines).toEqual([{ level: 'warn', msg: 'rollout blocked', registry: 'r', namespace: 'ns', problems: [expect.stringContaining('nonsense')] }]);
    expect(message).toContain('nonsense');
    expect(w.status()[0]).toEqual({
      conditions: [{ type: 'RolloutBlocked', status: 'True', reason: 'ConfigInvalid', message, lastTransitionTime: NOW, lastUpdateTime: NOW }],
      observedGeneration: 2,
      lastUpdated: NOW,
    });
  });

  test('a bundle Secret that does not exist: asked of the API (the cache may lag), then reported by name', async () => {
    const w = setup({ spec: { ...UNMONITORED, configBundleSecret: 'cfg' } });
    await w.run();
    expect(w.others()).toEqual(['get Secret cfg', 'status QuayRegistry r', 'create Event ConfigInvalid']);
    expect(w.calls[0].namespace).toBe('ns');
    expect(w.lines).toEqual([{ level: 'warn', msg: 'rollout blocked', registry: 'r', namespace: 'ns', problems: ['spec.configBundleSecret: unable to get `configBundleSecret`: Secret cfg not found'] }]);
    expect(w.condition('RolloutBlocked')).toEqual({
      type: 'RolloutBlocked',
      status: 'True',
      reason: 'ConfigInvalid',
      message: 'spec.configBundleSecret: unable to get `configBundleSecret`: Secret cfg not found',
      lastTransitionTime: NOW,
      lastUpdateTime: NOW,
    });
  });

  test('the keys are made only for a valid registry, before the model; made for one blocked later, they count as a write', async () => {
    const w = setup({ status: { currentVersion: 'bogus' }, cached: DATASTORE });
    // The keys Secret, the status and its Event.
    expect(await w.run()).toEqual({ writes: 3 });
    expect(w.others()).toEqual(['create Secret r-quay-registry-managed-secret-keys', 'status QuayRegistry r', 'create Event UpgradeUnsupported']);
  });

  test('a bundle that does not parse: each problem names the Secret', async () => {
    const bundle = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cfg', namespace: 'ns' }, stringData: { 'config.yaml': 'a: [' } } as unknown as KubeObject;
    const w = setup({ spec: { ...UNMONITORED, configBundleSecret: 'cfg' }, cached: [...DATASTORE, KEYS, bundle] });
    await w.run();
    const problems = (w.lines[0] as Obj).problems as string[];
    expect(problems.length).toBe(1);
    expect(problems[0].startsWith('configBundleSecret cfg: ')).toBe(true);
    expect(w.others()).toEqual(['status QuayRegistry r', 'create Event ConfigInvalid']);
  });

  test('a valid bundle is used: what it configures is rendered', async () => {
    const bundle = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cfg', namespace: 'ns' }, stringData: { 'config.yaml': 'SERVER_HOSTNAME: registry.example.com\n' } } as unknown as KubeObject;
    const w = setup({ spec: { ...UNMONITORED, configBundleSecret: 'cfg' }, cached: [...DATASTORE, KEYS, bundle] });
    await w.run();
    expect(w.status()[0].registryEndpoint).toBe('https://registry.example.com');
  });

  test('the certificate Secret is read when the registry is valid (missing: asked of the API)', async () => {
    const w = setup({ spec: { ...UNMONITORED, tlsSecret: 'tls' } });
    await w.run();
    expect(w.calls[0]).toEqual({ verb: 'get', kind: 'Secret', namespace: 'ns', name: 'tls' });
  });

  test('the bucket provisioner\'s Secret and ConfigMap are read only where ObjectBucketClaims are served', async () => {
    // Without the Secret and ConfigMap caches, every input read is a client.get.
    const env = testEnvironment('openshift');
    const without = setup({ environment: { ...env, capabilities: { ...env.capabilities, objectBucketClaims: false } }, cached: [] });
    without.caches.delete('Secret');
    without.caches.delete('ConfigMap');
    await without.run();
    expect(without.calls.filter((c) => c.verb === 'get').map((c) => `${c.kind} ${c.name}`)).toEqual(['Secret r-quay-registry-managed-secret-keys']);
    const withClaims = setup({ cached: [] });
    withClaims.caches.delete('Secret');
    withClaims.caches.delete('ConfigMap');
    await withClaims.run();
    expect(withClaims.calls.filter((c) => c.verb === 'get').map((c) => `${c.kind} ${c.name}`)).toEqual(['Secret r-quay-datastore', 'ConfigMap r-quay-datastore', 'Secret r-quay-registry-managed-secret-keys']);
  });

  test('a bucket known from the provisioner and its claim bound: objectstorage is ready; without the provisioner\'s Secret it waits', async () => {
    const bound = ownedObject('ObjectBucketClaim', 'r-quay-datastore', { status: { phase: 'Bound' } });
    const w = setup({ cached: [...DATASTORE, KEYS, bound] });
    await w.run();
    expect(w.condition('ComponentsCreated').message).toBe('waiting for postgres, clairpostgres, redis to become available');
    const v = setup({ cached: [DATASTORE[1], KEYS, bound] });
    await v.run();
    expect(v.condition('ComponentsCreated').message).toBe('waiting for postgres, clairpostgres, redis, objectstorage to become available');
  });

  test('a bucket known from the provisioner is rendered into the config; without it objectstorage waits', async () => {
    const w = setup();
    await w.run();
    expect(w.condition('ComponentsCreated').message).toBe('waiting for postgres, clairpostgres, redis, objectstorage to become available');
    const config = w.calls.find((c) => c.verb === 'apply' && c.kind === 'Secret' && c.name.startsWith('r-quay-config-secret'));
    expect(config).toBeUndefined();
    const configMap = w.calls.find((c) => c.verb === 'apply' && c.kind === 'ConfigMap' && c.name.startsWith('r-quay-config-'));
    expect(JSON.stringify(configMap?.body)).toContain('bucket');
  });

  test('a status.currentVersion the operator cannot upgrade from: blocked as UpgradeUnsupported, nothing rendered', async () => {
    const w = setup({ status: { currentVersion: 'bogus' } });
    await w.run();
    expect(w.applied()).toEqual([]);
    expect(w.condition('RolloutBlocked')).toEqual({
      type: 'RolloutBlocked',
      status: 'True',
      reason: 'UpgradeUnsupported',
      message: 'status.currentVersion: cannot upgrade from bogus to v3.17.3: bogus is not a Quay version (vX.Y.Z); set status.currentVersion right or restore the registry\'s previous operator',
      lastTransitionTime: NOW,
      lastUpdateTime: NOW,
    });
  });

  test('a refused status write of a blocked registry is thrown (retried), after the warning', async () => {
    const w = setup({ spec: { components: 'nonsense' }, refuse: (c) => (c.verb === 'status' ? 'refused' : undefined) });
    await expect(w.run()).rejects.toThrow(new Error('refused'));
    expect(w.lines.map((l) => l.msg)).toEqual(['write refused by the API server', 'rollout blocked']);
    const err = new ApiError(500, 'InternalError', 'boom');
    const v = setup({ spec: { components: 'nonsense' }, refuse: (c) => (c.verb === 'status' ? err : undefined) });
    await expect(v.run()).rejects.toBe(err);
  });
});

describe('a rollout', () => {
  test('the first one: every rendered object applied, owned by the registry (not the dashboard elsewhere), then the status; it looks again in 30 s', async () => {
    const kinds: string[][] = [];
    const w = setup({ spec: {}, watchKinds: async (k) => void kinds.push([...k]) });
    const result = await w.run();
    const applies = w.calls.filter((c) => c.verb === 'apply' && c.kind !== 'Namespace');
    expect(applies.length).toBe(43);
    for (const c of applies) {
      if (c.namespace === 'ns') expect([c.name, c.body.metadata.ownerReferences]).toEqual([c.name, [OWNER]]);
      else expect([c.name, c.body.metadata.ownerReferences]).toEqual(['r-grafana-dashboard-quay', undefined]);
    }
    // Stamped with the hash the next reconcile compares.
    expect(applies.every((c) => typeof c.body.metadata.annotations['quay-operator/applied-hash'] === 'string')).toBe(true);
    expect(w.others()).toEqual([
      'get Namespace ns',
      'apply Namespace ns',
      'patch QuayRegistry r',
      'status QuayRegistry r',
      'create Event ComponentsCreationSuccess',
      'create Event AwaitingDependencies',
      'create Event MigrationsInProgress',
    ]);
    // The applies, the label, the finalizer, the status and 3 Events.
    expect(result).toEqual({ writes: 43 + 1 + 1 + 1 + 3, requeueAfterMs: 30_000 });
    expect(result.writes).toBe(w.made());
    // The kinds are watched before they are applied.
    expect(kinds.length).toBe(1);
    // Rendered, whether applied now or not (the HPAs and the Job wait for the databases).
    expect(kinds[0].sort()).toEqual([...new Set([...applies.map((c) => c.kind), 'HorizontalPodAutoscaler', 'Job'])].sort());
    expect(w.calls.find((c) => c.verb === 'patch')?.body).toEqual({ metadata: { finalizers: [FINALIZER], resourceVersion: '5' } });
    expect(w.status()[0].observedGeneration).toBe(2);
  });

  test('monitoring managed and the finalizer already there: it is kept, not written again; other finalizers stay', async () => {
    const w = setup({ spec: {}, metadata: { finalizers: ['theirs'] } });
    await w.run();
    expect(w.calls.find((c) => c.verb === 'patch')?.body).toEqual({ metadata: { finalizers: ['theirs', FINALIZER], resourceVersion: '5' } });
    const v = setup({ spec: {}, metadata: { finalizers: [FINALIZER] } });
    await v.run();
    expect(v.others().filter((c) => c.startsWith('patch'))).toEqual([]);
  });

  test('with whenDeleted Retain: the claims and the keys are not owned, the rest is', async () => {
    const w = setup({ spec: { ...UNMONITORED, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } } });
    await w.run();
    const unowned = w.calls.filter((c) => c.verb === 'apply' && !c.body.metadata.ownerReferences).map((c) => `${c.kind} ${c.name}`);
    expect(unowned).toEqual(['Secret r-quay-registry-managed-secret-keys', 'PersistentVolumeClaim r-clair-postgres-15', 'PersistentVolumeClaim r-quay-postgres-13']);
  });

  test('a second reconcile with nothing changed applies nothing: the applier skips what the caches hold as applied', async () => {
    const w = setup();
    await w.run();
    // The caches now hold what was applied, as the watch delivers it.
    for (const cache of w.caches.values()) cache.objects.splice(0, cache.objects.length);
    for (const o of DATASTORE) w.caches.get(o.kind)!.objects.push(o);
    for (const c of w.calls.filter((c) => c.verb === 'apply' && c.namespace === 'ns')) w.caches.get(c.kind)?.objects.push(c.body);
    (w.registry as Obj).status = w.status()[0];
    w.calls.splice(0, w.calls.length);
    const before = w.made();
    const result = await w.run();
    expect(w.applied()).toEqual([]);
    expect(result).toEqual({ writes: w.made() - before, requeueAfterMs: 30_000 });
  });

  test('onUpgradeState is told the plan\'s state for this registry', async () => {
    const states: unknown[] = [];
    const w = setup({ onUpgradeState: (ns, name, state) => states.push([ns, name, state]) });
    await w.run();
    expect(states).toEqual([['ns', 'r', { migration: false, databases: [], restore: false }]]);
    const v = setup({ status: { currentVersion: 'v3.16.0' }, onUpgradeState: (ns, name, state) => states.push([ns, name, state]) });
    await v.run();
    expect(states[1]).toEqual(['ns', 'r', { migration: true, databases: [], restore: false }]);
  });

  test('a refused apply: the rest is not applied, nothing deleted or patched; the status says which object, and the refusal is thrown', async () => {
    const err = new ApiError(422, 'Invalid', 'spec.x: bad');
    const w = setup({ refuse: (c) => (c.verb === 'apply' && c.kind === 'ConfigMap' ? err : undefined) });
    planWith(() => ({ remove: [ownedObject('Service', 'r-old')], scaleDown: ['r-quay-database'] }));
    await expect(w.run()).rejects.toBe(err);
    const applies = w.applied();
    expect(applies[applies.length - 1]).toBe('ConfigMap r-clair-config-43a8c9c652');
    expect(w.others().filter((c) => !c.startsWith('create Event'))).toEqual(['status QuayRegistry r']);
    expect(w.condition('RolloutBlocked')).toEqual({
      type: 'RolloutBlocked',
      status: 'True',
      reason: 'ComponentCreationFailed',
      message: 'error creating/updating object ConfigMap r-clair-config-43a8c9c652: spec.x: bad',
      lastTransitionTime: NOW,
      lastUpdateTime: NOW,
    });
  });

});

describe('what the plan asks besides applies', () => {
  const selectorTaken = ownedObject('Deployment', 'r-quay-app', { spec: { selector: { matchLabels: { app: 'quay' } } } });

  test('a Deployment with another selector is deleted orphaning its pods, and hidden until the watch tells', async () => {
    const w = setup({ cached: [...DATASTORE, KEYS, selectorTaken] });
    planWith(() => ({ replace: [selectorTaken] }));
    const result = await w.run();
    expect(w.others().slice(0, 1)).toEqual(['delete Deployment r-quay-app']);
    expect(w.calls.find((c) => c.verb === 'delete')).toEqual({ verb: 'delete', kind: 'Deployment', namespace: 'ns', name: 'r-quay-app', body: 'Orphan' });
    expect(w.lines).toEqual([{ level: 'info', msg: 'replacing a Deployment whose selector differs (immutable)', registry: 'r', kind: 'Deployment', name: 'r-quay-app' }]);
    expect(result.writes).toBe(w.made());
    // The next reconcile (the cache still holds it, same resourceVersion): not seen, not deleted again.
    jest.restoreAllMocks();
    const seen: string[][] = [];
    planWith((p) => (seen.push([...p.replace.map((o) => o.metadata.name)]), {}));
    await w.run();
    expect(seen).toEqual([[]]);
    expect(w.calls.filter((c) => c.verb === 'delete').length).toBe(1);
  });

  test('a deleted object that comes back at another resourceVersion is seen again; one gone from the cache is forgotten', async () => {
    const w = setup({ cached: [...DATASTORE, KEYS, selectorTaken] });
    planWith(() => ({ replace: [selectorTaken] }));
    await w.run();
    jest.restoreAllMocks();
    const deployments = w.caches.get('Deployment')!.objects;
    deployments.splice(0, deployments.length, { ...selectorTaken, metadata: { ...selectorTaken.metadata, resourceVersion: '12' } });
    await w.run();
    // The real plan replaces it again: its selector still differs.
    expect(w.calls.filter((c) => c.verb === 'delete').map((c) => c.body)).toEqual(['Orphan', 'Orphan']);
    // Gone, then back (at the resourceVersion last deleted): no longer hidden, forgotten when it left the cache.
    const back = deployments[0];
    deployments.splice(0, deployments.length);
    await w.run();
    deployments.push(back);
    await w.run();
    expect(w.calls.filter((c) => c.verb === 'delete').length).toBe(3);
  });

  test('only the registry\'s own objects are observed: another registry\'s in the namespace is not', async () => {
    const theirs = { ...selectorTaken, metadata: { ...selectorTaken.metadata, labels: { [LABEL_REGISTRY]: 'other' } } };
    const w = setup({ cached: [...DATASTORE, KEYS, theirs] });
    const observed: string[][] = [];
    jest.spyOn(planning, 'plan').mockImplementation((...args) => (observed.push(args[2].owned.map((o) => `${o.kind} ${o.metadata.name}`)), realPlan(...args)));
    await w.run();
    expect(observed).toEqual([['Secret r-quay-registry-managed-secret-keys']]);
    expect(w.calls.filter((c) => c.verb === 'delete')).toEqual([]);
  });

  test('a database on its old major is scaled to 0 as it is; a refusal is thrown once all else is done', async () => {
    const w = setup();
    planWith(() => ({ scaleDown: ['r-quay-database', 'r-clair-postgres'] }));
    const result = await w.run();
    expect(w.calls.filter((c) => c.verb === 'patch' && c.kind === 'Deployment')).toEqual([
      { verb: 'patch', kind: 'Deployment', namespace: 'ns', name: 'r-quay-database', body: { spec: { replicas: 0 } } },
      { verb: 'patch', kind: 'Deployment', namespace: 'ns', name: 'r-clair-postgres', body: { spec: { replicas: 0 } } },
    ]);
    expect(result.writes).toBe(w.made());
    const refused = new ApiError(403, 'Forbidden', 'no');
    const v = setup({ refuse: (c) => (c.verb === 'patch' && c.name === 'r-quay-database' ? refused : undefined) });
    await expect(v.run()).rejects.toBe(refused);
    expect(v.others().filter((c) => !c.startsWith('create Event'))).toEqual(['patch Deployment r-quay-database', 'patch Deployment r-clair-postgres', 'status QuayRegistry r']);
  });

  test('pruned: a Job with its pods (Foreground), anything else in the background; each logged', async () => {
    const job = ownedObject('Job', 'r-old-job');
    const svc = ownedObject('Service', 'r-old-svc');
    const w = setup();
    planWith(() => ({ remove: [job, svc] }));
    const result = await w.run();
    expect(w.calls.filter((c) => c.verb === 'delete')).toEqual([
      { verb: 'delete', kind: 'Job', namespace: 'ns', name: 'r-old-job', body: 'Foreground' },
      { verb: 'delete', kind: 'Service', namespace: 'ns', name: 'r-old-svc', body: 'Background' },
    ]);
    expect(w.lines).toEqual([
      { level: 'info', msg: 'pruned', registry: 'r', kind: 'Job', name: 'r-old-job' },
      { level: 'info', msg: 'pruned', registry: 'r', kind: 'Service', name: 'r-old-svc' },
    ]);
    expect(result.writes).toBe(w.made());
  });

  test('a refused delete: not logged as pruned, not hidden, counted as no write; the later ones still go; the first refusal is thrown', async () => {
    const first = new ApiError(403, 'Forbidden', 'first');
    const second = new ApiError(403, 'Forbidden', 'second');
    const w = setup({ refuse: (c) => (c.verb === 'delete' ? (c.name === 'r-a' ? first : second) : undefined) });
    planWith(() => ({ replace: [ownedObject('Deployment', 'r-a')], remove: [ownedObject('Service', 'r-b')] }));
    await expect(w.run()).rejects.toBe(first);
    expect(w.calls.filter((c) => c.verb === 'delete').map((c) => c.name)).toEqual(['r-a', 'r-b']);
    expect(w.lines.filter((l) => l.msg !== 'write refused by the API server')).toEqual([]);
  });

  test('with Retain, the keys Secret still owned is released by a patch, and a DataRetained event names what is kept', async () => {
    const keys = ownedObject('Secret', 'r-quay-registry-managed-secret-keys', {}, '42');
    const claim = ownedObject('PersistentVolumeClaim', 'r-quay-postgres-13', { spec: { resources: { requests: { storage: '50Gi' } } } });
    const w = setup({ spec: { ...UNMONITORED, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } }, cached: [...DATASTORE, keys, claim] });
    const result = await w.run();
    expect(result.writes).toBe(w.made());
    expect(w.calls.filter((c) => c.verb === 'patch')).toEqual([
      { verb: 'patch', kind: 'Secret', namespace: 'ns', name: 'r-quay-registry-managed-secret-keys', body: { metadata: { ownerReferences: [], resourceVersion: '42' } } },
    ]);
    expect(w.events()).toContainEqual({
      type: 'Normal',
      reason: 'DataRetained',
      message: 'Secret r-quay-registry-managed-secret-keys, PersistentVolumeClaim r-quay-postgres-13 no longer owned by the registry: kept when it is deleted (persistentVolumeClaimRetentionPolicy.whenDeleted: Retain)',
    });
  });

  test('without Retain nothing is released and no DataRetained event; a refused apply reports none either', async () => {
    const w = setup();
    await w.run();
    expect(w.events().map((e) => e.reason)).toEqual(['ComponentsCreationSuccess', 'AwaitingDependencies', 'MigrationsInProgress']);
    const claim = ownedObject('PersistentVolumeClaim', 'r-quay-postgres-13');
    const v = setup({
      spec: { ...UNMONITORED, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } },
      cached: [...DATASTORE, KEYS, claim],
      refuse: (c) => (c.verb === 'apply' && c.kind === 'Service' ? new Error('no') : undefined),
    });
    await expect(v.run()).rejects.toThrow('no');
    expect(v.events().map((e) => e.reason)).not.toContain('DataRetained');
    expect(v.calls.filter((c) => c.verb === 'patch')).toEqual([]);
  });

  test('a refused keys release is thrown after the rest', async () => {
    const keys = ownedObject('Secret', 'r-quay-registry-managed-secret-keys', {}, '42');
    const err = new ApiError(409, 'Conflict', 'stale');
    const w = setup({ spec: { ...UNMONITORED, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } }, cached: [...DATASTORE, keys], refuse: (c) => (c.verb === 'patch' ? err : undefined) });
    planWith(() => ({ remove: [ownedObject('Service', 'r-b')] }));
    await expect(w.run()).rejects.toBe(err);
    expect(w.others().filter((c) => !c.startsWith('create Event'))).toEqual(['patch Secret r-quay-registry-managed-secret-keys', 'delete Service r-b', 'status QuayRegistry r']);
  });
});

describe('monitoring', () => {
  const dashboard = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'r-grafana-dashboard-quay', namespace: 'openshift-config-managed', labels: { [LABEL_REGISTRY]: 'r', 'quay-operator/quayregistry-namespace': 'ns' } } } as unknown as KubeObject;

  test('unmanaged: the dashboard elsewhere is deleted; its refusal is thrown after the rest', async () => {
    const w = setup({ cached: [...DATASTORE, KEYS, dashboard] });
    const result = await w.run();
    expect(w.calls.filter((c) => c.verb === 'delete')).toEqual([{ verb: 'delete', kind: 'ConfigMap', namespace: 'openshift-config-managed', name: 'r-grafana-dashboard-quay', body: undefined }]);
    expect(result.writes).toBe(w.made());
    const err = new Error('refused');
    const v = setup({ cached: [...DATASTORE, KEYS, dashboard], refuse: (c) => (c.verb === 'delete' ? err : undefined) });
    await expect(v.run()).rejects.toBe(err);
    expect(v.others().filter((c) => !c.startsWith('create Event'))).toEqual(['delete ConfigMap r-grafana-dashboard-quay', 'status QuayRegistry r']);
  });

  test('managed: the dashboard stays', async () => {
    const w = setup({ spec: {}, cached: [...DATASTORE, KEYS, dashboard] });
    await w.run();
    expect(w.calls.filter((c) => c.verb === 'delete')).toEqual([]);
  });

  test('no longer managed after it was (status): the namespace label the operator applied is removed', async () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels: { 'openshift.io/cluster-monitoring': 'true' }, managedFields: [{ manager: 'quay-operator', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:openshift.io/cluster-monitoring': {} } } } }] } } as unknown as KubeObject;
    const w = setup({ status: { components: [{ kind: 'monitoring', managed: true }] }, live: { 'Namespace/ns': ns } });
    const result = await w.run();
    expect(w.others().slice(0, 2)).toEqual(['get Namespace ns', 'apply Namespace ns']);
    expect(w.calls[1 + w.calls.findIndex((c) => c.kind === 'Namespace')].body).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
    expect(result.writes).toBe(w.made());
    const v = setup({ status: { components: [{ kind: 'monitoring', managed: false }] }, live: { 'Namespace/ns': ns } });
    await v.run();
    expect(v.calls.filter((c) => c.kind === 'Namespace')).toEqual([]);
  });

  test('a refused label or finalizer patch is thrown after the status is written', async () => {
    const err = new Error('no label');
    const w = setup({ spec: {}, refuse: (c) => (c.kind === 'Namespace' ? err : undefined) });
    await expect(w.run()).rejects.toBe(err);
    expect(w.others().filter((c) => !c.startsWith('create Event'))).toEqual(['get Namespace ns', 'apply Namespace ns', 'patch QuayRegistry r', 'status QuayRegistry r']);
    const refused = new Error('no finalizer');
    const v = setup({ spec: {}, refuse: (c) => (c.verb === 'patch' ? refused : undefined) });
    await expect(v.run()).rejects.toBe(refused);
    expect(v.others().filter((c) => !c.startsWith('create Event'))).toEqual(['get Namespace ns', 'apply Namespace ns', 'patch QuayRegistry r', 'status QuayRegistry r']);
  });
});

describe('claims no longer rendered', () => {
  const claim = (annotations?: Obj) => ownedObject('PersistentVolumeClaim', 'r-old-claim', annotations ? { metadata: { annotations } } : {});

  test('reported once with a Warning, and marked so it is not reported again', async () => {
    const w = setup({ cached: [...DATASTORE, KEYS, claim()] });
    const result = await w.run();
    expect(w.calls.filter((c) => c.verb === 'patch')).toEqual([
      { verb: 'patch', kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'r-old-claim', body: { metadata: { annotations: { [KEPT_ANNOTATION]: 'true' } } } },
    ]);
    expect(w.events()).toContainEqual({
      type: 'Warning',
      reason: 'PersistentVolumeClaimKept',
      message: 'PersistentVolumeClaim r-old-claim is no longer used and was kept with its data; delete it yourself when you no longer need it',
    });
    expect(result.writes).toBe(w.made());
    expect(KEPT_ANNOTATION).toBe('quay-operator/kept');
  });

  test('already marked, or no longer cached: nothing', async () => {
    const w = setup({ cached: [...DATASTORE, KEYS, claim({ [KEPT_ANNOTATION]: 'true' })] });
    await w.run();
    expect(w.calls.filter((c) => c.verb === 'patch')).toEqual([]);
    const v = setup();
    planWith(() => ({ keptVolumes: ['r-gone'] }));
    await v.run();
    expect(v.calls.filter((c) => c.verb === 'patch')).toEqual([]);
  });

  test('a refused mark: no event, the next claim is still marked, the refusal is thrown', async () => {
    const err = new Error('no patch');
    const w = setup({ cached: [...DATASTORE, KEYS, claim(), ownedObject('PersistentVolumeClaim', 'r-other-claim')], refuse: (c) => (c.verb === 'patch' && c.name === 'r-old-claim' ? err : undefined) });
    await expect(w.run()).rejects.toBe(err);
    expect(w.calls.filter((c) => c.verb === 'patch').map((c) => c.name)).toEqual(['r-old-claim', 'r-other-claim']);
    expect(w.events().filter((e) => e.reason === 'PersistentVolumeClaimKept').map((e) => e.message)).toEqual([
      'PersistentVolumeClaim r-other-claim is no longer used and was kept with its data; delete it yourself when you no longer need it',
    ]);
  });
});

describe('old config objects and pods', () => {
  const oldConfig = ownedObject('ConfigMap', 'r-quay-config-old');

  test('an old ConfigMap: the registry\'s pods are listed (one may still mount it) and given to the plan', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } } as KubeObject;
    const w = setup({ cached: [...DATASTORE, KEYS, oldConfig], pods: [pod] });
    const seen: unknown[] = [];
    jest.spyOn(planning, 'plan').mockImplementation((...args) => (seen.push(args[2].pods), realPlan(...args)));
    await w.run();
    expect(w.calls.filter((c) => c.verb === 'list')).toEqual([{ verb: 'list', kind: 'Pod', name: '', body: { namespace: 'ns', labelSelector: `${LABEL_REGISTRY}=r` } }]);
    expect(seen).toEqual([[pod]]);
  });

  test('pods not known (the list failed): warned, kept for now, looked at again in 15 s', async () => {
    const w = setup({ pods: new Error('forbidden'), cached: [...DATASTORE, KEYS, oldConfig] });
    planWith(() => ({ waitingFor: [], migration: { phase: 'done' } }));
    const result = await w.run();
    expect(w.lines).toEqual([{ level: 'warn', msg: 'could not list pods; old config objects are kept for now', registry: 'r', err: 'forbidden' }]);
    expect(w.calls.filter((c) => c.verb === 'delete')).toEqual([]);
    expect(result.requeueAfterMs).toBe(CONFIG_PRUNE_RECHECK_MS);
    expect(CONFIG_PRUNE_RECHECK_MS).toBe(15_000);
  });

  test('no old config: pods are not listed', async () => {
    const w = setup();
    await w.run();
    expect(w.calls.filter((c) => c.verb === 'list')).toEqual([]);
  });
});

describe('during an upgrade', () => {
  const liveApp = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'r-quay-app', namespace: 'ns', managedFields: [{ manager: 'x' }] },
    spec: { replicas: 2, selector: { matchLabels: { 'quay-component': 'quay-app' } }, template: { spec: { containers: [{ name: 'quay-app', image: 'quay:old' }] } } },
  } as unknown as KubeObject;

  test('the previous quay-app is read in full and applied read-only while the new version migrates', async () => {
    const cachedApp = ownedObject('Deployment', 'r-quay-app', { spec: { selector: { matchLabels: { 'quay-component': 'quay-app' } } } });
    const w = setup({ status: { currentVersion: 'v3.16.0' }, cached: [...DATASTORE, KEYS, cachedApp], live: { 'Deployment/r-quay-app': liveApp } });
    const observed: unknown[] = [];
    jest.spyOn(planning, 'plan').mockImplementation((...args) => (observed.push(args[2].previousQuayApp), { ...realPlan(...args), waitingFor: [] }));
    await w.run();
    expect(w.calls.filter((c) => c.verb === 'get' && c.kind === 'Deployment')).toEqual([{ verb: 'get', kind: 'Deployment', namespace: 'ns', name: 'r-quay-app' }]);
    // managedFields dropped.
    expect(observed).toEqual([{ ...liveApp, metadata: { name: 'r-quay-app', namespace: 'ns' } }]);
  });

  test('not read: same version, a new install, no quay-app cached, or gone from the API', async () => {
    const cachedApp = ownedObject('Deployment', 'r-quay-app');
    const cases: Options[] = [
      { status: { currentVersion: 'v3.17.3' }, cached: [...DATASTORE, KEYS, cachedApp], live: { 'Deployment/r-quay-app': liveApp } },
      { cached: [...DATASTORE, KEYS, cachedApp], live: { 'Deployment/r-quay-app': liveApp } },
      { status: { currentVersion: 'v3.16.0' }, live: { 'Deployment/r-quay-app': liveApp } },
      { status: { currentVersion: 'v3.16.0' }, cached: [...DATASTORE, KEYS, cachedApp] },
    ];
    const gets: number[] = [];
    const seen: unknown[] = [];
    for (const c of cases) {
      const w = setup(c);
      jest.spyOn(planning, 'plan').mockImplementation((...args) => (seen.push('previousQuayApp' in args[2]), realPlan(...args)));
      await w.run();
      gets.push(w.calls.filter((x) => x.verb === 'get' && x.kind === 'Deployment').length);
      jest.restoreAllMocks();
    }
    expect(gets).toEqual([0, 0, 0, 1]);
    expect(seen).toEqual([false, false, false, false]);
  });
});

describe('when to look again', () => {
  const cases: [string, Partial<planning.Plan>, number | undefined][] = [
    ['nothing waits', { waitingFor: [], migration: { phase: 'done' } }, undefined],
    ['dependencies not ready', { waitingFor: ['postgres'], migration: { phase: 'done' } }, 30_000],
    ['the migration runs', { waitingFor: [], migration: { phase: 'running' } }, 30_000],
    ['the migration waits', { waitingFor: [], migration: { phase: 'waiting' } }, 30_000],
    ['the migration failed', { waitingFor: [], migration: { phase: 'failed' } }, undefined],
    ['the migration succeeded', { waitingFor: [], migration: { phase: 'succeeded' } }, undefined],
    ['old config in use', { waitingFor: [], migration: { phase: 'done' }, configInUse: ['ConfigMap/x'] }, 15_000],
    ['in use, and waiting', { waitingFor: ['redis'], migration: { phase: 'done' }, configInUse: ['ConfigMap/x'] }, 15_000],
  ];
  test.each(cases)('%s', async (_what, change, requeue) => {
    const w = setup();
    planWith(() => change);
    const result = await w.run();
    expect(result.requeueAfterMs).toBe(requeue);
    expect('requeueAfterMs' in result).toBe(requeue !== undefined);
  });

  const db = (phase: string) => ({ kind: 'postgres', phase, oldClaim: 'c', oldImage: 'i' }) as unknown as planning.Plan['databaseUpgrades'][number];
  test.each([
    ['copying', 30_000],
    ['done', undefined],
    ['failed', undefined],
  ])('a database upgrade %s', async (phase, requeue) => {
    const w = setup();
    planWith(() => ({ waitingFor: [], migration: { phase: 'done' }, databaseUpgrades: [db(phase as string), db('done')] }));
    const result = await w.run();
    expect(result.requeueAfterMs).toBe(requeue);
  });

  test('the soonest of the first user\'s, a restore\'s and a Clair import\'s', async () => {
    const realBackup = backupRestore.prepareBackupRestore;
    const realClair = clairImport.prepareClairImport;
    const realUser = initialUser.reconcileInitialUser;
    jest.spyOn(backupRestore, 'prepareBackupRestore').mockImplementation(async (...a) => ({ ...(await realBackup(...a)), requeueAfterMs: 9_000 }));
    jest.spyOn(clairImport, 'prepareClairImport').mockImplementation(async (...a) => ({ ...(await realClair(...a)), requeueAfterMs: 8_000 }));
    jest.spyOn(initialUser, 'reconcileInitialUser').mockImplementation(async (...a) => ({ ...(await realUser(...a)), requeueAfterMs: 7_000 }));
    const w = setup();
    expect((await w.run()).requeueAfterMs).toBe(7_000);
    (initialUser.reconcileInitialUser as jest.Mock).mockImplementation(async (...a: Parameters<typeof realUser>) => realUser(...a));
    expect((await setup().run()).requeueAfterMs).toBe(8_000);
    (clairImport.prepareClairImport as jest.Mock).mockImplementation(async (...a: Parameters<typeof realClair>) => realClair(...a));
    expect((await setup().run()).requeueAfterMs).toBe(9_000);
  });
});

describe('the first user', () => {
  test('its writes and event are counted and recorded; Quay not Available is told to it', async () => {
    const available: boolean[] = [];
    jest.spyOn(initialUser, 'reconcileInitialUser').mockImplementation(async (...a) => {
      available.push(a[4]);
      return { writes: 2, event: { type: 'Normal', reason: 'InitialUserCreated', message: 'made' } };
    });
    const w = setup();
    const result = await w.run();
    expect(available).toEqual([false]);
    expect(w.events()[0]).toEqual({ type: 'Normal', reason: 'InitialUserCreated', message: 'made' });
    // Its 2 (made through Quay's API and its own Secret) and those seen here.
    expect(result.writes).toBe(w.made() + 2);
  });

  test('Available: told so', async () => {
    const available: boolean[] = [];
    jest.spyOn(initialUser, 'reconcileInitialUser').mockImplementation(async (...a) => (available.push(a[4]), { writes: 0 }));
    const status = await import('../../lib/controller/status');
    const realCompute = status.computeStatus;
    jest.spyOn(status, 'computeStatus').mockImplementation((i) => {
      const s = realCompute(i);
      return { ...s, conditions: [...(s.conditions ?? []).filter((c) => c.type !== 'Available'), { type: 'Available', status: 'True', reason: 'HealthChecksPassing', message: 'ok', lastTransitionTime: NOW, lastUpdateTime: NOW }] };
    });
    await setup().run();
    expect(available).toEqual([true]);
  });

  test('a failure of it is thrown once the status is written; a thrown non-Error becomes an Error', async () => {
    jest.spyOn(initialUser, 'reconcileInitialUser').mockRejectedValue('quay down');
    const w = setup();
    await expect(w.run()).rejects.toThrow(new Error('quay down'));
    expect(w.others().filter((c) => c.startsWith('status'))).toEqual(['status QuayRegistry r']);
  });
});

/** What a PostgreSQL major upgrade adds while the old server runs on its claim. */
const UPGRADE_PARTS = ['Deployment r-quay-database-old', 'NetworkPolicy r-quay-database-old', 'Service r-quay-database-old'];

describe('details an admin relies on', () => {
  test('without a clock given, the status carries the current time', async () => {
    const before = Date.now();
    const w = setup({ noClock: true });
    await w.run();
    const at = Date.parse(w.status()[0].lastUpdated as string);
    expect(at >= before && at <= Date.now()).toBe(true);
  });

  test('a registry without a spec: everything managed, as with an empty one', async () => {
    const w = setup({ spec: null });
    await w.run();
    const v = setup({ spec: {} });
    await v.run();
    expect(w.applied()).toEqual(v.applied());
    expect(w.condition('RolloutBlocked')).toEqual(v.condition('RolloutBlocked'));
  });

  test('blocked by its config: those problems only, not also the version it cannot upgrade from', async () => {
    const w = setup({ environment: testEnvironment('kubernetes'), status: { currentVersion: 'bogus' } });
    await w.run();
    expect(w.condition('RolloutBlocked')).toEqual(expect.objectContaining({ reason: 'ConfigInvalid' }));
    expect(w.condition('RolloutBlocked').message).not.toContain('bogus');
    expect(w.applied()).toEqual([]);
  });

  test('the certificate Secret found is the one checked (not reported missing)', async () => {
    const tls = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'tls', namespace: 'ns' }, stringData: { 'tls.crt': 'not a certificate', 'tls.key': 'nor a key' } } as unknown as KubeObject;
    const w = setup({ spec: { ...UNMONITORED, tlsSecret: 'tls' }, cached: [...DATASTORE, KEYS, tls] });
    await w.run();
    const missing = setup({ spec: { ...UNMONITORED, tlsSecret: 'tls' } });
    await missing.run();
    expect(missing.condition('RolloutBlocked').message).toBe('spec.tlsSecret: Secret `tls` not found in namespace ns');
    expect(w.condition('RolloutBlocked').message).not.toBe('spec.tlsSecret: Secret `tls` not found in namespace ns');
    expect(w.condition('RolloutBlocked').message.startsWith('spec.tlsSecret: ')).toBe(true);
  });

  test('objects deleted for one namespace stay hidden while another namespace\'s registry is reconciled', async () => {
    const taken = ownedObject('Deployment', 'r-quay-app', { spec: { selector: { matchLabels: { app: 'quay' } } } });
    const w = setup({ cached: [...DATASTORE, KEYS, taken] });
    await w.run();
    expect(w.calls.filter((c) => c.verb === 'delete').length).toBe(1);
    w.registries.objects.push({ ...w.registry, metadata: { ...w.registry.metadata, namespace: 'ns2', uid: 'u2' } } as KubeObject);
    await w.reconciler.reconcile('ns2', 'r');
    await w.run();
    await w.run();
    expect(w.calls.filter((c) => c.verb === 'delete').length).toBe(1);
  });

  test('refused writes are reported to the admin naming the write', async () => {
    const err = (m: string) => new ApiError(403, 'Forbidden', m);
    const keys = ownedObject('Secret', 'r-quay-registry-managed-secret-keys', {}, '42');
    const w = setup({
      spec: { ...UNMONITORED, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } },
      cached: [...DATASTORE, keys, ownedObject('PersistentVolumeClaim', 'r-old-claim')],
      refuse: (c) => (['delete', 'patch'].includes(c.verb) ? err(`no ${c.verb} ${c.name}`) : undefined),
    });
    planWith(() => ({ replace: [ownedObject('Deployment', 'r-a')], scaleDown: ['r-quay-database'], remove: [ownedObject('Job', 'r-j')] }));
    await expect(w.run()).rejects.toThrow('no delete r-a');
    expect(w.refused()).toEqual([
      'delete Deployment r-a: 403 Forbidden: no delete r-a',
      'patch Deployment r-quay-database: 403 Forbidden: no patch r-quay-database',
      'patch Secret r-quay-registry-managed-secret-keys: 403 Forbidden: no patch r-quay-registry-managed-secret-keys',
      'delete Job r-j: 403 Forbidden: no delete r-j',
      'patch PersistentVolumeClaim r-old-claim: 403 Forbidden: no patch r-old-claim',
    ]);
    jest.restoreAllMocks();
    const v = setup({ spec: {}, refuse: (c) => (c.verb === 'apply' && c.kind === 'Service' ? err('no') : c.verb === 'patch' ? err('no patch') : undefined) });
    await expect(v.run()).rejects.toThrow('no');
    expect(v.refused()).toEqual(['apply Service r-clair-app: 403 Forbidden: no']);
    const u = setup({ spec: {}, refuse: (c) => (c.verb === 'patch' ? err('no patch') : undefined) });
    await expect(u.run()).rejects.toThrow('no patch');
    expect(u.refused()).toEqual(['patch QuayRegistry r: 403 Forbidden: no patch']);
  });

  test('a refused prune alone is thrown, after the status', async () => {
    const err = new Error('no delete');
    const w = setup({ refuse: (c) => (c.verb === 'delete' ? err : undefined) });
    planWith(() => ({ remove: [ownedObject('Service', 'r-old')] }));
    await expect(w.run()).rejects.toBe(err);
    expect(w.others().filter((c) => !c.startsWith('create Event'))).toEqual(['delete Service r-old', 'status QuayRegistry r']);
  });

  test('a refused status write of a rollout is thrown, and its events are still recorded', async () => {
    const err = new Error('no status');
    const w = setup({ refuse: (c) => (c.verb === 'status' ? err : undefined) });
    await expect(w.run()).rejects.toBe(err);
    expect(w.events().map((e) => e.reason)).toEqual(['WriteRefused', 'ComponentsCreationSuccess', 'AwaitingDependencies', 'MigrationsInProgress']);
  });

  test('a database on an older PostgreSQL major: scaled down as it is, its upgrade\'s objects applied owned and stamped', async () => {
    const oldDb = ownedObject('Deployment', 'r-quay-database', {
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'postgres', image: 'registry.redhat.io/rhel8/postgresql-10:1' }], volumes: [{ name: 'postgres-data', persistentVolumeClaim: { claimName: 'r-quay-database' } }] } } },
    });
    const w = setup({ cached: [...DATASTORE, KEYS, oldDb] });
    await w.run();
    expect(w.calls.filter((c) => c.verb === 'patch')).toEqual([{ verb: 'patch', kind: 'Deployment', namespace: 'ns', name: 'r-quay-database', body: { spec: { replicas: 0 } } }]);
    // Stopped: the old major is started on its claim (the upgrade's own objects).
    const stopped = { ...oldDb, spec: { ...(oldDb as Obj).spec, replicas: 0 }, status: { replicas: 0 } } as KubeObject;
    const v = setup({ cached: [...DATASTORE, KEYS, stopped] });
    const rendered = new Set<string>();
    await v.run();
    for (const c of w.calls.filter((c) => c.verb === 'apply')) rendered.add(`${c.kind} ${c.name}`);
    const upgrade = v.calls.filter((c) => c.verb === 'apply' && !rendered.has(`${c.kind} ${c.name}`));
    expect(upgrade.map((c) => `${c.kind} ${c.name}`).sort()).toEqual(UPGRADE_PARTS);
    for (const c of upgrade) expect([c.name, c.body.metadata.ownerReferences, typeof c.body.metadata.annotations?.['quay-operator/applied-hash']]).toEqual([c.name, [OWNER], 'string']);
  });

  test('previously monitored means its monitoring component, managed', async () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', labels: { 'openshift.io/cluster-monitoring': 'true' }, managedFields: [{ manager: 'quay-operator', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:openshift.io/cluster-monitoring': {} } } } }] } } as unknown as KubeObject;
    const w = setup({ status: { components: [{ kind: 'quay', managed: true }, { kind: 'monitoring', managed: false }] }, live: { 'Namespace/ns': ns } });
    await w.run();
    expect(w.calls.filter((c) => c.kind === 'Namespace')).toEqual([]);
  });

  test('caches a cluster does not have (kinds it does not serve) are skipped', async () => {
    const w = setup();
    for (const kind of ['Route', 'Deployment', 'ServiceMonitor']) w.caches.delete(kind);
    const result = await w.run();
    expect(result.requeueAfterMs).toBe(30_000);
    const v = setup({ status: { currentVersion: 'v3.16.0' } });
    v.caches.delete('Deployment');
    await v.run();
    expect(v.calls.filter((c) => c.verb === 'get' && c.kind === 'Deployment')).toEqual([]);
  });
});
