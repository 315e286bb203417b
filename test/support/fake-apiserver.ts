// An in-process fake of the Kubernetes API server, for controller tests and the benchmark. It serves
// plain HTTP on 127.0.0.1 (ephemeral port) so the operator's real client path runs against it:
// @kubernetes/client-node's KubeConfig and Watch, and raw node-fetch requests (lib/controller/kube-client.ts).
// It uses no Jest globals, so the benchmark (compiled without Jest's types) can import it too.
//
// What it does: discovery (/api, /apis, /api/v1, /apis/<g>/<v>), list (label and field selectors), watch
// (newline-delimited JSON events on a chunked 200 response, replay from a resourceVersion, ERROR 410 for
// a too-old one, BOOKMARKs on demand), get, create, replace (PUT, resourceVersion precondition), delete
// (finalizers, ownerReference garbage collection), merge / strategic-merge / JSON patch, server-side apply
// with field ownership, and a /status subresource. Tests can also read and write the store directly,
// inject failures, expire or drop watches, and see every request received.
//
// Simplifications (deliberate; enough for one operator and a few other writers):
// - One global resourceVersion counter; every write bumps it and is one event in a bounded event log
//   (`oldestResourceVersionWindow` events). A watch from a resourceVersion older than the log gets ERROR 410.
//   A watch from "0" or no resourceVersion starts "now" (no synthetic ADDED events, unlike the real server).
//   A resourceVersion newer than the current one is treated as "now". No list pagination (limit/continue).
// - Every write is synchronous and immediately visible; garbage collection and namespace deletion run
//   synchronously inside the delete (the real ones are asynchronous controllers). Propagation policy
//   Foreground is treated as Background; Orphan strips the owner reference from dependents instead.
//   Deleting a Namespace deletes (or marks, if they have finalizers) everything in it. Namespaces are
//   otherwise implicit: objects can be created in a namespace that has no Namespace object.
// - A dependent with several owners is deleted only when none of its owners exists any more; a dangling
//   reference to a deleted owner is removed from it otherwise.
// - No admission, defaulting or validation beyond apiVersion/kind/name/namespace consistency;
//   `generation` is set on every kind (1 on create) and bumped when `spec` changes.
// - `status` is dropped on create (API and apply) for kinds with a status subresource, as the real server
//   does; the direct `create()` keeps it, as a test convenience. `updateStatus()` replaces the status.
// - Responses carry no `managedFields`. A write that changes nothing visible (a no-op apply, PUT or patch)
//   does not bump resourceVersion nor send an event, even if only field ownership changed.
// - Server-side apply: per object, per (field manager, subresource), the set of leaf field paths the manager
//   owns. Tracked fields: everything but apiVersion/kind and the server-managed metadata; of metadata only
//   labels, annotations, ownerReferences and finalizers. Lists are atomic leaves, except lists of objects with
//   a unique key field: `name` (containers, env, volumes, ports with names, ...), `mountPath` for
//   volumeMounts and `uid` for ownerReferences, which merge by that key. Lists of scalars (finalizers,
//   args) are atomic, not sets. Merged lists keep the live order, new items are appended.
//   Apply: fields the manager owned but omits now are removed unless another manager owns them too; then the
//   applied fields are merged in. A field owned by another manager with a different live value is a conflict
//   (409) unless force=true, which takes ownership. Updates (POST, PUT, patches) give their manager
//   (`fieldManager`, default `before-first-apply`) the fields they change, and take those from the others.
// - Strategic merge patch is a merge patch whose keyed lists (as above) merge by key (`$patch: delete`
//   removes an item; other `$` directives are ignored); lists of scalars are replaced.
// - JSON patch supports add, remove, replace, test, move and copy. dryRun is ignored (the write happens).
// - No authentication or authorization: any (or no) bearer token is accepted.
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import { ApiError } from '../../lib/controller/kube-client';
import { RESOURCE_TYPES, ResourceType } from '../../lib/controller/resources';

type Obj = Record<string, any>;

/** Every kind the operator uses, plus Pod. */
export const DEFAULT_TYPES: readonly ResourceType[] = [...RESOURCE_TYPES, { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }];

/** Kinds whose writes may change `status` through the main resource (they have no status subresource). */
const NO_STATUS_SUBRESOURCE = new Set([
  'v1/ConfigMap',
  'v1/Secret',
  'v1/ServiceAccount',
  'v1/Event',
  'v1/Namespace',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'coordination.k8s.io/v1/Lease',
]);

export interface FakeResourceType extends ResourceType {
  /** Whether `status` is only writable through /status. Default: all but the kinds without status. */
  readonly statusSubresource?: boolean;
}

export interface FakeApiServerOptions {
  /** How many of the latest events (one per resourceVersion) a watch can replay. Default 10000. */
  readonly oldestResourceVersionWindow?: number;
  /** Garbage-collect objects whose owners are deleted. Default true. */
  readonly gc?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** The path, without the query string. */
  path: string;
  /** The query string, without '?'. */
  query: string;
  /** Bytes in the request body. */
  bytes: number;
  contentType?: string;
  fieldManager?: string;
}

export interface FailMatch {
  readonly method?: string;
  /** Matched against path + '?' + query. */
  readonly pathIncludes?: string;
}

interface TypeInfo extends ResourceType {
  readonly key: string; // apiVersion/kind
  readonly group: string; // '' for core
  readonly version: string;
  readonly statusSubresource: boolean;
}

interface Entry {
  readonly type: TypeInfo;
  obj: Obj;
  /** `${manager}\0${subresource}` → leaf path keys (JSON of the path segments). */
  readonly managers: Map<string, Set<string>>;
}

interface LogEvent {
  readonly rv: number;
  readonly typeKey: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly obj: Obj;
  readonly prev?: Obj;
}

interface OpenWatch {
  readonly type: TypeInfo;
  readonly namespace?: string;
  readonly labels: LabelRequirement[];
  readonly fields: FieldRequirement[];
  readonly bookmarks: boolean;
  readonly res: http.ServerResponse;
  timer?: NodeJS.Timeout;
}

type Subresource = '' | 'status';
const DEFAULT_MANAGER = 'before-first-apply';

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly types = new Map<string, TypeInfo>();
  private readonly store = new Map<string, Map<string, Entry>>(); // typeKey → `${ns}/${name}` → entry
  private readonly byUid = new Map<string, Entry>();
  private readonly log: LogEvent[] = [];
  private readonly watches = new Set<OpenWatch>();
  private readonly failures: { match: FailMatch; status: number; count: number }[] = [];
  private advertised: Set<string> | undefined; // undefined: every registered group/version
  private rv = 1;
  private compactedThrough = 1; // events with rv <= this are gone
  private readonly window: number;
  private readonly gc: boolean;
  private server!: http.Server;
  private address = '';

  private constructor(options: FakeApiServerOptions) {
    this.window = options.oldestResourceVersionWindow ?? 10000;
    this.gc = options.gc ?? true;
    for (const t of DEFAULT_TYPES) this.registerType(t);
  }

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const s = new FakeApiServer(options);
    s.server = http.createServer((req, res) => s.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, '127.0.0.1', () => resolve());
    });
    s.address = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  /** http://127.0.0.1:<port> */
  get url(): string {
    return this.address;
  }

  kubeConfig(namespace?: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake', ...(namespace ? { namespace } : {}) }],
      currentContext: 'fake',
    });
    return kc;
  }

  async stop(): Promise<void> {
    for (const w of [...this.watches]) this.endWatch(w);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------- types and discovery

  registerType(t: FakeResourceType): void {
    const [group, version] = t.apiVersion.includes('/') ? t.apiVersion.split('/') : ['', t.apiVersion];
    const key = `${t.apiVersion}/${t.kind}`;
    const info: TypeInfo = {
      apiVersion: t.apiVersion,
      kind: t.kind,
      plural: t.plural,
      namespaced: t.namespaced,
      key,
      group,
      version,
      statusSubresource: t.statusSubresource ?? !NO_STATUS_SUBRESOURCE.has(key),
    };
    this.types.set(key, info);
    if (!this.store.has(key)) this.store.set(key, new Map());
  }

  /** Which group/versions (e.g. 'apps/v1', 'route.openshift.io/v1') are served and advertised; core v1 always is. */
  setDiscovery(groupVersions: string[]): void {
    this.advertised = new Set(groupVersions);
  }

  private served(apiVersion: string): boolean {
    if (apiVersion === 'v1') return true;
    if (this.advertised) return this.advertised.has(apiVersion);
    return [...this.types.values()].some((t) => t.apiVersion === apiVersion);
  }

  private servedTypes(): TypeInfo[] {
    return [...this.types.values()].filter((t) => this.served(t.apiVersion));
  }

  private typeOf(apiVersion: string, kind: string): TypeInfo {
    const t = this.types.get(`${apiVersion}/${kind}`);
    if (!t) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${apiVersion} ${kind})`);
    return t;
  }

  // ---------------------------------------------------------------- observation and fault injection

  /** The current resourceVersion (what a list now would return). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /** Resolves once at least n watches are open (the client's watch request has reached the server). */
  async waitForWatches(n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.watches.size < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} open watches (have ${this.watches.size})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  failNext(match: FailMatch, status: number, count = 1): void {
    this.failures.push({ match, status, count });
  }

  /** Every resourceVersion older than now becomes too old: open watches get ERROR 410 and are closed. */
  expireWatches(): void {
    this.compactedThrough = this.rv;
    this.log.length = 0;
    for (const w of [...this.watches]) {
      this.writeEvent(w, 'ERROR', expiredStatus(`too old resource version (the server compacted up to ${this.rv})`));
      this.endWatch(w);
    }
  }

  /** Closes every open watch connection abruptly, as a network failure would. */
  dropWatches(): void {
    for (const w of [...this.watches]) {
      this.watches.delete(w);
      if (w.timer) clearTimeout(w.timer);
      w.res.socket?.destroy();
    }
  }

  /** Sends a BOOKMARK at the current resourceVersion to every watch that allows them. */
  bookmark(): void {
    for (const w of this.watches) {
      if (w.bookmarks) this.writeEvent(w, 'BOOKMARK', { apiVersion: w.type.apiVersion, kind: w.type.kind, metadata: { resourceVersion: String(this.rv) } });
    }
  }

  // ---------------------------------------------------------------- direct access (no HTTP)

  create(obj: Obj, fieldManager = DEFAULT_MANAGER): Obj {
    const t = this.typeOf(obj.apiVersion, obj.kind);
    return out(this.doCreate(t, obj.metadata?.namespace, obj, fieldManager, true));
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const e = this.entry(this.typeOf(apiVersion, kind), namespace, name);
    return e ? out(e.obj) : undefined;
  }

  list(apiVersion: string, kind: string, namespace?: string): Obj[] {
    return this.select(this.typeOf(apiVersion, kind), namespace, [], []).map(out);
  }

  /** Replaces the object (not its status, for kinds with a status subresource), like PUT. */
  update(obj: Obj, fieldManager = DEFAULT_MANAGER): Obj {
    const t = this.typeOf(obj.apiVersion, obj.kind);
    return out(this.doUpdate(t, obj.metadata?.namespace, obj.metadata?.name, obj, '', fieldManager));
  }

  /** Replaces the status, like PUT on /status (a kubelet or another controller reporting). */
  updateStatus(apiVersion: string, kind: string, namespace: string | undefined, name: string, status: unknown, fieldManager = DEFAULT_MANAGER): Obj {
    const t = this.typeOf(apiVersion, kind);
    const e = this.mustGet(t, namespace, name);
    return out(this.doUpdate(t, namespace, name, { ...e.obj, status }, 'status', fieldManager));
  }

  /** Server-side apply, as another field manager would. */
  apply(obj: Obj, options: { fieldManager: string; force?: boolean; subresource?: Subresource }): Obj {
    const t = this.typeOf(obj.apiVersion, obj.kind);
    return out(this.doApply(t, obj.metadata?.namespace, obj.metadata?.name, obj, options.fieldManager, options.force ?? false, options.subresource ?? ''));
  }

  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const t = this.typeOf(apiVersion, kind);
    this.doDelete(this.mustGet(t, namespace, name), 'Background');
  }

  // ---------------------------------------------------------------- store operations

  private objKey(t: TypeInfo, namespace: string | undefined, name: string): string {
    return `${t.namespaced ? namespace ?? '' : ''}/${name}`;
  }

  private entry(t: TypeInfo, namespace: string | undefined, name: string): Entry | undefined {
    return this.store.get(t.key)!.get(this.objKey(t, namespace, name));
  }

  private mustGet(t: TypeInfo, namespace: string | undefined, name: string): Entry {
    const e = this.entry(t, namespace, name);
    if (!e) throw notFound(t, name);
    return e;
  }

  private select(t: TypeInfo, namespace: string | undefined, labels: LabelRequirement[], fields: FieldRequirement[]): Obj[] {
    const items = [...this.store.get(t.key)!.values()].map((e) => e.obj).filter((o) => matches(o, t, namespace, labels, fields));
    return items.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  }

  private nextRv(): string {
    this.rv++;
    return String(this.rv);
  }

  private record(typeKey: string, type: LogEvent['type'], obj: Obj, prev?: Obj): void {
    const ev: LogEvent = { rv: this.rv, typeKey, type, obj, prev };
    this.log.push(ev);
    while (this.log.length > this.window) this.compactedThrough = this.log.shift()!.rv;
    for (const w of this.watches) if (w.type.key === typeKey) this.deliver(w, ev);
  }

  /** Sets namespace, apiVersion and kind from the type and URL, checking what the body says. */
  private placed(t: TypeInfo, namespace: string | undefined, body: Obj, name?: string): Obj {
    if (!isObject(body)) throw badRequest('the body must be a JSON object');
    const o = clone(body);
    if (o.apiVersion !== undefined && o.apiVersion !== t.apiVersion) throw badRequest(`apiVersion ${o.apiVersion} does not match ${t.apiVersion}`);
    if (o.kind !== undefined && o.kind !== t.kind) throw badRequest(`kind ${o.kind} does not match ${t.kind}`);
    o.apiVersion = t.apiVersion;
    o.kind = t.kind;
    o.metadata = isObject(o.metadata) ? o.metadata : {};
    if (name !== undefined) {
      if (o.metadata.name !== undefined && o.metadata.name !== name) throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
      o.metadata.name = name;
    }
    if (t.namespaced) {
      if (namespace === undefined) namespace = o.metadata.namespace;
      if (!namespace) throw new ApiError(404, 'NotFound', `${t.kind} is namespaced: a namespace is required`);
      if (o.metadata.namespace !== undefined && o.metadata.namespace !== namespace) throw badRequest(`the namespace of the object (${o.metadata.namespace}) does not match the namespace on the request (${namespace})`);
      o.metadata.namespace = namespace;
    } else delete o.metadata.namespace;
    return o;
  }

  private doCreate(t: TypeInfo, namespace: string | undefined, body: Obj, manager: string, keepStatus = false, applied?: Set<string>): Obj {
    const o = this.placed(t, namespace, body);
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${randomSuffix()}`;
    if (!o.metadata.name) throw invalid(t, '', 'metadata.name: Required value: name or generateName is required');
    const key = this.objKey(t, o.metadata.namespace, o.metadata.name);
    if (this.store.get(t.key)!.has(key)) throw new ApiError(409, 'AlreadyExists', `${t.plural} "${o.metadata.name}" already exists`);
    if (t.statusSubresource && !keepStatus) delete o.status;
    for (const f of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']) delete o.metadata[f];
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = now();
    o.metadata.generation = 1;
    o.metadata.resourceVersion = this.nextRv();
    const e: Entry = { type: t, obj: o, managers: new Map() };
    e.managers.set(managerKey(manager, ''), applied ?? new Set(leafPaths(trackedView(t, o, '')).keys()));
    this.store.get(t.key)!.set(key, e);
    this.byUid.set(o.metadata.uid, e);
    this.record(t.key, 'ADDED', o);
    return o;
  }

  /** The object a write to `subresource` leaves: server-managed metadata kept, status or the rest protected. */
  private normalized(e: Entry, candidate: Obj, subresource: Subresource): Obj {
    const old = e.obj;
    let o: Obj;
    if (subresource === 'status') {
      o = clone(old);
      if (candidate.status === undefined) delete o.status;
      else o.status = clone(candidate.status);
    } else {
      o = clone(candidate);
      o.apiVersion = old.apiVersion;
      o.kind = old.kind;
      o.metadata = isObject(o.metadata) ? o.metadata : {};
      delete o.metadata.managedFields;
      for (const f of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'resourceVersion']) {
        if (old.metadata[f] === undefined) delete o.metadata[f];
        else o.metadata[f] = old.metadata[f];
      }
      if (e.type.statusSubresource) {
        if (old.status === undefined) delete o.status;
        else o.status = clone(old.status);
      }
    }
    return o;
  }

  /** Stores `o` (already normalized) unless it changes nothing; bumps generation and resourceVersion. */
  private commit(e: Entry, o: Obj): Obj {
    const old = e.obj;
    const changed = !deepEqual(o, old);
    if (!changed) return old;
    if (!deepEqual(o.spec, old.spec)) o.metadata.generation = (old.metadata.generation ?? 0) + 1;
    o.metadata.resourceVersion = this.nextRv();
    if (o.metadata.deletionTimestamp && !(o.metadata.finalizers?.length > 0)) {
      this.remove(e, o);
      return o;
    }
    e.obj = o;
    this.record(e.type.key, 'MODIFIED', o, old);
    return o;
  }

  private checkPrecondition(e: Entry, rv: unknown): void {
    if (rv !== undefined && rv !== null && rv !== '' && String(rv) !== e.obj.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${e.type.plural} "${e.obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
  }

  /** Replace (PUT) or the result of a patch: `body` is the whole new object. */
  private doUpdate(t: TypeInfo, namespace: string | undefined, name: string | undefined, body: Obj, subresource: Subresource, manager: string): Obj {
    if (!name) throw badRequest('metadata.name is required');
    const e = this.mustGet(t, namespace, name);
    const placed = this.placed(t, namespace ?? e.obj.metadata.namespace, body, name);
    this.checkPrecondition(e, placed.metadata.resourceVersion);
    const o = this.normalized(e, placed, subresource);
    if (deepEqual(o, e.obj)) return e.obj;
    // Field ownership: the updater owns what it changed; nobody owns what is gone.
    const before = leafPaths(trackedView(t, e.obj, subresource));
    const after = leafPaths(trackedView(t, o, subresource));
    const changed = [...after.keys()].filter((k) => !before.has(k) || !deepEqual(before.get(k)!.value, after.get(k)!.value));
    const gone = [...before.keys()].filter((k) => !after.has(k));
    const mine = managerKey(manager, subresource);
    for (const [m, set] of e.managers) {
      for (const k of gone) set.delete(k);
      if (m !== mine) for (const k of changed) set.delete(k);
    }
    const set = e.managers.get(mine) ?? new Set<string>();
    for (const k of changed) set.add(k);
    e.managers.set(mine, set);
    pruneManagers(e);
    return this.commit(e, o);
  }

  private doApply(t: TypeInfo, namespace: string | undefined, name: string | undefined, body: Obj, manager: string, force: boolean, subresource: Subresource): Obj {
    if (!manager) throw badRequest('PATCH, application/apply-patch+yaml: fieldManager is required for apply requests');
    if (!isObject(body)) throw badRequest('the apply body must be an object');
    if (!body.apiVersion || !body.kind) throw badRequest('apiVersion and kind must be set in an apply request');
    if (!isObject(body.metadata) || !body.metadata.name) throw badRequest('metadata.name must be set in an apply request');
    if (body.metadata.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil');
    name ??= body.metadata.name;
    const placed = this.placed(t, namespace, body, name);
    const view = trackedView(t, placed, subresource);
    const applied = leafPaths(view);
    const e = this.entry(t, placed.metadata.namespace, name!);
    if (!e) {
      if (subresource === 'status') throw notFound(t, name!);
      if (placed.metadata.resourceVersion) throw new ApiError(409, 'Conflict', `the object ${name} does not exist: resourceVersion precondition failed`);
      return this.doCreate(t, placed.metadata.namespace, placed, manager, false, new Set(applied.keys()));
    }
    this.checkPrecondition(e, placed.metadata.resourceVersion);
    const mine = managerKey(manager, subresource);
    // Conflicts: fields another manager owns whose live value the apply would change.
    const conflicts: string[] = [];
    const takeOver: [Set<string>, string][] = [];
    for (const [k, leaf] of applied) {
      const live = getAt(e.obj, leaf.path);
      if (deepEqual(live, leaf.value)) continue;
      for (const [m, set] of e.managers) {
        if (m === mine || !set.has(k)) continue;
        conflicts.push(`conflict with "${m.split('\0')[0]}": ${prettyPath(leaf.path)}`);
        takeOver.push([set, k]);
      }
    }
    if (conflicts.length > 0 && !force) {
      throw new ApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts.join(', ')}`);
    }
    for (const [set, k] of takeOver) set.delete(k);
    // Fields this manager applied before and omits now go, unless another manager owns them too.
    const o = clone(e.obj);
    const previous = e.managers.get(mine) ?? new Set<string>();
    const others = [...e.managers].filter(([m]) => m !== mine).map(([, s]) => s);
    for (const k of previous) {
      if (applied.has(k)) continue;
      const path = JSON.parse(k) as Seg[];
      if (ownedByOthers(path, others)) continue;
      deleteAt(o, path);
    }
    const merged = mergeApplied(o, view) as Obj;
    e.managers.set(mine, new Set(applied.keys()));
    pruneManagers(e);
    return this.commit(e, this.normalized(e, merged, subresource));
  }

  private doDelete(e: Entry, propagation: string, preconditions?: Obj): Obj {
    if (preconditions?.uid && preconditions.uid !== e.obj.metadata.uid) throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${e.obj.metadata.uid}`);
    this.checkPrecondition(e, preconditions?.resourceVersion);
    if (propagation === 'Orphan') this.orphan(e.obj.metadata.uid);
    if (e.obj.metadata.finalizers?.length > 0) {
      if (e.obj.metadata.deletionTimestamp) return e.obj;
      const o = clone(e.obj);
      o.metadata.deletionTimestamp = now();
      o.metadata.deletionGracePeriodSeconds = 0;
      return this.commit(e, o);
    }
    const o = clone(e.obj);
    o.metadata.resourceVersion = this.nextRv();
    this.remove(e, o);
    return o;
  }

  /** Removes the entry (its last state is `o`, with the new resourceVersion) and what depends on it. */
  private remove(e: Entry, o: Obj): void {
    const t = e.type;
    this.store.get(t.key)!.delete(this.objKey(t, o.metadata.namespace, o.metadata.name));
    this.byUid.delete(o.metadata.uid);
    e.obj = o;
    this.record(t.key, 'DELETED', o);
    if (t.key === 'v1/Namespace') {
      for (const [k, m] of this.store) {
        if (!this.types.get(k)!.namespaced) continue;
        for (const d of [...m.values()]) if (d.obj.metadata.namespace === o.metadata.name && m.has(this.objKey(d.type, d.obj.metadata.namespace, d.obj.metadata.name))) this.doDelete(d, 'Background');
      }
    }
    if (this.gc) this.collect(o.metadata.uid);
  }

  private dependents(uid: string): Entry[] {
    const found: Entry[] = [];
    for (const m of this.store.values()) for (const d of m.values()) if ((d.obj.metadata.ownerReferences ?? []).some((r: Obj) => r.uid === uid)) found.push(d);
    return found;
  }

  private collect(uid: string): void {
    for (const d of this.dependents(uid)) {
      if (this.byUid.get(d.obj.metadata.uid) !== d) continue; // already gone (deleted by an earlier cascade)
      const others = (d.obj.metadata.ownerReferences as Obj[]).filter((r) => r.uid !== uid && this.byUid.has(r.uid));
      if (others.length > 0) this.stripOwner(d, uid);
      else this.doDelete(d, 'Background');
    }
  }

  private orphan(uid: string): void {
    for (const d of this.dependents(uid)) this.stripOwner(d, uid);
  }

  private stripOwner(d: Entry, uid: string): void {
    const o = clone(d.obj);
    o.metadata.ownerReferences = (o.metadata.ownerReferences as Obj[]).filter((r) => r.uid !== uid);
    if (o.metadata.ownerReferences.length === 0) delete o.metadata.ownerReferences;
    this.doUpdateRaw(d, o, 'generic-garbage-collector');
  }

  private doUpdateRaw(e: Entry, o: Obj, manager: string): Obj {
    return this.doUpdate(e.type, e.obj.metadata.namespace, e.obj.metadata.name, { ...o, metadata: { ...o.metadata, resourceVersion: undefined } }, '', manager);
  }

  // ---------------------------------------------------------------- watches

  private writeEvent(w: OpenWatch, type: string, object: Obj): void {
    if (w.res.destroyed || w.res.writableEnded) return;
    w.res.write(JSON.stringify({ type, object: out(object) }) + '\n');
  }

  private deliver(w: OpenWatch, ev: LogEvent): void {
    const now = matches(ev.obj, w.type, w.namespace, w.labels, w.fields);
    if (ev.type === 'MODIFIED' && ev.prev) {
      const before = matches(ev.prev, w.type, w.namespace, w.labels, w.fields);
      if (before && now) this.writeEvent(w, 'MODIFIED', ev.obj);
      else if (now) this.writeEvent(w, 'ADDED', ev.obj);
      else if (before) this.writeEvent(w, 'DELETED', ev.obj);
    } else if (now) this.writeEvent(w, ev.type, ev.obj);
  }

  private endWatch(w: OpenWatch): void {
    this.watches.delete(w);
    if (w.timer) clearTimeout(w.timer);
    if (!w.res.writableEnded) w.res.end();
  }

  private startWatch(t: TypeInfo, namespace: string | undefined, q: URLSearchParams, res: http.ServerResponse): void {
    const w: OpenWatch = {
      type: t,
      namespace,
      labels: parseLabelSelector(q.get('labelSelector') ?? ''),
      fields: parseFieldSelector(q.get('fieldSelector') ?? ''),
      bookmarks: q.get('allowWatchBookmarks') === 'true',
      res,
    };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const rvParam = q.get('resourceVersion') ?? '';
    const from = rvParam === '' || rvParam === '0' ? this.rv : Number(rvParam);
    if (!Number.isInteger(from)) {
      this.writeEvent(w, 'ERROR', statusObj(400, 'BadRequest', `invalid resource version: ${rvParam}`));
      res.end();
      return;
    }
    if (from < this.compactedThrough) {
      this.writeEvent(w, 'ERROR', expiredStatus(`too old resource version: ${from} (${this.compactedThrough})`));
      res.end();
      return;
    }
    for (const ev of this.log) if (ev.rv > from && ev.typeKey === t.key) this.deliver(w, ev);
    this.watches.add(w);
    res.on('close', () => {
      this.watches.delete(w);
      if (w.timer) clearTimeout(w.timer);
    });
    const timeout = Number(q.get('timeoutSeconds') ?? '');
    if (timeout > 0) {
      w.timer = setTimeout(() => this.endWatch(w), timeout * 1000);
      w.timer.unref();
    }
  }

  // ---------------------------------------------------------------- HTTP

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = (req.method ?? 'GET').toUpperCase();
      const contentType = req.headers['content-type']?.split(';')[0].trim();
      const query = url.search.replace(/^\?/, '');
      this.requests.push({
        method,
        path: url.pathname,
        query,
        bytes: body.length,
        ...(contentType ? { contentType } : {}),
        ...(url.searchParams.get('fieldManager') ? { fieldManager: url.searchParams.get('fieldManager')! } : {}),
      });
      try {
        const failure = this.failures.find((f) => f.count > 0 && (!f.match.method || f.match.method.toUpperCase() === method) && (!f.match.pathIncludes || `${url.pathname}?${query}`.includes(f.match.pathIncludes)));
        if (failure) {
          failure.count--;
          if (failure.count === 0) this.failures.splice(this.failures.indexOf(failure), 1);
          throw new ApiError(failure.status, reasonFor(failure.status), `injected failure for ${method} ${url.pathname}`);
        }
        const result = this.route(method, url, contentType, body.toString('utf8'), res);
        if (result !== undefined) send(res, result.code, result.body);
      } catch (err) {
        if (err instanceof ApiError) send(res, err.status, statusObj(err.status, err.reason, err.message));
        else send(res, 500, statusObj(500, 'InternalError', `fake apiserver: ${(err as Error)?.stack ?? String(err)}`));
      }
    });
  }

  /** Answers a request; undefined when the response is already being written (a watch). */
  private route(method: string, url: URL, contentType: string | undefined, text: string, res: http.ServerResponse): { code: number; body: unknown } | undefined {
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const q = url.searchParams;
    const ok = (body: unknown, code = 200) => ({ code, body });
    if (method === 'GET') {
      if (segs.length === 0) return ok({ paths: ['/api', '/api/v1', '/apis', '/version', ...this.groupVersions().map((gv) => `/apis/${gv}`)] });
      if (segs.length === 1 && segs[0] === 'version') return ok({ major: '1', minor: '30', gitVersion: 'v1.30.0-fake', platform: 'linux/amd64' });
      if (segs.length === 1 && segs[0] === 'api') return ok({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (segs.length === 1 && segs[0] === 'apis') return ok(this.groupList());
    }
    let apiVersion: string;
    let rest: string[];
    if (segs[0] === 'api' && segs.length >= 2) [apiVersion, rest] = [segs[1], segs.slice(2)];
    else if (segs[0] === 'apis' && segs.length >= 3) [apiVersion, rest] = [`${segs[1]}/${segs[2]}`, segs.slice(3)];
    else throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (!this.served(apiVersion)) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${apiVersion})`);
    if (rest.length === 0) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return ok(this.resourceList(apiVersion));
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length > 3) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const [plural, name, sub] = rest;
    const t = this.servedTypes().find((x) => x.apiVersion === apiVersion && x.plural === plural);
    if (!t) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${apiVersion} ${plural})`);
    if (namespace !== undefined && !t.namespaced) throw new ApiError(404, 'NotFound', `${t.kind} is not namespaced`);
    if (sub !== undefined && sub !== 'status') throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${plural}/${sub})`);
    const subresource: Subresource = sub === 'status' ? 'status' : '';
    const manager = q.get('fieldManager') ?? undefined;

    if (name === undefined) {
      if (method === 'GET') {
        const watch = q.get('watch');
        if (watch === 'true' || watch === '1') {
          this.startWatch(t, namespace, q, res);
          return undefined;
        }
        const items = this.select(t, namespace, parseLabelSelector(q.get('labelSelector') ?? ''), parseFieldSelector(q.get('fieldSelector') ?? ''));
        return ok({ kind: `${t.kind}List`, apiVersion: t.apiVersion, metadata: { resourceVersion: String(this.rv) }, items: items.map(out) });
      }
      if (method === 'POST') {
        if (t.namespaced && namespace === undefined) throw new ApiError(404, 'NotFound', `${t.kind} is namespaced: POST to a namespace's collection`);
        const body = parseJson(text);
        if (isObject(body) && isObject(body.metadata) && body.metadata.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
        return ok(out(this.doCreate(t, namespace, body, manager ?? DEFAULT_MANAGER)), 201);
      }
      throw methodNotAllowed(method);
    }
    if (t.namespaced && namespace === undefined) throw new ApiError(404, 'NotFound', `${t.kind} is namespaced: the path needs a namespace`);
    switch (method) {
      case 'GET':
        return ok(out(this.mustGet(t, namespace, name).obj));
      case 'PUT':
        return ok(out(this.doUpdate(t, namespace, name, parseJson(text), subresource, manager ?? DEFAULT_MANAGER)));
      case 'PATCH': {
        if (contentType === 'application/apply-patch+yaml') {
          const existed = this.entry(t, namespace, name) !== undefined;
          return ok(out(this.doApply(t, namespace, name, parseApplyBody(text), manager ?? '', q.get('force') === 'true', subresource)), existed ? 200 : 201);
        }
        const e = this.mustGet(t, namespace, name);
        const patch = parseJson(text);
        let next: Obj;
        if (contentType === 'application/merge-patch+json') next = mergePatch(e.obj, patch);
        else if (contentType === 'application/strategic-merge-patch+json') next = strategicMergePatch(e.obj, patch);
        else if (contentType === 'application/json-patch+json') next = jsonPatch(e.obj, patch);
        else throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
        // A patch without a resourceVersion is unconditional; with one, it is a precondition.
        if (!isObject(patch) || !isObject(patch.metadata) || patch.metadata.resourceVersion === undefined) {
          next.metadata = { ...next.metadata, resourceVersion: undefined };
        }
        return ok(out(this.doUpdate(t, namespace, name, next, subresource, manager ?? DEFAULT_MANAGER)));
      }
      case 'DELETE': {
        if (subresource) throw methodNotAllowed(method);
        const opts = text.trim() ? parseJson(text) : {};
        const propagation = q.get('propagationPolicy') ?? opts.propagationPolicy ?? 'Background';
        return ok(out(this.doDelete(this.mustGet(t, namespace, name), propagation, opts.preconditions)));
      }
      default:
        throw methodNotAllowed(method);
    }
  }

  private groupVersions(): string[] {
    return [...new Set(this.servedTypes().map((t) => t.apiVersion))].filter((gv) => gv !== 'v1');
  }

  private groupList(): Obj {
    const groups = new Map<string, string[]>();
    for (const gv of this.groupVersions()) {
      const [g, v] = gv.split('/');
      groups.set(g, [...(groups.get(g) ?? []), v]);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
      })),
    };
  }

  private resourceList(apiVersion: string): Obj {
    const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
    const resources: Obj[] = [];
    for (const t of this.servedTypes().filter((x) => x.apiVersion === apiVersion)) {
      resources.push({ name: t.plural, singularName: t.kind.toLowerCase(), namespaced: t.namespaced, kind: t.kind, verbs });
      if (t.statusSubresource) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersion, resources };
  }
}

// ------------------------------------------------------------------ helpers: responses and errors

function send(res: http.ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function statusObj(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function expiredStatus(message: string): Obj {
  return statusObj(410, 'Expired', message);
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function reasonFor(code: number): string {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

function notFound(t: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${t.plural}${t.apiVersion.includes('/') ? `.${t.apiVersion.split('/')[0]}` : ''} "${name}" not found`);
}

function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

function invalid(t: ResourceType, name: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `${t.kind} "${name}" is invalid: ${message}`);
}

function methodNotAllowed(method: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`);
}

function parseJson(text: string): Obj {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseApplyBody(text: string): Obj {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return yaml.load(text) as Obj;
    } catch (err) {
      throw badRequest(`the apply body is neither JSON nor YAML: ${(err as Error).message}`);
    }
  }
}

// ------------------------------------------------------------------ helpers: objects

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** What the server sends: a copy (stored objects are never handed out). */
function out(o: Obj): Obj {
  return clone(o);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

// ------------------------------------------------------------------ helpers: selectors

interface LabelRequirement {
  readonly key: string;
  readonly op: 'in' | 'notin' | 'exists' | '!exists';
  readonly values: string[];
}

interface FieldRequirement {
  readonly field: 'metadata.name' | 'metadata.namespace';
  readonly equal: boolean;
  readonly value: string;
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter(Boolean);
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  return splitTopLevel(selector).map((term) => {
    let m = /^([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) return { key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((v) => v.trim()) };
    m = /^([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)$/.exec(term);
    if (m) return { key: m[1], op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]] };
    m = /^(!?)\s*([A-Za-z0-9_./-]+)$/.exec(term);
    if (m) return { key: m[2], op: m[1] ? '!exists' : 'exists', values: [] };
    throw badRequest(`unable to parse requirement: ${term}`);
  });
}

function parseFieldSelector(selector: string): FieldRequirement[] {
  return splitTopLevel(selector).map((term) => {
    const m = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`field label not supported: ${term.split(/[!=]/)[0]}`);
    return { field: m[1] as FieldRequirement['field'], equal: m[2] !== '!=', value: m[3].trim() };
  });
}

function matches(o: Obj, t: ResourceType, namespace: string | undefined, labels: LabelRequirement[], fields: FieldRequirement[]): boolean {
  if (t.namespaced && namespace !== undefined && o.metadata.namespace !== namespace) return false;
  const l: Record<string, string> = o.metadata.labels ?? {};
  for (const r of labels) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    if (r.op === 'exists' && !has) return false;
    if (r.op === '!exists' && has) return false;
    if (r.op === 'in' && !(has && r.values.includes(l[r.key]))) return false;
    if (r.op === 'notin' && has && r.values.includes(l[r.key])) return false;
  }
  for (const f of fields) {
    const v = f.field === 'metadata.name' ? o.metadata.name : o.metadata.namespace ?? '';
    if ((v === f.value) !== f.equal) return false;
  }
  return true;
}

// ------------------------------------------------------------------ helpers: field paths (server-side apply)

/** A path segment: an object key, or the item of a keyed list whose key field `k` has value `v`. */
type Seg = string | { k: string; v: string };

interface Leaf {
  readonly path: Seg[];
  readonly value: unknown;
}

function managerKey(manager: string, subresource: Subresource): string {
  return `${manager}\0${subresource}`;
}

function pruneManagers(e: Entry): void {
  for (const [m, s] of e.managers) if (s.size === 0) e.managers.delete(m);
}

/** The fields whose ownership is tracked, for writes through the main resource or /status. */
function trackedView(t: TypeInfo, o: Obj, subresource: Subresource): Obj {
  if (subresource === 'status') return o.status === undefined ? {} : { status: o.status };
  const v: Obj = {};
  for (const [k, val] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || val === undefined) continue;
    if (k === 'status' && t.statusSubresource) continue;
    v[k] = val;
  }
  const meta: Obj = {};
  for (const k of ['labels', 'annotations', 'ownerReferences', 'finalizers']) if (o.metadata?.[k] !== undefined) meta[k] = o.metadata[k];
  if (Object.keys(meta).length > 0) v.metadata = meta;
  return v;
}

/** The key field a list merges by, if it is a list of objects with unique keys. */
function listKey(field: string | undefined, list: unknown[]): string | undefined {
  const k = field === 'volumeMounts' ? 'mountPath' : field === 'ownerReferences' ? 'uid' : 'name';
  if (list.length === 0 || !list.every((i) => isObject(i) && typeof i[k] === 'string')) return undefined;
  return new Set(list.map((i) => (i as Obj)[k])).size === list.length ? k : undefined;
}

function leafPaths(v: Obj): Map<string, Leaf> {
  const leaves = new Map<string, Leaf>();
  const walk = (val: unknown, path: Seg[], field: string | undefined) => {
    if (isObject(val) && Object.keys(val).length > 0) {
      for (const [k, x] of Object.entries(val)) if (x !== undefined) walk(x, [...path, k], k);
      return;
    }
    if (Array.isArray(val)) {
      const k = listKey(field, val);
      if (k) {
        for (const item of val as Obj[]) walk(item, [...path, { k, v: item[k] }], undefined);
        return;
      }
    }
    leaves.set(JSON.stringify(path), { path, value: val });
  };
  walk(v, [], undefined);
  return leaves;
}

function prettyPath(path: Seg[]): string {
  return path.map((s) => (typeof s === 'string' ? `.${s}` : `[${s.k}="${s.v}"]`)).join('');
}

function step(container: unknown, seg: Seg): unknown {
  if (typeof seg === 'string') return isObject(container) ? container[seg] : undefined;
  return Array.isArray(container) ? container.find((i) => isObject(i) && i[seg.k] === seg.v) : undefined;
}

function getAt(o: unknown, path: Seg[]): unknown {
  let cur = o;
  for (const seg of path) cur = step(cur, seg);
  return cur;
}

/** Deletes the field at `path`, then the objects, list items and lists that this leaves empty. */
function deleteAt(o: Obj, path: Seg[]): void {
  const chain: unknown[] = [o];
  for (const seg of path.slice(0, -1)) {
    const next = step(chain[chain.length - 1], seg);
    if (next === undefined) return;
    chain.push(next);
  }
  const removeFrom = (container: unknown, seg: Seg) => {
    if (typeof seg === 'string') {
      if (isObject(container)) delete container[seg];
    } else if (Array.isArray(container)) {
      const i = container.findIndex((x) => isObject(x) && x[seg.k] === seg.v);
      if (i >= 0) container.splice(i, 1);
    }
  };
  removeFrom(chain[chain.length - 1], path[path.length - 1]);
  for (let i = chain.length - 1; i >= 1; i--) {
    const c = chain[i];
    const empty = Array.isArray(c) ? c.length === 0 : isObject(c) && Object.keys(c).length === 0;
    if (!empty || (i === 1 && path[0] === 'metadata')) break;
    removeFrom(chain[i - 1], path[i - 1]);
  }
}

/** Whether another manager owns `path`, something under it, or (for a list item's key) anything in that item. */
function ownedByOthers(path: Seg[], others: Set<string>[]): boolean {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  const isItemKey = typeof last === 'string' && parent !== undefined && typeof parent !== 'string' && parent.k === last;
  const prefix = isItemKey ? path.slice(0, -1) : path;
  const p = JSON.stringify(prefix).slice(0, -1); // without the closing ']'
  const exact = JSON.stringify(path);
  return others.some((s) => s.has(exact) || [...s].some((k) => k.startsWith(p + ',')));
}

/** Merges the applied fields into the live object: objects by key, keyed lists by item key, the rest replaced. */
function mergeApplied(live: unknown, applied: unknown, field?: string): unknown {
  if (isObject(applied) && isObject(live)) {
    const o: Obj = { ...live };
    for (const [k, v] of Object.entries(applied)) if (v !== undefined) o[k] = mergeApplied(live[k], v, k);
    return o;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const k = listKey(field, applied);
    if (k && (live.length === 0 || listKey(field, live) === k)) {
      const o = live.map((x) => clone(x));
      for (const item of applied as Obj[]) {
        const i = o.findIndex((x: Obj) => x[k] === item[k]);
        if (i >= 0) o[i] = mergeApplied(o[i], item);
        else o.push(clone(item));
      }
      return o;
    }
  }
  return clone(applied);
}

// ------------------------------------------------------------------ helpers: patches

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): Obj {
  const apply = (t: unknown, p: unknown): unknown => {
    if (!isObject(p)) return clone(p);
    const o: Obj = isObject(t) ? { ...t } : {};
    for (const [k, v] of Object.entries(p)) {
      if (v === null) delete o[k];
      else o[k] = apply(o[k], v);
    }
    return o;
  };
  return apply(target, patch) as Obj;
}

/** A merge patch whose keyed lists merge by key; `$patch: delete` removes an item, other directives are dropped. */
function strategicMergePatch(target: unknown, patch: unknown): Obj {
  const apply = (t: unknown, p: unknown, field?: string): unknown => {
    if (Array.isArray(p)) {
      const items = p.filter((i) => !(isObject(i) && i.$patch === 'delete'));
      const k = listKey(field, p.map((i) => (isObject(i) ? stripDirectives(i) : i)));
      if (!k || !Array.isArray(t) || (t.length > 0 && listKey(field, t) !== k)) return clone(items.map((i) => (isObject(i) ? stripDirectives(i) : i)));
      let o = t.map((x) => clone(x)) as Obj[];
      for (const item of p as Obj[]) {
        const i = o.findIndex((x) => x[k] === item[k]);
        if (item.$patch === 'delete') o = o.filter((x) => x[k] !== item[k]);
        else if (i >= 0) o[i] = apply(o[i], item) as Obj;
        else o.push(stripDirectives(item));
      }
      return o;
    }
    if (!isObject(p)) return clone(p);
    const o: Obj = isObject(t) ? { ...t } : {};
    for (const [k, v] of Object.entries(p)) {
      if (k.startsWith('$')) continue;
      if (v === null) delete o[k];
      else o[k] = apply(o[k], v, k);
    }
    return o;
  };
  return apply(target, patch) as Obj;
}

function stripDirectives(o: Obj): Obj {
  const c: Obj = {};
  for (const [k, v] of Object.entries(o)) if (!k.startsWith('$')) c[k] = isObject(v) ? stripDirectives(v) : clone(v);
  return c;
}

/** RFC 6902 JSON patch: add, remove, replace, test, move, copy. */
function jsonPatch(target: Obj, ops: unknown): Obj {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be a list of operations');
  const doc = { root: clone(target) } as Obj;
  const parse = (p: string): string[] => ['root', ...(p === '' ? [] : p.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')))];
  const parentOf = (p: string): [Obj, string] => {
    const segs = parse(p);
    let cur: unknown = doc;
    for (const s of segs.slice(0, -1)) {
      cur = Array.isArray(cur) ? cur[Number(s)] : isObject(cur) ? cur[s] : undefined;
      if (cur === undefined) throw new ApiError(422, 'Invalid', `JSON patch: no path ${p}`);
    }
    return [cur as Obj, segs[segs.length - 1]];
  };
  const read = (p: string): unknown => {
    const [c, k] = parentOf(p);
    const v = Array.isArray(c) ? c[Number(k)] : c[k];
    if (v === undefined) throw new ApiError(422, 'Invalid', `JSON patch: no path ${p}`);
    return v;
  };
  const remove = (p: string) => {
    const [c, k] = parentOf(p);
    read(p);
    if (Array.isArray(c)) c.splice(Number(k), 1);
    else delete c[k];
  };
  const add = (p: string, v: unknown) => {
    const [c, k] = parentOf(p);
    if (Array.isArray(c)) c.splice(k === '-' ? c.length : Number(k), 0, clone(v));
    else c[k] = clone(v);
  };
  for (const op of ops as Obj[]) {
    switch (op.op) {
      case 'add':
        add(op.path, op.value);
        break;
      case 'remove':
        remove(op.path);
        break;
      case 'replace':
        remove(op.path);
        add(op.path, op.value);
        break;
      case 'test':
        if (!deepEqual(read(op.path), op.value)) throw new ApiError(422, 'Invalid', `JSON patch: test failed at ${op.path}`);
        break;
      case 'move': {
        const v = read(op.from);
        remove(op.from);
        add(op.path, v);
        break;
      }
      case 'copy':
        add(op.path, read(op.from));
        break;
      default:
        throw badRequest(`JSON patch: unknown op ${op.op}`);
    }
  }
  return doc.root;
}
