// An informer for one resource type and selector, after client-go's reflector + indexer:
// list, then watch from the list's resourceVersion, keeping a cache (./store.ts) and telling handlers of
// adds, updates and deletes.
// - A watch that expires (HTTP 410, or an ERROR event with code 410) relists: objects gone from the
//   new list are deleted (onDelete), changed ones (by resourceVersion) updated, new ones added.
// - Any other error, or a stream the server closed, re-watches from the last resourceVersion seen,
//   after a backoff (1 s doubling to 30 s by default) that a successful event resets; never sooner
//   than a 429's Retry-After. Watching from
//   that version replays what happened in between, so no event is lost.
// - BOOKMARK events only advance the resourceVersion.
// - A watch open for watchTimeoutMs (5 min) is restarted from the last resourceVersion, so a
//   connection that died without a reset cannot stall the informer.
// - transform(obj) trims objects before they are cached (e.g. Secret data the operator never reads).
// - resyncMs re-delivers every cached object as an update (old === new) so drift is reconciled
//   even when nothing changes in the API.
import { KubeObject } from '../../synth';
import { KubeClient, Selector, WatchEventType } from '../kube-client';
import { ResourceType } from '../resources';
import { Logger, silentLogger } from './logger';
import { ObjectStore, keyOf, objectKey } from './store';
import { Clock, realClock } from './workqueue';

export interface InformerOptions {
  readonly client: KubeClient;
  readonly type: ResourceType;
  readonly selector?: Selector;
  /** Trims an object before it is cached and handed to handlers. Must not mutate its input. */
  readonly transform?: (obj: KubeObject) => KubeObject;
  /** Re-delivers every cached object as onUpdate(obj, obj) this often (0 or absent: never). */
  readonly resyncMs?: number;
  /**
   * Ends and reopens (from the last resourceVersion, at once) a watch this old, so a connection
   * that died silently (no RST, no events) is noticed: client-node 1.4 has no read timeout.
   * Default 5 min; 0 disables.
   */
  readonly watchTimeoutMs?: number;
  /** Re-watch backoff: initial delay (default 1 s), doubled after each failure up to maxMs (30 s). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface EventHandlers {
  onAdd?(obj: KubeObject): void;
  onUpdate?(oldObj: KubeObject, newObj: KubeObject): void;
  onDelete?(obj: KubeObject): void;
}

/** Counts of what the informer did (metrics, tests). */
export interface InformerStats {
  lists: number;
  watches: number;
  events: number;
  relists410: number;
  rewatches: number;
}

function resourceVersionOf(obj: { metadata?: { resourceVersion?: unknown } } | undefined): string | undefined {
  const rv = obj?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

/** True for a 410 Gone: an ApiError (status), client-node's watch error (statusCode), or a Status object (code). */
export function isGone(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown };
  return e.status === 410 || e.statusCode === 410 || e.code === 410;
}

type Phase = 'idle' | 'listing' | 'watching' | 'waiting' | 'stopped';

export class Informer {
  readonly stats: InformerStats = { lists: 0, watches: 0, events: 0, relists410: 0, rewatches: 0 };
  private readonly cache = new ObjectStore();
  private readonly handlers = new Set<EventHandlers>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private backoffMs: number;
  private rv = '';
  private synced = false;
  private phase: Phase = 'idle';
  /** Bumped for every watch attempt; callbacks of an older attempt are ignored. */
  private generation = 0;
  private abort?: AbortController;
  private retryTimer?: unknown;
  private watchTimer?: unknown;
  private resyncTimer?: unknown;
  private syncWaiters: ((synced: boolean) => void)[] = [];

  constructor(private readonly options: InformerOptions) {
    this.clock = options.clock ?? realClock;
    this.log = (options.logger ?? silentLogger).child({ informer: options.type.kind, namespace: options.selector?.namespace ?? '' });
    this.initialBackoffMs = options.backoff?.initialMs ?? 1000;
    this.maxBackoffMs = options.backoff?.maxMs ?? 30_000;
    this.backoffMs = this.initialBackoffMs;
  }

  /** Registers handlers; returns a function that unregisters them. */
  addEventHandler(handlers: EventHandlers): () => void {
    this.handlers.add(handlers);
    return () => this.handlers.delete(handlers);
  }

  onAdd(fn: (obj: KubeObject) => void): () => void {
    return this.addEventHandler({ onAdd: fn });
  }

  onUpdate(fn: (oldObj: KubeObject, newObj: KubeObject) => void): () => void {
    return this.addEventHandler({ onUpdate: fn });
  }

  onDelete(fn: (obj: KubeObject) => void): () => void {
    return this.addEventHandler({ onDelete: fn });
  }

  /** Starts listing and watching in the background; see waitForSync(). */
  start(): void {
    if (this.phase !== 'idle') throw new Error(`informer for ${this.options.type.kind} already started`);
    void this.relist();
    this.scheduleResync();
  }

  /** Stops watching (aborts the request) and all timers. The cache stays readable. */
  stop(): void {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    this.generation++;
    this.abort?.abort();
    this.abort = undefined;
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    if (this.watchTimer !== undefined) this.clock.clearTimeout(this.watchTimer);
    this.retryTimer = this.resyncTimer = this.watchTimer = undefined;
    this.resolveSyncWaiters(false);
  }

  isStopped(): boolean {
    return this.phase === 'stopped';
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once the first list is cached, false if the informer stops before that. */
  waitForSync(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.phase === 'stopped') return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The last resourceVersion seen (list, event or bookmark). */
  get resourceVersion(): string {
    return this.rv;
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.cache.get(objectKey(namespace, name));
  }

  /** Cached objects, of one namespace or all, ordered by namespace/name. */
  list(namespace?: string): KubeObject[] {
    return this.cache.list(namespace);
  }

  size(): number {
    return this.cache.size();
  }

  // --- list and watch -------------------------------------------------------------------------

  private async relist(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'listing';
    const generation = ++this.generation;
    let result;
    try {
      this.stats.lists++;
      result = await this.options.client.list(this.options.type, this.options.selector ?? {});
    } catch (err) {
      if (generation !== this.generation) return;
      this.log.warn('list failed', { err, retryInMs: this.backoffMs });
      this.retryAfterBackoff(() => void this.relist());
      return;
    }
    if (generation !== this.generation) return;
    this.replace(result.items);
    this.rv = result.resourceVersion;
    this.backoffMs = this.initialBackoffMs;
    if (!this.synced) {
      this.synced = true;
      this.resolveSyncWaiters(true);
    }
    void this.watch();
  }

  /** Replaces the cache with a fresh list, telling handlers what changed. */
  private replace(items: KubeObject[]): void {
    const fresh = new Map<string, KubeObject>();
    for (const item of items) {
      const obj = this.transform(item);
      fresh.set(keyOf(obj), obj);
    }
    for (const [key, old] of this.cache.entries()) {
      if (!fresh.has(key)) {
        this.cache.delete(key, old);
        this.emit((h) => h.onDelete?.(old));
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit((h) => h.onAdd?.(obj));
      else if (resourceVersionOf(old) !== resourceVersionOf(obj) || resourceVersionOf(obj) === undefined) this.emit((h) => h.onUpdate?.(old, obj));
    }
  }

  private async watch(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'watching';
    const generation = ++this.generation;
    this.stats.watches++;
    let controller: AbortController;
    try {
      controller = await this.options.client.watch(
        this.options.type,
        { ...this.options.selector, resourceVersion: this.rv },
        (type, obj) => {
          if (generation === this.generation) this.onEvent(generation, type, obj);
        },
        (err) => {
          if (generation === this.generation) this.onWatchEnd(err);
        },
      );
    } catch (err) {
      // The request could not even be made (e.g. no cluster in the kubeconfig).
      if (generation === this.generation) this.onWatchEnd(err ?? new Error('watch failed'));
      return;
    }
    if (generation !== this.generation) {
      controller.abort(); // stopped, or moved on, while the request was being made
      return;
    }
    this.abort = controller;
    const timeout = this.options.watchTimeoutMs ?? 5 * 60_000;
    if (timeout > 0) {
      this.watchTimer = this.clock.setTimeout(() => {
        this.watchTimer = undefined;
        if (generation !== this.generation) return;
        this.log.debug('restarting the watch', { resourceVersion: this.rv });
        this.endWatch(generation);
        void this.watch();
      }, timeout);
    }
  }

  private onEvent(generation: number, type: WatchEventType, obj: KubeObject): void {
    this.stats.events++;
    if (type === 'ERROR') {
      const status = obj as unknown as { code?: number; reason?: string; message?: string };
      this.endWatch(generation);
      if (isGone(status)) {
        this.log.info('watch expired, relisting', { resourceVersion: this.rv, reason: status.reason });
        this.stats.relists410++;
        void this.relist();
      } else {
        this.log.warn('watch error event', { code: status.code, reason: status.reason, message: status.message, retryInMs: this.backoffMs });
        this.rewatchAfterBackoff();
      }
      return;
    }
    // A good event: the connection works, reset the backoff.
    this.backoffMs = this.initialBackoffMs;
    const rv = resourceVersionOf(obj);
    if (type === 'BOOKMARK') {
      if (rv) this.rv = rv;
      return;
    }
    if (!obj?.metadata?.name) return;
    const item = this.transform(obj);
    const key = keyOf(item);
    if (type === 'DELETED') {
      const old = this.cache.get(key);
      this.cache.delete(key, old ?? item);
      this.emit((h) => h.onDelete?.(old ?? item));
    } else {
      const old = this.cache.get(key);
      this.cache.set(key, item);
      if (old) this.emit((h) => h.onUpdate?.(old, item));
      else this.emit((h) => h.onAdd?.(item));
    }
    if (rv) this.rv = rv;
  }

  private onWatchEnd(err: unknown): void {
    const generation = this.generation;
    this.endWatch(generation);
    if (this.phase === 'stopped') return;
    if (isGone(err)) {
      this.log.info('watch expired, relisting', { resourceVersion: this.rv });
      this.stats.relists410++;
      void this.relist();
      return;
    }
    // A 429 (API Priority and Fairness) says how long to wait: never sooner than that.
    const retryAfter = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    if (typeof retryAfter === 'number') this.backoffMs = Math.max(this.backoffMs, retryAfter);
    if (err) this.log.warn('watch failed', { err, retryInMs: this.backoffMs });
    else this.log.debug('watch closed', { retryInMs: this.backoffMs });
    this.rewatchAfterBackoff();
  }

  /** Forgets the current watch (its later callbacks are ignored) and aborts its request. */
  private endWatch(generation: number): void {
    if (generation !== this.generation) return;
    this.generation++;
    if (this.watchTimer !== undefined) this.clock.clearTimeout(this.watchTimer);
    this.watchTimer = undefined;
    const abort = this.abort;
    this.abort = undefined;
    abort?.abort();
  }

  private rewatchAfterBackoff(): void {
    this.stats.rewatches++;
    this.retryAfterBackoff(() => void this.watch());
  }

  private retryAfterBackoff(fn: () => void): void {
    if (this.phase === 'stopped') return;
    this.phase = 'waiting';
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
    const generation = ++this.generation;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (generation === this.generation && this.phase !== 'stopped') fn();
    }, delay);
  }

  private scheduleResync(): void {
    const every = this.options.resyncMs;
    if (!every || every <= 0 || this.phase === 'stopped') return;
    this.resyncTimer = this.clock.setTimeout(() => {
      this.resyncTimer = undefined;
      if (this.phase === 'stopped') return;
      if (this.synced) for (const obj of this.list()) this.emit((h) => h.onUpdate?.(obj, obj));
      this.scheduleResync();
    }, every);
  }

  private transform(obj: KubeObject): KubeObject {
    const t = this.options.transform;
    return t ? t(obj) : obj;
  }

  private emit(call: (h: EventHandlers) => void): void {
    for (const h of [...this.handlers]) {
      try {
        call(h);
      } catch (err) {
        this.log.error('event handler failed', { err });
      }
    }
  }

  private resolveSyncWaiters(synced: boolean): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w(synced);
  }
}
