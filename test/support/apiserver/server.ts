// An in-process fake of the Kubernetes API server, for controller tests, the end-to-end scenario and
// the benchmark. It serves plain HTTP on 127.0.0.1 (an ephemeral port) so the operator's real client
// path runs against it: @kubernetes/client-node's KubeConfig and Watch, and raw node-fetch requests.
// It uses no Jest globals, so the benchmark (compiled without Jest's types) can import it too.
//
// Faithful where an operator can tell (calibrated on ../shared/apiserver-fixtures, which a test
// replays against it): authentication by bearer token and RBAC; discovery; server-side apply with
// managedFields, conflicts and upstream's pruning rules; schema validation of custom resources
// (types, required, enum, pattern, bounds, nullable, list-map keys, CEL rules) and of the built-in
// kinds the operator writes (names, pod templates, immutable fields, sizes); defaulting; status and
// scale subresources; namespace lifecycle; finalizers, garbage collection and propagation policies;
// lists with selectors and pages; watches. What it leaves out is listed in ./README.md. This file
// holds the state and the test-facing API; ./http.ts answers the requests.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ADMIN, authorize, RbacSource, serviceAccountUser, UserInfo } from './auth';
import { Deleter } from './deletion';
import { builtinTypes, defaultCrds, ServedType, typesFromCrd } from './resources';
import { FailMatch, FaultHandle, Faults } from './faults';
import { HttpFrontEnd, RecordedRequest } from './http';
import { Store } from './store';
import { clone, isObject } from './typed';
import { OpenWatch } from './watch';
import { bare, WriteOptions, Writer } from './writes';

type Obj = Record<string, any>;

export interface FakeApiServerOptions {
  /** How many of the latest changes a watch can replay. Default 10000. */
  readonly oldestResourceVersionWindow?: number;
  /** Run the garbage collector, namespace and PVC-protection controllers after writes. Default true. */
  readonly gc?: boolean;
  /** Authenticate and authorize every request (RBAC). Default true. */
  readonly auth?: boolean;
  /** OwnerReferencesPermissionEnforcement admission (on in OpenShift). Default true. */
  readonly ownerReferencesPermissionEnforcement?: boolean;
  /** Serve the default CRDs (QuayRegistry, ../shared/crds, OpenShift's Ingress config). Default true. */
  readonly defaultCrds?: boolean;
}

export type { RecordedRequest } from './http';

export type { FailMatch, FaultHandle } from './faults';

/** A kind served by registerType (tests): anything goes in it. */
export interface AdHocType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly statusSubresource?: boolean;
}

const ADMIN_TOKEN = 'fake-admin-token';

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly store: Store;
  private readonly writer: Writer;
  private readonly deleter: Deleter;
  private readonly watches = new Set<OpenWatch>();
  private readonly tokens = new Map<string, UserInfo>([[ADMIN_TOKEN, ADMIN]]);
  /** Injected faults (failNext, holdNext, setLatency, goDown). */
  readonly faults = new Faults();
  private advertised: Set<string> | undefined;
  private readonly auth: boolean;
  private server!: http.Server;
  private address = '';

  private constructor(options: FakeApiServerOptions) {
    this.store = new Store(options.oldestResourceVersionWindow ?? 10000);
    this.auth = options.auth ?? true;
    const rbac: RbacSource = {
      clusterRoles: () => this.objectsOf('rbac.authorization.k8s.io/v1', 'ClusterRole'),
      clusterRoleBindings: () => this.objectsOf('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'),
      roles: (ns) => this.objectsOf('rbac.authorization.k8s.io/v1', 'Role', ns),
      roleBindings: (ns) => this.objectsOf('rbac.authorization.k8s.io/v1', 'RoleBinding', ns),
    };
    this.writer = new Writer(this.store, {
      ownerReferencesPermissionEnforcement: options.ownerReferencesPermissionEnforcement ?? true,
      rbac,
      authorize: (a) => !this.auth || authorize(rbac, a),
    });
    this.rbac = rbac;
    this.deleter = new Deleter(this.store, options.gc ?? true);
    for (const t of builtinTypes()) this.store.serve(t);
    if (options.defaultCrds ?? true) for (const crd of defaultCrds()) this.write(() => this.writer.create(this.crdType(), undefined, crd, { manager: 'fake-setup' }));
  }

  private readonly rbac: RbacSource;

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const s = new FakeApiServer(options);
    const front = new HttpFrontEnd({
      store: s.store,
      writer: s.writer,
      deleter: s.deleter,
      faults: s.faults,
      rbac: s.rbac,
      auth: s.auth,
      tokens: s.tokens,
      requests: s.requests,
      watches: s.watches,
      write: <T extends { obj: Obj }>(fn: () => T) => s.write(fn),
      served: (apiVersion: string) => s.served(apiVersion),
      servedTypes: () => s.servedTypes(),
      tokenFor: (user: UserInfo) => s.tokenFor(user),
      resourceVersion: () => s.resourceVersion,
    });
    s.server = http.createServer((req, res) => front.onRequest(req, res));
    // Down (goDown): connections are dropped as they come, as a server restarting would.
    s.server.on('connection', (socket) => {
      if (s.faults.isDown()) socket.destroy();
    });
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

  private kubeConfigFor(token: string | undefined, namespace?: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake', ...(token ? { token } : {}) }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake', ...(namespace ? { namespace } : {}) }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** A kubeconfig for a cluster administrator (system:masters). */
  kubeConfig(namespace?: string): KubeConfig {
    return this.kubeConfigFor(ADMIN_TOKEN, namespace);
  }

  /** The administrator's bearer token (for raw requests). */
  get adminToken(): string {
    return ADMIN_TOKEN;
  }

  /** A kubeconfig holding a token for any user (RBAC decides what it may do). */
  kubeConfigForUser(user: UserInfo, namespace?: string): KubeConfig {
    return this.kubeConfigFor(this.tokenFor(user), namespace);
  }

  /** A kubeconfig holding a token of a ServiceAccount: its permissions are what RBAC objects in the store grant it. */
  serviceAccountKubeConfig(saNamespace: string, saName: string, namespace?: string): KubeConfig {
    return this.kubeConfigFor(this.tokenFor(serviceAccountUser(saNamespace, saName)), namespace);
  }

  /** A kubeconfig without credentials: every request is system:anonymous. */
  anonymousKubeConfig(): KubeConfig {
    return this.kubeConfigFor(undefined);
  }

  /** A bearer token the server maps to `user`. */
  tokenFor(user: UserInfo): string {
    const token = randomBytes(16).toString('hex');
    this.tokens.set(token, user);
    return token;
  }

  async stop(): Promise<void> {
    for (const w of [...this.watches]) w.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------- types and discovery

  private crdType(): ServedType {
    return this.store.mustType('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  }

  /** Serves an extra kind that accepts anything (for tests of generic client behaviour). */
  registerType(t: AdHocType): void {
    const [group, version] = t.apiVersion.split('/');
    this.write(() =>
      this.writer.create(
        this.crdType(),
        undefined,
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: `${t.plural}.${group}` },
          spec: {
            group,
            scope: t.namespaced ? 'Namespaced' : 'Cluster',
            names: { kind: t.kind, plural: t.plural, singular: t.kind.toLowerCase(), listKind: `${t.kind}List` },
            versions: [
              {
                name: version,
                served: true,
                storage: true,
                ...(t.statusSubresource ? { subresources: { status: {} } } : {}),
                schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
              },
            ],
          },
        },
        { manager: 'fake-setup' },
      ),
    );
  }

  /** Calls `listener` with every stored change (kind, type, object), as a watch would see it; returns the unsubscribe. */
  onChange(listener: (change: { type: 'ADDED' | 'MODIFIED' | 'DELETED'; obj: Obj }) => void): () => void {
    return this.store.onEvent((ev) => listener({ type: ev.type, obj: ev.obj }));
  }

  /** Which group/versions (e.g. 'apps/v1', 'route.openshift.io/v1') are served and advertised; core v1 always is. */
  setDiscovery(groupVersions: string[]): void {
    this.advertised = new Set(groupVersions);
  }

  private served(apiVersion: string): boolean {
    if (apiVersion === 'v1') return true;
    if (this.advertised && !this.advertised.has(apiVersion)) return false;
    return this.store.allTypes().some((t) => t.apiVersion === apiVersion);
  }

  /** The kinds served now (after setDiscovery). */
  servedTypes(): ServedType[] {
    return this.store.allTypes().filter((t) => this.served(t.apiVersion));
  }

  /** CRD writes register (or drop) the kinds they define, and the apiextensions controller marks them Established. */
  private afterCrdWrite(): void {
    const crdType = this.crdType();
    const defined = new Set<string>();
    for (const e of this.store.list(crdType)) {
      defined.add(e.obj.metadata.name);
      if (e.obj.metadata.deletionTimestamp) continue;
      for (const t of typesFromCrd(e.obj)) this.store.serve(t);
      const established = ((e.obj.status?.conditions ?? []) as Obj[]).some((c) => c.type === 'Established' && c.status === 'True');
      if (!established) {
        const time = this.store.now();
        const status = {
          acceptedNames: e.obj.spec.names,
          conditions: [
            { type: 'NamesAccepted', status: 'True', lastTransitionTime: time, reason: 'NoConflicts', message: 'no conflicts found' },
            { type: 'Established', status: 'True', lastTransitionTime: time, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
          ],
          storedVersions: ((e.obj.spec.versions ?? []) as Obj[]).filter((v) => v.storage).map((v) => v.name),
        };
        this.writer.update(crdType, undefined, e.obj.metadata.name, { ...e.obj, status }, 'status', { manager: 'kube-apiserver' });
      }
    }
    for (const t of this.store.allTypes()) if (t.crdName && !defined.has(t.crdName)) this.store.unserve(t.crdName);
  }

  /** Runs a write, then what follows any write: CRD registration and the controllers. */
  private write<T extends { obj: Obj }>(fn: () => T): T {
    const result = fn();
    if (result.obj.kind === 'CustomResourceDefinition' || (result.obj.kind === 'Status' && result.obj.details?.kind === 'customresourcedefinitions')) this.afterCrdWrite();
    this.deleter.noteWrite(result.obj);
    this.deleter.runControllers();
    return result;
  }

  // ---------------------------------------------------------------- observation and fault injection

  /** The current resourceVersion (what a list now would return). */
  get resourceVersion(): string {
    return String(this.store.resourceVersion);
  }

  /** Moves the server's clock forward: a write a second later stamps a new managedFields time, as on a cluster. */
  advanceClock(seconds: number): void {
    this.store.clockSkewMs += seconds * 1000;
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

  /**
   * The next `count` matching requests are refused with `status`, unprocessed; with `retryAfter`
   * (seconds) a Retry-After header. A 429 carries API Priority and Fairness's headers, as the
   * server's APF filter answers when a priority level's queues are full.
   */
  failNext(match: FailMatch, status: number, count = 1, retryAfter?: number): FaultHandle {
    return this.faults.arm(match, { kind: 'fail', status, ...(retryAfter !== undefined ? { retryAfter } : {}) }, count);
  }

  /**
   * The next `count` matching requests are never answered (the client must time out). With
   * `process`, a write is carried out first: it happened, the client cannot know. Watches are held
   * before they start.
   */
  holdNext(match: FailMatch, count = 1, options: { process?: boolean } = {}): FaultHandle {
    return this.faults.arm(match, { kind: 'hold', process: options.process ?? false }, count);
  }

  /** Every request waits `ms` before it is handled (0: no delay). */
  setLatency(ms: number): void {
    this.faults.latencyMs = ms;
  }

  /** Drops every open connection (watches, held requests) and every new one for `ms`. */
  goDown(ms: number): void {
    this.faults.goDown(ms);
    this.server.closeAllConnections();
  }

  /** Every resourceVersion older than now becomes too old: open watches get ERROR 410 and are closed. */
  expireWatches(): void {
    this.store.compact();
    for (const w of [...this.watches]) {
      w.send('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version (the server compacted up to ${this.resourceVersion})`, reason: 'Expired', code: 410 });
      w.close();
    }
  }

  /** Closes every open watch connection abruptly, as a network failure would. */
  dropWatches(): void {
    for (const w of [...this.watches]) w.drop();
  }

  /** Sends a BOOKMARK at the current resourceVersion to every watch that allows them. */
  bookmark(): void {
    for (const w of this.watches) w.bookmark(this.resourceVersion);
  }

  // ---------------------------------------------------------------- direct access (tests: an administrator, no HTTP)

  private objectsOf(apiVersion: string, kind: string, namespace?: string): Obj[] {
    const t = this.store.type(apiVersion, kind);
    return t ? this.store.list(t, namespace).map((e) => e.obj) : [];
  }

  /** A test setting up a cluster: namespaces appear as objects are put into them. */
  private ensureNamespace(t: ServedType, namespace: string | undefined): void {
    if (!t.namespaced || !namespace || this.store.namespacePhase(namespace) !== 'Missing') return;
    this.write(() => this.writer.create(this.store.mustType('v1', 'Namespace'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { manager: 'fake-setup' }));
  }

  /** Creates a namespace (the operator's writes into a namespace that does not exist fail, as on a real server). */
  createNamespace(name: string, labels?: Record<string, string>): Obj {
    return this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
  }

  create(obj: Obj, fieldManager = 'fake-test'): Obj {
    const t = this.store.mustType(obj.apiVersion, obj.kind);
    this.ensureNamespace(t, obj.metadata?.namespace);
    return out(this.write(() => this.writer.create(t, obj.metadata?.namespace, obj, { manager: fieldManager, keepStatus: true })).obj);
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const t = this.store.type(apiVersion, kind);
    const e = t ? this.store.get(t, namespace, name) : undefined;
    return e ? out(e.obj) : undefined;
  }

  list(apiVersion: string, kind: string, namespace?: string): Obj[] {
    return this.objectsOf(apiVersion, kind, namespace).map(out);
  }

  /** Replaces the object (not its status, for kinds with a status subresource), like PUT at the current resourceVersion. */
  update(obj: Obj, fieldManager = 'fake-test'): Obj {
    const t = this.store.mustType(obj.apiVersion, obj.kind);
    const e = this.store.mustGet(t, obj.metadata?.namespace, obj.metadata?.name);
    const body = { ...obj, metadata: { ...obj.metadata, resourceVersion: e.obj.metadata.resourceVersion } };
    return out(this.write(() => this.writer.update(t, obj.metadata?.namespace, obj.metadata.name, body, '', { manager: fieldManager })).obj);
  }

  /** Replaces the status, like PUT on /status (a kubelet or another controller reporting). */
  updateStatus(apiVersion: string, kind: string, namespace: string | undefined, name: string, status: unknown, fieldManager = 'fake-test'): Obj {
    const t = this.store.mustType(apiVersion, kind);
    const e = this.store.mustGet(t, namespace, name);
    return out(this.write(() => this.writer.update(t, namespace, name, { ...bare(e.obj), status }, t.statusSubresource ? 'status' : '', { manager: fieldManager })).obj);
  }

  /** Server-side apply, as another field manager would. */
  apply(obj: Obj, options: { fieldManager: string; force?: boolean; subresource?: '' | 'status' }): Obj {
    const t = this.store.mustType(obj.apiVersion, obj.kind);
    this.ensureNamespace(t, obj.metadata?.namespace);
    const o: WriteOptions = { manager: options.fieldManager, force: options.force ?? false };
    return out(this.write(() => this.writer.apply(t, obj.metadata?.namespace, obj.metadata.name, JSON.stringify(obj), options.subresource ?? '', o)).obj);
  }

  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string, propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'): void {
    const t = this.store.mustType(apiVersion, kind);
    this.write(() => this.deleter.delete(t, namespace, name, propagationPolicy ? { propagationPolicy } : {}));
  }

  /** The managedFields of a stored object (direct reads leave them out). */
  managedFields(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj[] {
    const t = this.store.mustType(apiVersion, kind);
    return clone(this.store.mustGet(t, namespace, name).obj.metadata.managedFields ?? []);
  }
}

/** What a direct read hands out: a copy, without managedFields (see managedFields()). */
function out(o: Obj): Obj {
  const c = clone(o);
  if (isObject(c.metadata)) delete c.metadata.managedFields;
  return c;
}

