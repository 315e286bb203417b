// A small Kubernetes client on @kubernetes/client-node's KubeConfig (authentication, TLS) and
// Watch. Requests carry the plain JSON we render: client-node's typed serializer drops fields it
// does not know (ecosystem.md §0 F), so writes are raw requests, server-side apply included.
import { KubeConfig, Watch } from '@kubernetes/client-node';
import fetch, { RequestInit } from 'node-fetch';
import { KubeObject } from '../synth';
import { ResourceType, collectionPath, objectPath } from './resources';

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
  requests: number;
  writes: number;
  bytesSent: number;
}

export class KubeClient {
  readonly stats: RequestStats = { requests: 0, writes: 0, bytesSent: 0 };
  private readonly watcher: Watch;

  constructor(readonly config: KubeConfig) {
    this.watcher = new Watch(config);
  }

  private server(): string {
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    return cluster.server.replace(/\/$/, '');
  }

  private async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const init = (await this.config.applyToFetchOptions({})) as RequestInit;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { ...plainHeaders(init.headers), Accept: 'application/json', ...(payload ? { 'Content-Type': contentType } : {}) };
    this.stats.requests++;
    if (method !== 'GET') this.stats.writes++;
    this.stats.bytesSent += payload?.length ?? 0;
    const res = await fetch(this.server() + path, { ...init, method, headers, body: payload });
    const text = await res.text();
    const json = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const status = json as { reason?: string; message?: string } | undefined;
      const serverMessage = status?.message ?? text.slice(0, 200);
      throw new ApiError(res.status, status?.reason ?? res.statusText, `${method} ${path}: ${res.status} ${serverMessage}`, serverMessage);
    }
    return json;
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
    return this.watcher.watch(collectionPath(t, selector.namespace), query, (type: string, obj: KubeObject) => onEvent(type as WatchEventType, obj), done);
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
