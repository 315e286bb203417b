// Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection package.
// - A candidate takes the lease when it is absent, has no holder, has expired
//   (renewTime + leaseDurationSeconds < now), or is already its own.
// - Every write carries the resourceVersion that was read (PUT through KubeClient.replace), so of two
//   candidates racing for the same lease one gets 409 Conflict and stays a follower.
// - The leader renews every retryPeriod. It steps down (onStoppedLeading) when the lease turns out
//   to be held by someone else, or when it has not managed to renew for renewDeadlineSeconds, which
//   is shorter than the lease duration, so it stops acting before another replica may take over.
//   The deadline counts from the start of the last renewal that went through (the renewTime it
//   wrote, which is what other replicas go by), and an attempt still without an answer then is given
//   up, as client-go's context.WithTimeout(RenewDeadline): a hung request must not keep a leader
//   leading. The attempt given up is waited for (its requests end with the client's timeout, which
//   run.ts keeps within the deadline) before the next one; its late answer counts for nothing.
// - stop() releases the lease (holderIdentity ''), so the next replica takes over at once.
// After losing the lease the elector goes back to being a candidate; a process that would rather
// exit (like controller-runtime's managers) does so from onStoppedLeading.
import { KubeObject } from '../../synth';
import { ApiError, KubeClient } from '../kube-client';
import { ResourceType } from '../resources';
import { Logger, silentLogger } from './logger';
import { Clock, realClock } from './workqueue';

export const LEASE: ResourceType = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true };

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  metadata: KubeObject['metadata'] & { resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  /** Unique per replica, e.g. the pod name. */
  readonly identity: string;
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineSeconds?: number;
  readonly retryPeriodSeconds?: number;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  /** Told when the observed holder changes (including to ''), for logs. */
  readonly onNewLeader?: (identity: string) => void;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds, UTC, e.g. 2026-11-21T06:00:00.000000Z. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Milliseconds since the epoch of a MicroTime or RFC 3339 time, NaN if unparseable. */
export function parseMicroTime(s: string | undefined): number {
  if (!s) return NaN;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return NaN;
  const ms = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  return Date.parse(`${m[1]}.${ms}${m[3]}`);
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leader = false;
  private running = false;
  private timer?: unknown;
  private lastRenewAt = 0;
  private observedHolder?: string;
  /** The attempt in progress, so stop() can wait for it before releasing. */
  private attempt?: Promise<unknown>;

  constructor(private readonly options: LeaderElectorOptions) {
    this.clock = options.clock ?? realClock;
    this.log = (options.logger ?? silentLogger).child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
    this.leaseDurationMs = (options.leaseDurationSeconds ?? 15) * 1000;
    this.renewDeadlineMs = (options.renewDeadlineSeconds ?? 10) * 1000;
    this.retryPeriodMs = (options.retryPeriodSeconds ?? 2) * 1000;
    if (!options.identity) throw new Error('leader election needs an identity');
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) throw new Error('leaseDurationSeconds must be greater than renewDeadlineSeconds');
    if (!(this.renewDeadlineMs > this.retryPeriodMs)) throw new Error('renewDeadlineSeconds must be greater than retryPeriodSeconds');
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** The holder seen in the lease at the last attempt ('' for none). */
  getLeader(): string | undefined {
    return this.observedHolder;
  }

  /** Starts trying to acquire, then renewing, every retryPeriod. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  /** Stops the loop; a leader releases the lease (unless release is false) and steps down. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.attempt?.catch(() => undefined);
    if (options.release ?? true) await this.release();
    else this.stepDown();
  }

  /**
   * One attempt: reads the lease and takes or renews it if allowed. Returns whether this candidate
   * holds the lease afterwards. Errors (network, 409 Conflict) count as not holding it.
   */
  tryAcquireOrRenew(): Promise<boolean> {
    return this.acquireOrRenew(this.clock.now());
  }

  /** One attempt at `now`, the renewTime it writes. */
  private async acquireOrRenew(now: number): Promise<boolean> {
    const { client, namespace, name, identity } = this.options;
    const nowTime = formatMicroTime(now);
    let lease: Lease | undefined;
    try {
      lease = (await client.get(LEASE, namespace, name)) as Lease | undefined;
    } catch (err) {
      this.log.warn('reading the lease failed', { err });
      return false;
    }
    if (!lease) {
      const fresh: Lease = {
        apiVersion: LEASE.apiVersion,
        kind: LEASE.kind,
        metadata: { name, namespace },
        spec: { holderIdentity: identity, leaseDurationSeconds: this.leaseDurationMs / 1000, acquireTime: nowTime, renewTime: nowTime, leaseTransitions: 0 },
      };
      return this.write(() => client.create(LEASE, fresh), 'creating');
    }
    this.observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const ours = holder === identity;
    if (holder && !ours && !this.expired(spec, now)) return false;
    const updated: Lease = {
      ...lease,
      metadata: { ...lease.metadata, resourceVersion: lease.metadata.resourceVersion },
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: this.leaseDurationMs / 1000,
        renewTime: nowTime,
        acquireTime: ours ? spec.acquireTime ?? nowTime : nowTime,
        leaseTransitions: ours ? spec.leaseTransitions ?? 0 : (spec.leaseTransitions ?? 0) + (holder ? 1 : 0),
      },
    };
    return this.write(() => client.replace(LEASE, updated), ours ? 'renewing' : 'acquiring');
  }

  /**
   * Gives the lease up if this candidate holds it: holderIdentity '' so another replica can take it
   * at once. Steps down (onStoppedLeading) if it was leading. Returns whether a lease was released.
   */
  async release(): Promise<boolean> {
    const { client, namespace, name, identity } = this.options;
    let released = false;
    try {
      const lease = (await client.get(LEASE, namespace, name)) as Lease | undefined;
      if (lease && lease.spec?.holderIdentity === identity) {
        const now = formatMicroTime(this.clock.now());
        const updated = await client.replace(LEASE, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } });
        this.observe(updated as Lease);
        released = true;
        this.log.info('released the lease');
      }
    } catch (err) {
      this.log.warn('releasing the lease failed; it will expire', { err });
    }
    this.stepDown();
    return released;
  }

  private expired(spec: LeaseSpec, now: number): boolean {
    const renewed = parseMicroTime(spec.renewTime ?? spec.acquireTime);
    if (isNaN(renewed)) return true;
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    return renewed + durationMs < now;
  }

  private async write(call: () => Promise<KubeObject>, what: string): Promise<boolean> {
    try {
      this.observe((await call()) as Lease);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) this.log.debug(`${what} the lease lost a race`, { status: 409 });
      else this.log.warn(`${what} the lease failed`, { err });
      return false;
    }
  }

  private observe(lease: Lease): void {
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      try {
        this.options.onNewLeader?.(holder);
      } catch (err) {
        this.log.error('onNewLeader failed', { err });
      }
    }
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const startedAt = this.clock.now();
    if (this.leader && startedAt - this.lastRenewAt >= this.renewDeadlineMs) {
      this.log.warn('lost the lease', { holder: this.observedHolder, sinceRenewMs: startedAt - this.lastRenewAt });
      this.stepDown();
    }
    const attempt = this.acquireOrRenew(startedAt);
    this.attempt = attempt;
    // A leader must renew by lastRenewAt + renewDeadline. A candidate's write lands with the renewTime
    // it started at: an answer later than the deadline leaves too little of the lease to lead on.
    const deadline = (this.leader ? this.lastRenewAt : startedAt) + this.renewDeadlineMs;
    const outcome = await this.beforeDeadline(attempt, deadline);
    if (outcome === 'deadline') {
      if (this.leader) {
        this.log.warn('lost the lease: no answer to the renewal by the renew deadline', { holder: this.observedHolder, sinceRenewMs: this.clock.now() - this.lastRenewAt });
        this.stepDown();
      } else this.log.warn('gave up acquiring the lease: no answer by the renew deadline');
      // Not a second attempt beside this one: it ends with the client's timeout.
      await attempt.catch(() => false);
    }
    this.attempt = undefined;
    // stop() was called meanwhile: it releases the lease (by holder, so also one this attempt just took).
    if (!this.running) return;
    const ok = outcome === true;
    const now = this.clock.now();
    if (ok) {
      this.lastRenewAt = startedAt;
      if (!this.leader) {
        this.leader = true;
        this.log.info('became the leader');
        this.callback(this.options.onStartedLeading, 'onStartedLeading');
      }
    } else if (this.leader) {
      const takenOver = !!this.observedHolder && this.observedHolder !== this.options.identity;
      if (takenOver || now - this.lastRenewAt >= this.renewDeadlineMs) {
        this.log.warn('lost the lease', { holder: this.observedHolder, sinceRenewMs: now - this.lastRenewAt });
        this.stepDown();
      }
    }
    // A leader that could not renew tries again by its deadline at the latest, and steps down then if need be.
    const next = this.leader ? Math.min(this.retryPeriodMs, this.lastRenewAt + this.renewDeadlineMs - now) : this.retryPeriodMs;
    if (this.running) this.timer = this.clock.setTimeout(() => void this.tick(), next);
  }

  /** The attempt's result, or 'deadline' when it has none by then (the attempt goes on). */
  private beforeDeadline(attempt: Promise<boolean>, deadline: number): Promise<boolean | 'deadline'> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve('deadline'), Math.max(0, deadline - this.clock.now()));
      const settle = (ok: boolean) => {
        this.clock.clearTimeout(timer);
        resolve(ok);
      };
      attempt.then(settle, () => settle(false));
    });
  }

  private stepDown(): void {
    if (!this.leader) return;
    this.leader = false;
    this.callback(this.options.onStoppedLeading, 'onStoppedLeading');
  }

  private callback(fn: (() => void) | undefined, label: string): void {
    try {
      fn?.();
    } catch (err) {
      this.log.error(`${label} failed`, { err });
    }
  }
}
