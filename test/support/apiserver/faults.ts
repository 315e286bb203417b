// Faults a test injects into the fake API server (server.ts consults them for every request):
// - fail: answer the next N matching requests with an error status (500, 409, 429 with Retry-After
//   and API Priority and Fairness's headers, 503 ...) without processing them;
// - hold: never answer the next N matching requests, as a server or network that hangs: either
//   without processing them, or after processing them (a write that happened, whose answer is lost);
// - latency: every request waits this long before it is handled (a slow server);
// - down: every connection is dropped, open ones included, until a time (a server restarting).
// Requests are matched by verb as the API server's RequestInfo names it (with `apply` for
// server-side apply patches), subresource, method and path.

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete' | 'deletecollection';

export interface FailMatch {
  readonly method?: string;
  /** Matched against path + '?' + query. */
  readonly pathIncludes?: string;
  /** Not the requests whose path + '?' + query includes this (e.g. the leader election's Lease). */
  readonly excludePathIncludes?: string;
  /** The request's verb; a non-resource GET (discovery) is a `get`. */
  readonly verb?: Verb;
  /** '' for the main resource only, 'status' for the status subresource; any when absent. */
  readonly subresource?: string;
  /** Only requests of this user (e.g. the operator's ServiceAccount). */
  readonly user?: string;
}

/** What a request looks like to the matcher. */
export interface MatchedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly verb: Verb | string;
  readonly subresource: string;
  readonly user: string;
}

export type FaultAction = { readonly kind: 'fail'; readonly status: number; readonly retryAfter?: number } | { readonly kind: 'hold'; readonly process: boolean };

/** An armed fault: how many matching requests it still takes, and how many it took. */
export interface FaultHandle {
  readonly match: FailMatch;
  readonly action: FaultAction;
  remaining: number;
  fired: number;
}

/** API Priority and Fairness's answer headers, with the UIDs of the objects that classified the request. */
export const APF_HEADERS = {
  'X-Kubernetes-PF-FlowSchema-UID': '5f0d3bba-0c7a-4b9b-8d27-4b7e0e3f0a01',
  'X-Kubernetes-PF-PriorityLevel-UID': 'a3b8f0c2-7c57-4e0e-9d6a-2f8e1c0b7d02',
};

export class Faults {
  private readonly armed: FaultHandle[] = [];
  /** Every request waits this long first (ms). */
  latencyMs = 0;
  /** Connections are dropped until this time (ms since the epoch). */
  private downUntil = 0;

  arm(match: FailMatch, action: FaultAction, count: number): FaultHandle {
    const handle: FaultHandle = { match, action, remaining: count, fired: 0 };
    if (count > 0) this.armed.push(handle);
    return handle;
  }

  /** Disarms every fault not fired yet (the handles keep their counts). */
  clear(): void {
    for (const h of this.armed) h.remaining = 0;
    this.armed.length = 0;
    this.latencyMs = 0;
    this.downUntil = 0;
  }

  /** The first armed fault matching the request, counted as fired; undefined for none. */
  take(r: MatchedRequest): FaultHandle | undefined {
    const h = this.armed.find((f) => f.remaining > 0 && matches(f.match, r));
    if (!h) return undefined;
    h.remaining--;
    h.fired++;
    if (h.remaining === 0) this.armed.splice(this.armed.indexOf(h), 1);
    return h;
  }

  goDown(ms: number): void {
    this.downUntil = Math.max(this.downUntil, Date.now() + ms);
  }

  bringUp(): void {
    this.downUntil = 0;
  }

  isDown(): boolean {
    return Date.now() < this.downUntil;
  }
}

function matches(m: FailMatch, r: MatchedRequest): boolean {
  if (m.method && m.method.toUpperCase() !== r.method) return false;
  if (m.pathIncludes && !`${r.path}?${r.query}`.includes(m.pathIncludes)) return false;
  if (m.excludePathIncludes && `${r.path}?${r.query}`.includes(m.excludePathIncludes)) return false;
  if (m.verb && m.verb !== r.verb) return false;
  if (m.subresource !== undefined && m.subresource !== r.subresource) return false;
  if (m.user && m.user !== r.user) return false;
  return true;
}
