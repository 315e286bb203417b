// Client-side rate limiting of API requests, as client-go's flowcontrol token bucket (`--kube-api-qps`,
// `--kube-api-burst`): a bucket holds up to `burst` tokens and refills at `qps` a second; every
// request takes one, waiting its turn (first come, first served) when the bucket is empty.
// The server's own "wait" answers (429 from API Priority and Fairness, a 5xx with Retry-After) are
// read here too; kube-client.ts waits them out, with or without a limit.
import type * as http from 'node:http';
import { Clock, realClock } from './workqueue';

/** A Retry-After longer than this is taken as this (a misbehaving proxy must not stall the operator). */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * A "wait" answer: API Priority and Fairness's 429 names, by UID (X-Kubernetes-PF-FlowSchema-UID,
 * X-Kubernetes-PF-PriorityLevel-UID), the flow schema and priority level that rejected it.
 */
export interface ThrottleInfo {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly retryAfterMs: number;
  /** Waited out and sent again; false when the answer is the error (the lease's client, a write that may have happened, retries used up). */
  readonly waited: boolean;
  readonly flowSchemaUID?: string;
  readonly priorityLevelUID?: string;
}

export interface RateLimiterOptions {
  /** Requests a second, sustained (> 0). */
  readonly qps: number;
  /** Requests that may go at once after a quiet spell (>= 1). */
  readonly burst: number;
  readonly clock?: Clock;
}

export class TokenBucket {
  private readonly clock: Clock;
  private readonly qps: number;
  private readonly burst: number;
  /** Tokens at `updatedAt`; negative when requests have reserved tokens not yet refilled. */
  private tokens: number;
  private updatedAt: number;
  /** Requests waiting (for stats and tests). */
  private waitingCount = 0;

  constructor(options: RateLimiterOptions) {
    if (!(options.qps > 0) || !Number.isFinite(options.qps)) throw new Error(`qps must be a positive number, got ${options.qps}`);
    if (!(options.burst >= 1) || !Number.isInteger(options.burst)) throw new Error(`burst must be a whole number of at least 1, got ${options.burst}`);
    this.clock = options.clock ?? realClock;
    this.qps = options.qps;
    this.burst = options.burst;
    this.tokens = options.burst;
    this.updatedAt = this.clock.now();
  }

  /** Requests waiting for a token. */
  get waiting(): number {
    return this.waitingCount;
  }

  /**
   * Takes a token, reserving one from the future when the bucket is empty, and resolves when the
   * request may go. Reservations are made at call time, so waiters go in the order they came.
   */
  async take(): Promise<void> {
    const now = this.clock.now();
    this.refill(now);
    this.tokens -= 1;
    // A deficit of d tokens is refilled in d/qps seconds.
    const delay = this.tokens < 0 ? Math.ceil((-this.tokens / this.qps) * 1000) : 0;
    if (delay === 0) return;
    this.waitingCount++;
    try {
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delay));
    } finally {
      this.waitingCount--;
    }
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.qps);
    this.updatedAt = now;
  }
}

/** RFC 9110's preferred HTTP date, the only one accepted: "Sun, 06 Nov 1994 08:49:37 GMT". */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * How long the server asks the client to wait before sending the request again, in ms: a 429 (with
 * or without Retry-After: 1 s then), or a 5xx with Retry-After (seconds, or an HTTP date). Undefined
 * when the answer is not a "wait". Retry-After is whole seconds or an IMF-fixdate, nothing else:
 * Date.parse would take "1.5", "-1" or "0.5" for dates in 2001, a wait of 0, so a 429 would be sent
 * again at once. Any other value counts as none (a 429 then waits 1 s).
 */
export function retryAfterMs(res: { headers: http.IncomingHttpHeaders }, code: number, now: number): number | undefined {
  if (code !== 429 && !(code >= 500 && code <= 599)) return undefined;
  const header = res.headers['retry-after'];
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  let ms: number | undefined;
  if (value !== undefined && /^\d+$/.test(value)) ms = Number(value) * 1000;
  else if (value !== undefined && IMF_FIXDATE.test(value)) {
    const at = Date.parse(value);
    if (!isNaN(at)) ms = Math.max(0, at - now);
  }
  if (ms === undefined) return code === 429 ? 1000 : undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** API Priority and Fairness's answer headers: the UIDs (not names) of the flow schema and priority level that took the request. */
export function apfHeaders(res: { headers: http.IncomingHttpHeaders }): { flowSchemaUID?: string; priorityLevelUID?: string } {
  const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
  const flowSchemaUID = one(res.headers['x-kubernetes-pf-flowschema-uid']);
  const priorityLevelUID = one(res.headers['x-kubernetes-pf-prioritylevel-uid']);
  return { ...(flowSchemaUID ? { flowSchemaUID } : {}), ...(priorityLevelUID ? { priorityLevelUID } : {}) };
}
