// The fake API server's HTTP side: a request is authenticated (bearer token), recorded, run past
// the injected faults (./faults.ts), authorized (RBAC), routed by RequestInfo to the store's reads,
// the writer, the deleter, the scale and token subresources or a watch, and answered as
// kube-apiserver answers. What it works on (store, writer, faults, the served kinds) is the
// server's, handed over as a ServerCore (./server.ts).
import type * as http from 'node:http';
import { ADMIN, ANONYMOUS, Attributes, authorize, deniedMessage, RbacSource, serviceAccountUser, UserInfo } from './auth';
import { Deleter, parseDeleteOptions } from './deletion';
import { badRequest, coreNotFound, forbidden, injected, methodNotAllowed, notFound, pageNotFound, StatusError, unauthorized } from './errors';
import type { ServedType } from './resources';
import { discoveryDocument } from './discovery';
import { APF_HEADERS, Faults } from './faults';
import { listObjects, managerFromUserAgent, RequestInfo, requestInfo } from './requests';
import { asScale, scaleWrite } from './scale';
import { parseFieldSelector, parseLabelSelector, fieldsMatch, labelsMatch } from './selectors';
import type { Store } from './store';
import { OpenWatch } from './watch';
import { WriteOptions, WriteResult, Writer } from './writes';

type Obj = Record<string, any>;

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

/** What the HTTP side works on: the server's state and its write path. */
export interface ServerCore {
  readonly store: Store;
  readonly writer: Writer;
  readonly deleter: Deleter;
  readonly faults: Faults;
  readonly rbac: RbacSource;
  /** Authenticate and authorize (false: everyone is an administrator). */
  readonly auth: boolean;
  readonly tokens: ReadonlyMap<string, UserInfo>;
  readonly requests: RecordedRequest[];
  readonly watches: Set<OpenWatch>;
  /** Runs a write, then what follows any write (CRD registration, the controllers). */
  write<T extends { obj: Obj }>(fn: () => T): T;
  served(apiVersion: string): boolean;
  servedTypes(): ServedType[];
  tokenFor(user: UserInfo): string;
  resourceVersion(): string;
}

export class HttpFrontEnd {
  constructor(private readonly core: ServerCore) {}

  private authenticate(req: http.IncomingMessage): UserInfo | undefined {
    if (!this.core.auth) return ADMIN;
    const header = req.headers.authorization;
    if (!header) return ANONYMOUS;
    const m = /^Bearer\s+(.+)$/i.exec(header);
    return m ? this.core.tokens.get(m[1].trim()) : undefined;
  }

  onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
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
      this.core.requests.push(record);
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
        if (this.core.faults.isDown()) {
          record.code = 0;
          req.socket.destroy();
          return;
        }
        const fault = this.core.faults.take(matched);
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
      if (this.core.faults.latencyMs > 0) setTimeout(handle, this.core.faults.latencyMs);
      else handle();
    });
  }

  private checkAccess(user: UserInfo, info: RequestInfo | undefined, path: string, method: string): void {
    if (!this.core.auth) return;
    let attrs: Attributes;
    if (info) {
      const group = info.apiVersion!.includes('/') ? info.apiVersion!.split('/')[0] : '';
      attrs = { user, verb: info.verb, resource: { group, resource: info.plural!, ...(info.subresource ? { subresource: info.subresource } : {}), ...(info.namespace !== undefined ? { namespace: info.namespace } : {}), ...(info.name ? { name: info.name } : {}) } };
    } else attrs = { user, verb: method.toLowerCase(), path };
    if (authorize(this.core.rbac, attrs)) return;
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
      return ok(discoveryDocument(segs, this.core.servedTypes()));
    }
    if (!this.core.served(info.apiVersion!)) throw info.apiVersion!.includes('/') ? pageNotFound() : coreNotFound();
    const t = this.core.store.byPlural(info.apiVersion!, info.plural!);
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
        return ok(listObjects(this.core.store, t, namespace, q));
      }
      if (method === 'POST') {
        if (t.namespaced && namespace === undefined) throw methodNotAllowed();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
        }
        return this.core.write(() => this.core.writer.create(t, namespace, body, o));
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
        return ok(this.core.store.mustGet(t, namespace, name).obj);
      case 'PUT': {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw badRequest(`json parse error: ${(err as Error).message}`);
        }
        return this.core.write(() => this.core.writer.update(t, namespace, name, body, sub === 'finalize' ? '' : sub, o));
      }
      case 'PATCH':
        if (contentType === 'application/apply-patch+yaml') return this.core.write(() => this.core.writer.apply(t, namespace, name, text, sub, o));
        return this.core.write(() => this.core.writer.patch(t, namespace, name, contentType, text, sub, o));
      case 'DELETE':
        if (sub) throw methodNotAllowed();
        return { ...this.core.write(() => this.core.deleter.delete(t, namespace, name, parseDeleteOptions(text, q))), warnings: [] };
      default:
        throw methodNotAllowed();
    }
  }

  private deleteCollection(t: ServedType, namespace: string | undefined, q: URLSearchParams): Obj {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? '', t.kind);
    const gone: Obj[] = [];
    for (const e of this.core.store.list(t, namespace)) {
      if (!labelsMatch(e.obj.metadata.labels, labels) || !fieldsMatch(e.obj, fields)) continue;
      this.core.write(() => this.core.deleter.delete(t, e.obj.metadata.namespace, e.obj.metadata.name, {}));
      gone.push(e.obj);
    }
    return { apiVersion: t.apiVersion, kind: t.listKind, metadata: { resourceVersion: this.core.resourceVersion() }, items: gone };
  }

  /** The scale subresource: read as a Scale; a write sets replicas (with its own field manager). */
  private scale(t: ServedType, namespace: string | undefined, name: string, method: string, contentType: string | undefined, text: string, o: WriteOptions): WriteResult {
    const e = this.core.store.mustGet(t, namespace, name);
    if (method === 'GET') return { obj: asScale(e.obj), code: 200, warnings: [] };
    const { replicas, resourceVersion } = scaleWrite(e.obj, method, contentType, text);
    // As recorded from a real server: a PUT of the Scale records its writer as owner of replicas, a patch does not.
    const result = this.core.write(() => this.core.writer.scale(t, e, replicas, resourceVersion, o, method === 'PUT'));
    return { obj: asScale(result.obj), code: 200, warnings: [] };
  }

  /** TokenRequest: a bound token for a ServiceAccount that exists (how `kubectl create token` gets one). */
  private tokenRequest(t: ServedType, namespace: string, name: string, text: string): WriteResult {
    this.core.store.mustGet(t, namespace, name);
    let spec: Obj = {};
    try {
      spec = (JSON.parse(text || '{}') as Obj).spec ?? {};
    } catch {
      throw badRequest('the body is not a TokenRequest');
    }
    const seconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
    const token = this.core.tokenFor(serviceAccountUser(namespace, name));
    return {
      obj: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace, creationTimestamp: null },
        spec: { audiences: spec.audiences ?? ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: seconds, boundObjectRef: spec.boundObjectRef ?? null },
        status: { token, expirationTimestamp: new Date(Date.parse(this.core.store.now()) + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
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
      (closed) => this.core.watches.delete(closed),
    );
    this.core.watches.add(w);
    w.start(this.core.store);
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
