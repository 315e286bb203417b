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
// lists with selectors and pages; watches. What it leaves out is listed in ./README.md.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ADMIN, ANONYMOUS, Attributes, authorize, deniedMessage, RbacSource, serviceAccountUser, UserInfo } from './auth';
import { Deleter, parseDeleteOptions } from './deletion';
import { badRequest, coreNotFound, forbidden, injected, methodNotAllowed, notFound, pageNotFound, StatusError, unauthorized } from './errors';
import { builtinTypes, defaultCrds, ServedType, typesFromCrd } from './resources';
import { discoveryDocument } from './discovery';
import { APF_HEADERS, FailMatch, FaultHandle, Faults } from './faults';
import { listObjects, managerFromUserAgent, RequestInfo, requestInfo } from './requests';
import { asScale, scaleWrite } from './scale';
import { parseFieldSelector, parseLabelSelector, fieldsMatch, labelsMatch } from './selectors';
import { Store } from './store';
import { clone, isObject } from './typed';
import { OpenWatch } from './watch';
import { bare, WriteOptions, WriteResult, Writer } from './writes';

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
  /** Who the server took the client for. */
  user: string;
  /** When it arrived (Date.now()). */
  at: number;
  /** The verb as RequestInfo names it (`apply` for server-side apply; a discovery GET is a `get`), and the subresource ('' for none). */
  verb: string;
  subresource: string;
  /** The answer's status code (set when answered; 0 when the connection was dropped). */
  code?: number;
  /** Never answered: held by an injected fault. */
  held?: boolean;
  /** A refusal's message. */
  message?: string;
}

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
    s.server = http.createServer((req, res) => s.onRequest(req, res));
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

  // ---------------------------------------------------------------- HTTP

  private authenticate(req: http.IncomingMessage): UserInfo | undefined {
    if (!this.auth) return ADMIN;
    const header = req.headers.authorization;
    if (!header) return ANONYMOUS;
    const m = /^Bearer\s+(.+)$/i.exec(header);
    return m ? this.tokens.get(m[1].trim()) : undefined;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = (req.method ?? 'GET').toUpperCase();
      const contentType = req.headers['content-type']?.split(';')[0].trim();
      const query = url.search.replace(/^\?/, '');
      const user = this.authenticate(req);
      const matched = matchedRequest(method, url, contentType, user?.name ?? '(invalid token)');
      const record: RecordedRequest = {
        at: Date.now(),
        verb: matched.verb,
        subresource: matched.subresource,
        method,
        path: url.pathname,
        query,
        bytes: body.length,
        ...(contentType ? { contentType } : {}),
        ...(url.searchParams.get('fieldManager') ? { fieldManager: url.searchParams.get('fieldManager')! } : {}),
        user: user?.name ?? '(invalid token)',
      };
      this.requests.push(record);
      const send = (code: number, payload: unknown, headers: Record<string, string | string[]> = {}) => {
        record.code = code;
        if (code >= 400) record.message = typeof payload === 'string' ? payload : String((payload as Obj)?.message ?? '');
        if (res.headersSent) {
          res.end();
          return;
        }
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        res.writeHead(code, { 'Content-Type': typeof payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
        res.end(text);
      };
      const handle = () => {
        if (this.faults.isDown()) {
          record.code = 0;
          req.socket.destroy();
          return;
        }
        const fault = this.faults.take(matched);
        if (fault?.action.kind === 'hold') {
          record.held = true;
          // Processed or not, the answer never comes; the client's timeout ends the connection.
          if (fault.action.process && !(method === 'GET' && /(^|&)watch=(true|1)(&|$)/.test(query))) {
            try {
              if (user) this.route(method, url, contentType, body.toString('utf8'), user, req, res);
            } catch {
              // refused: the client does not learn that either
            }
          }
          return;
        }
        try {
          if (!user) throw unauthorized();
          if (fault?.action.kind === 'fail') {
            const { status, retryAfter } = fault.action;
            const err = injected(status, `injected failure for ${method} ${url.pathname}`);
            send(err.code, err.body, { ...(retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {}), ...(status === 429 ? APF_HEADERS : {}) });
            return;
          }
          const result = this.route(method, url, contentType, body.toString('utf8'), user, req, res);
          if (result === undefined) {
            record.code = 200; // a watch: the stream is being written
            return;
          }
          send(result.code, result.obj, result.warnings.length > 0 ? { Warning: result.warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {});
        } catch (err) {
          if (err instanceof StatusError) send(err.code, err.body);
          else send(500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `fake apiserver: ${(err as Error)?.stack ?? String(err)}`, reason: 'InternalError', code: 500 });
        }
      };
      // Slow (setLatency): the request waits before it is handled; the store is read then.
      if (this.faults.latencyMs > 0) setTimeout(handle, this.faults.latencyMs);
      else handle();
    });
  }

  private checkAccess(user: UserInfo, info: RequestInfo | undefined, path: string, method: string): void {
    if (!this.auth) return;
    let attrs: Attributes;
    if (info) {
      const group = info.apiVersion!.includes('/') ? info.apiVersion!.split('/')[0] : '';
      attrs = { user, verb: info.verb, resource: { group, resource: info.plural!, ...(info.subresource ? { subresource: info.subresource } : {}), ...(info.namespace !== undefined ? { namespace: info.namespace } : {}), ...(info.name ? { name: info.name } : {}) } };
    } else attrs = { user, verb: method.toLowerCase(), path };
    if (authorize(this.rbac, attrs)) return;
    const r = attrs.resource;
    throw forbidden(r ? { kind: r.resource, plural: r.resource, group: r.group } : undefined, r?.name, deniedMessage(attrs));
  }

  private route(method: string, url: URL, contentType: string | undefined, text: string, user: UserInfo, req: http.IncomingMessage, res: http.ServerResponse): WriteResult | undefined {
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const q = url.searchParams;
    const info = requestInfo(method, segs, q);
    this.checkAccess(user, info, url.pathname, method);
    const ok = (obj: Obj): WriteResult => ({ obj, code: 200, warnings: [] });
    if (!info) {
      if (method !== 'GET') throw methodNotAllowed();
      return ok(discoveryDocument(segs, this.servedTypes()));
    }
    if (!this.served(info.apiVersion!)) throw info.apiVersion!.includes('/') ? pageNotFound() : coreNotFound();
    const t = this.store.byPlural(info.apiVersion!, info.plural!);
    if (!t) throw info.apiVersion!.includes('/') ? pageNotFound() : coreNotFound();
    const isNamespaceObject = t.kind === 'Namespace' && t.group === '';
    const namespace = t.namespaced ? info.namespace : undefined;
    const name = isNamespaceObject && info.name === undefined && info.namespace !== undefined ? info.namespace : info.name;
    if (t.namespaced === false && info.namespace !== undefined && !isNamespaceObject) throw info.apiVersion!.includes('/') ? pageNotFound() : coreNotFound();
    const sub = info.subresource ?? '';
    const isServiceAccount = t.kind === 'ServiceAccount' && t.group === '';
    if (sub && !(sub === 'status' && t.statusSubresource) && !(sub === 'scale' && t.scaleSubresource) && !(sub === 'finalize' && isNamespaceObject) && !(sub === 'token' && isServiceAccount)) {
      throw notFound(t, name ?? '');
    }
    const o: WriteOptions = {
      manager: q.get('fieldManager') ?? (method === 'PATCH' && contentType === 'application/apply-patch+yaml' ? '' : managerFromUserAgent(req.headers['user-agent'])),
      force: q.get('force') === 'true',
      dryRun: q.getAll('dryRun').includes('All'),
      fieldValidation: (q.get('fieldValidation') ?? 'Warn') as WriteOptions['fieldValidation'],
      user,
    };

    if (name === undefined) {
      if (method === 'GET') {
        if (info.verb === 'watch') {
          this.startWatch(t, namespace, q, res);
          return undefined;
        }
        return ok(listObjects(this.store, t, namespace, q));
      }
      if (method === 'POST') {
        if (t.namespaced && namespace === undefined) throw methodNotAllowed();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
        }
        return this.write(() => this.writer.create(t, namespace, body, o));
      }
      if (method === 'DELETE') return ok(this.deleteCollection(t, namespace, q));
      throw methodNotAllowed();
    }
    if (sub === 'scale') return this.scale(t, namespace, name, method, contentType, text, o);
    if (sub === 'token') {
      if (method !== 'POST') throw methodNotAllowed();
      return this.tokenRequest(t, namespace!, name, text);
    }
    switch (method) {
      case 'GET':
        return ok(this.store.mustGet(t, namespace, name).obj);
      case 'PUT': {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw badRequest(`json parse error: ${(err as Error).message}`);
        }
        return this.write(() => this.writer.update(t, namespace, name, body, sub === 'finalize' ? '' : sub, o));
      }
      case 'PATCH':
        if (contentType === 'application/apply-patch+yaml') return this.write(() => this.writer.apply(t, namespace, name, text, sub, o));
        return this.write(() => this.writer.patch(t, namespace, name, contentType, text, sub, o));
      case 'DELETE':
        if (sub) throw methodNotAllowed();
        return { ...this.write(() => this.deleter.delete(t, namespace, name, parseDeleteOptions(text, q))), warnings: [] };
      default:
        throw methodNotAllowed();
    }
  }

  private deleteCollection(t: ServedType, namespace: string | undefined, q: URLSearchParams): Obj {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? '', t.kind);
    const gone: Obj[] = [];
    for (const e of this.store.list(t, namespace)) {
      if (!labelsMatch(e.obj.metadata.labels, labels) || !fieldsMatch(e.obj, fields)) continue;
      this.write(() => this.deleter.delete(t, e.obj.metadata.namespace, e.obj.metadata.name, {}));
      gone.push(e.obj);
    }
    return { apiVersion: t.apiVersion, kind: t.listKind, metadata: { resourceVersion: this.resourceVersion }, items: gone };
  }

  /** The scale subresource: read as a Scale; a write sets replicas (with its own field manager). */
  private scale(t: ServedType, namespace: string | undefined, name: string, method: string, contentType: string | undefined, text: string, o: WriteOptions): WriteResult {
    const e = this.store.mustGet(t, namespace, name);
    if (method === 'GET') return { obj: asScale(e.obj), code: 200, warnings: [] };
    const { replicas, resourceVersion } = scaleWrite(e.obj, method, contentType, text);
    // As recorded from a real server: a PUT of the Scale records its writer as owner of replicas, a patch does not.
    const result = this.write(() => this.writer.scale(t, e, replicas, resourceVersion, o, method === 'PUT'));
    return { obj: asScale(result.obj), code: 200, warnings: [] };
  }

  /** TokenRequest: a bound token for a ServiceAccount that exists (how `kubectl create token` gets one). */
  private tokenRequest(t: ServedType, namespace: string, name: string, text: string): WriteResult {
    this.store.mustGet(t, namespace, name);
    let spec: Obj = {};
    try {
      spec = (JSON.parse(text || '{}') as Obj).spec ?? {};
    } catch {
      throw badRequest('the body is not a TokenRequest');
    }
    const seconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
    const token = this.tokenFor(serviceAccountUser(namespace, name));
    return {
      obj: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace, creationTimestamp: null },
        spec: { audiences: spec.audiences ?? ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: seconds, boundObjectRef: spec.boundObjectRef ?? null },
        status: { token, expirationTimestamp: new Date(Date.parse(this.store.now()) + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
      },
      code: 201,
      warnings: [],
    };
  }

  private startWatch(t: ServedType, namespace: string | undefined, q: URLSearchParams, res: http.ServerResponse): void {
    const timeout = Number(q.get('timeoutSeconds') ?? '');
    const w = new OpenWatch(
      {
        type: t,
        ...(namespace !== undefined ? { namespace } : {}),
        labels: parseLabelSelector(q.get('labelSelector') ?? ''),
        fields: parseFieldSelector(q.get('fieldSelector') ?? '', t.kind),
        bookmarks: q.get('allowWatchBookmarks') === 'true',
        resourceVersion: q.get('resourceVersion') ?? '',
        ...(timeout > 0 ? { timeoutSeconds: timeout } : {}),
      },
      res,
      (closed) => this.watches.delete(closed),
    );
    this.watches.add(w);
    w.start(this.store);
  }

}

/** The request as the fault matcher sees it: its verb (`apply` for server-side apply), subresource and user. */
function matchedRequest(method: string, url: URL, contentType: string | undefined, user: string) {
  let info: RequestInfo | undefined;
  try {
    info = requestInfo(method, url.pathname.split('/').filter(Boolean).map(decodeURIComponent), url.searchParams);
  } catch {
    info = undefined; // a malformed path: route() refuses it
  }
  const verb = info ? (info.verb === 'patch' && contentType === 'application/apply-patch+yaml' ? 'apply' : info.verb) : method.toLowerCase();
  return { method, path: url.pathname, query: url.search.replace(/^\?/, ''), verb, subresource: info?.subresource ?? '', user };
}

/** What a direct read hands out: a copy, without managedFields (see managedFields()). */
function out(o: Obj): Obj {
  const c = clone(o);
  if (isObject(c.metadata)) delete c.metadata.managedFields;
  return c;
}

