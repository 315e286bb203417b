// A small Kubernetes client: raw JSON requests and watches over node:http(s), with the agent (TLS)
// and credentials a ClusterConnection gives (ours, or client-node's KubeConfig). Requests carry the
// plain JSON we render: client-node's typed serializer drops fields it does not know (ecosystem.md
// §0 F), so writes are raw requests, server-side apply included. Neither client-node nor node-fetch
// is loaded on this path: they cost more start-up CPU and memory than the rest of the operator.
// Every request has a deadline (a dead connection must not hold a reconcile forever), may be rate
// limited, and waits out the server's 429 and Retry-After answers before it is sent again (a write
// is not sent again after an answer saying the server may still be processing it: see request()).
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeObject } from '../synth';
import type { ClusterConnection } from './kube-config';
import { ResourceType, collectionPath, objectPath } from './resources';
import { ThrottleInfo, TokenBucket, apfHeaders, retryAfterMs } from './runtime/rate-limiter';

export type { ThrottleInfo } from './runtime/rate-limiter';
import { Clock, realClock } from './runtime/workqueue';

export const FIELD_MANAGER = 'quay-operator';

export class ApiError extends Error {
  /** The API server's own message (without the request line this error's message starts with). */
  readonly serverMessage: string;

  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    serverMessage?: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.serverMessage = serverMessage ?? message;
  }
}

export interface ListResult {
  readonly items: KubeObject[];
  readonly resourceVersion: string;
}

export interface Selector {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Counts of what the operator asked of the API server (metrics, the benchmark, tests). */
export interface RequestStats {
  /** Every request: reads, writes and watches. */
  requests: number;
  /** GETs but watches: gets, lists, discovery. */
  reads: number;
  writes: number;
  watches: number;
  bytesSent: number;
  /** Answers that said "wait" (429, or a 5xx with Retry-After), each followed by a wait and a retry (answers not sent again are not counted). */
  throttled: number;
  /** Requests given up for want of an answer within the timeout. */
  timeouts: number;
}

/** The default request timeout: kube-apiserver ends a request that takes longer itself (--request-timeout 1m). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** client-go's: how often one request is sent again after a 429. */
export const DEFAULT_MAX_RETRIES = 10;

export interface KubeClientOptions {
  /**
   * How long a request may take, answer included (watches: until the server starts streaming).
   * Without it a connection that died silently holds a reconcile forever. Default 60 s; 0: none.
   */
  readonly timeoutMs?: number;
  /** Client-side rate limit of every request but watches (`--kube-api-qps`, `--kube-api-burst`); none when absent. */
  readonly rateLimiter?: TokenBucket;
  readonly clock?: Clock;
  /**
   * How often a request answered "wait" (429, a 5xx with Retry-After) is sent again after the wait;
   * then the answer is the error. Default 10 (client-go's); 0: never, the answer is the error at once
   * (the lease's client: a wait could outlast the renew deadline).
   */
  readonly maxRetries?: number;
  /** Told when the server asks the client to wait (logs). */
  readonly onThrottled?: (info: ThrottleInfo) => void;
}

/** No answer within the client's timeout: whether the server did anything is unknown. */
export class RequestTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestTimeoutError';
  }
}

export class KubeClient {
  readonly stats: RequestStats = { requests: 0, reads: 0, writes: 0, watches: 0, bytesSent: 0, throttled: 0, timeouts: 0 };
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly clock: Clock;
  /** Set by a "wait" answer: no request (watches included) goes before then. */
  private pausedUntil = 0;

  constructor(
    readonly config: ClusterConnection,
    private readonly options: KubeClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.clock = options.clock ?? realClock;
  }

  private server(): string {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    return cluster.server.replace(/\/$/, '');
  }

  /** Waits while the server has asked for a pause (a 429 to any request: its priority level is saturated). */
  private async waitForPause(): Promise<void> {
    for (let wait = this.pausedUntil - this.clock.now(); wait > 0; wait = this.pausedUntil - this.clock.now()) {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait));
    }
  }

  private async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      await this.waitForPause();
      await this.options.rateLimiter?.take();
      // A 429 may have come while this request waited for its token: that pause holds it too.
      await this.waitForPause();
      const init = await this.config.applyToFetchOptions({});
      const headers = { ...plainHeaders(init.headers), Accept: 'application/json', ...(payload ? { 'Content-Type': contentType } : {}) };
      this.stats.requests++;
      if (method === 'GET') this.stats.reads++;
      else this.stats.writes++;
      this.stats.bytesSent += payload?.length ?? 0;
      let res: http.IncomingMessage;
      let text: string;
      try {
        ({ res, text } = await this.exchange(this.server() + path, { method, headers, agent: init.agent as http.Agent | undefined }, payload));
      } catch (err) {
        if (err instanceof RequestTimeoutError) {
          this.stats.timeouts++;
          throw new RequestTimeoutError(`${method} ${path}: ${err.message}`);
        }
        throw err;
      }
      const json = text ? safeJson(text) : undefined;
      const code = res.statusCode ?? 0;
      const reason = (json as { reason?: unknown } | undefined)?.reason;
      // A 429 (API Priority and Fairness, or a max-in-flight limit) means the request was not
      // processed: wait as told, every request of this client, then send it again (as client-go). A
      // 5xx with Retry-After is waited out and sent again too, but it does not always mean "not
      // processed": kube-apiserver's 500 ServerTimeout and 504 Timeout say it "may still be processing
      // the request" (a gateway's 504 says as much). A read is sent again; a write is not, the answer
      // is the error: sent again, it could be done twice. The caller's own retry (the next reconcile)
      // then finds what the first one did, e.g. a create meets 409 AlreadyExists, which every create
      // tolerates: the managed keys Secret is read back (managed-keys.ts), the lease's create counts as
      // a lost race and the lease is read again a retry period later (leader-election.ts), and an Event
      // that is not recorded is only logged (events have random names).
      const wait = retryAfterMs(res, code, this.clock.now());
      const mayStillBeProcessing = code === 504 || (code >= 500 && (reason === 'ServerTimeout' || reason === 'Timeout'));
      const waited = wait !== undefined && attempt < this.maxRetries && !(method !== 'GET' && mayStillBeProcessing);
      // Told whether or not it is waited out (the metric counts both): the server asked to wait either way.
      if (wait !== undefined) this.options.onThrottled?.({ method, path, status: code, retryAfterMs: wait, waited, ...apfHeaders(res) });
      if (waited) {
        this.stats.throttled++;
        this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + wait);
        continue;
      }
      if (code < 200 || code > 299) {
        const status = json as { reason?: string; message?: string } | undefined;
        const serverMessage = status?.message ?? text.slice(0, 200);
        throw new ApiError(code, status?.reason ?? res.statusMessage ?? http.STATUS_CODES[code] ?? '', `${method} ${path}: ${code} ${serverMessage}`, serverMessage);
      }
      return json;
    }
  }

  /** One request and its whole answer, within the timeout. */
  private exchange(url: string, options: http.RequestOptions, payload: string | undefined): Promise<{ res: http.IncomingMessage; text: string }> {
    return new Promise((resolve, reject) => {
      const headers = payload === undefined ? options.headers : { ...options.headers, 'Content-Length': String(Buffer.byteLength(payload)) };
      const req = (url.startsWith('https:') ? https : http).request(url, { ...options, headers });
      const settle = (fn: () => void) => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        fn();
      };
      const timer =
        this.timeoutMs > 0
          ? this.clock.setTimeout(() => {
              reject(new RequestTimeoutError(`no answer within ${this.timeoutMs} ms`));
              req.destroy();
            }, this.timeoutMs)
          : undefined;
      req.on('error', (err) => settle(() => reject(err)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => settle(() => resolve({ res, text: Buffer.concat(chunks).toString('utf8') })));
        res.on('error', (err) => settle(() => reject(err)));
        // An answer cut short (the timeout destroyed the socket, or the server dropped it).
        res.on('close', () => settle(() => reject(res.complete ? new Error('closed') : new Error('the connection closed before the answer was complete'))));
      });
      req.end(payload);
    });
  }

  async list(t: ResourceType, selector: Selector = {}): Promise<ListResult> {
    const q = new URLSearchParams();
    if (selector.labelSelector) q.set('labelSelector', selector.labelSelector);
    if (selector.fieldSelector) q.set('fieldSelector', selector.fieldSelector);
    const query = q.toString();
    const list = (await this.request('GET', collectionPath(t, selector.namespace) + (query ? `?${query}` : ''))) as {
      items: KubeObject[];
      metadata: { resourceVersion: string };
    };
    // Lists omit apiVersion and kind on items; put them back so objects are self-describing.
    const items = list.items.map((o) => ({ ...o, apiVersion: t.apiVersion, kind: t.kind }));
    return { items, resourceVersion: list.metadata.resourceVersion };
  }

  /** Starts a watch; `done` is called once when it ends, with the error if it failed. */
  watch(
    t: ResourceType,
    selector: Selector & { resourceVersion: string },
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const query: Record<string, string> = { resourceVersion: selector.resourceVersion, allowWatchBookmarks: 'true' };
    if (selector.labelSelector) query.labelSelector = selector.labelSelector;
    if (selector.fieldSelector) query.fieldSelector = selector.fieldSelector;
    this.stats.requests++;
    this.stats.watches++;
    return this.openWatch(collectionPath(t, selector.namespace), query, onEvent, done);
  }

  /**
   * As client-node's Watch: one JSON event a line; `done` once, with an error carrying statusCode
   * when the server refused the watch (a 410 then means relist). Aborting ends it.
   */
  private async openWatch(path: string, query: Record<string, string>, onEvent: (type: WatchEventType, object: KubeObject) => void, done: (err: unknown) => void): Promise<AbortController> {
    const controller = new AbortController();
    let ended = false;
    const end = (err: unknown) => {
      if (ended) return;
      ended = true;
      controller.abort();
      done(err);
    };
    try {
      // Watches are long-lived: not rate limited (as the flags say), but they wait out a pause.
      await this.waitForPause();
      const url = `${this.server()}${path}?${new URLSearchParams({ watch: 'true', ...query })}`;
      const init = await this.config.applyToFetchOptions({});
      const options = { method: 'GET', headers: { ...plainHeaders(init.headers), Accept: 'application/json' }, agent: init.agent as http.Agent | undefined };
      const req = (url.startsWith('https:') ? https : http).request(url, options);
      // Not the `signal` option: an abort after the response ended would destroy, with an error no
      // one listens to, the socket a keep-alive agent already took back.
      let complete = false;
      controller.signal.addEventListener('abort', () => complete || req.destroy(), { once: true });
      // A server that never starts streaming would hold the informer until its watch timeout (5 min).
      const headersTimer =
        this.timeoutMs > 0
          ? this.clock.setTimeout(() => {
              this.stats.timeouts++;
              req.destroy(new RequestTimeoutError(`watch ${path}: no answer within ${this.timeoutMs} ms`));
            }, this.timeoutMs)
          : undefined;
      const clearHeadersTimer = () => headersTimer !== undefined && this.clock.clearTimeout(headersTimer);
      req.on('error', (err) => {
        clearHeadersTimer();
        end(err);
      });
      req.on('response', (res) => {
        clearHeadersTimer();
        res.socket?.setKeepAlive(true, 30_000);
        res.on('error', end);
        res.on('end', () => {
          complete = true;
          end(null);
        });
        res.on('close', () => end(null));
        if (res.statusCode !== 200) {
          res.resume();
          const wait = retryAfterMs(res, res.statusCode ?? 0, this.clock.now());
          if (wait !== undefined) {
            this.stats.throttled++;
            this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + wait);
            this.options.onThrottled?.({ method: 'GET', path, status: res.statusCode ?? 0, retryAfterMs: wait, waited: true, ...apfHeaders(res) });
          }
          const err = new Error(res.statusMessage || http.STATUS_CODES[res.statusCode ?? 500] || 'Internal Server Error');
          end(Object.assign(err, { statusCode: res.statusCode, ...(wait !== undefined ? { retryAfterMs: wait } : {}) }));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const lines = (buffered + chunk).split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            if (ended) return;
            if (!line.trim()) continue;
            let event: { type: WatchEventType; object: KubeObject };
            try {
              event = JSON.parse(line);
            } catch {
              continue; // as client-node: a line that is not JSON is skipped
            }
            onEvent(event.type, event.object);
          }
        });
      });
      req.end();
    } catch (err) {
      end(err);
    }
    return controller;
  }

  async get(t: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return (await this.request('GET', objectPath(t, namespace, name))) as KubeObject;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Server-side apply with the operator's one field manager, taking ownership on conflict. */
  async apply(t: ResourceType, obj: KubeObject): Promise<KubeObject> {
    const path = `${objectPath(t, obj.metadata.namespace, obj.metadata.name)}?fieldManager=${FIELD_MANAGER}&force=true`;
    return (await this.request('PATCH', path, obj, 'application/apply-patch+yaml')) as KubeObject;
  }

  async create(t: ResourceType, obj: KubeObject): Promise<KubeObject> {
    return (await this.request('POST', `${collectionPath(t, obj.metadata.namespace)}?fieldManager=${FIELD_MANAGER}`, obj)) as KubeObject;
  }

  async replace(t: ResourceType, obj: KubeObject): Promise<KubeObject> {
    return (await this.request('PUT', `${objectPath(t, obj.metadata.namespace, obj.metadata.name)}?fieldManager=${FIELD_MANAGER}`, obj)) as KubeObject;
  }

  /** Deletes; a missing object is not an error. Background propagation lets the garbage collector remove dependents. */
  async delete(t: ResourceType, namespace: string | undefined, name: string, propagationPolicy: 'Background' | 'Foreground' | 'Orphan' = 'Background'): Promise<void> {
    try {
      await this.request('DELETE', objectPath(t, namespace, name), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }

  /**
   * Server-side applies the status subresource (the spec cannot be touched through it). Apply, not
   * a merge patch: fields the operator stops reporting (a healed component in unhealthyComponents)
   * are removed, where a merge patch would leave them behind.
   */
  async applyStatus(t: ResourceType, namespace: string, name: string, status: unknown): Promise<KubeObject> {
    const body = { apiVersion: t.apiVersion, kind: t.kind, metadata: { name, namespace }, status };
    return (await this.request('PATCH', `${objectPath(t, namespace, name)}/status?fieldManager=${FIELD_MANAGER}&force=true`, body, 'application/apply-patch+yaml')) as KubeObject;
  }

  async mergePatch(t: ResourceType, namespace: string | undefined, name: string, patch: unknown): Promise<KubeObject> {
    return (await this.request('PATCH', objectPath(t, namespace, name), patch, 'application/merge-patch+json')) as KubeObject;
  }

  /** Raw GET for discovery documents (/apis, /apis/<group>/<version>). */
  async getPath(path: string): Promise<unknown> {
    return this.request('GET', path);
  }

  /** Raw POST, for subresources that create something else (a ServiceAccount's TokenRequest). */
  async post(path: string, body: unknown): Promise<unknown> {
    return this.request('POST', path, body);
  }
}

/**
 * The headers KubeConfig puts on a request (the bearer token among them) as a plain object. In
 * client-node 1.x they come as a WHATWG `Headers`, whose entries a spread does not copy: a token
 * kubeconfig, and so every in-cluster ServiceAccount, would send no credentials at all.
 */
export function plainHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (typeof (h as { forEach?: unknown }).forEach === 'function' && !Array.isArray(h)) {
    (h as { forEach(cb: (value: string, key: string) => void): void }).forEach((value, key) => {
      out[key] = value;
    });
    return out;
  }
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
