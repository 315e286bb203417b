import { KubeObject } from '../../../lib/synth';
import { ApiError, KubeClient } from '../../../lib/controller/kube-client';
import { LEASE, LeaderElector, Lease, formatMicroTime, parseMicroTime } from '../../../lib/controller/runtime/leader-election';
import { ResourceType } from '../../../lib/controller/resources';
import { FakeApiServer } from '../../support/fake-apiserver';
import { Deferred, ManualClock, capturedLog, deferred, flush, waitFor } from './helpers';

/** The three calls the elector makes, over one in-memory store with resourceVersion preconditions. */
class LeaseStore {
  private readonly objects = new Map<string, KubeObject>();
  private rv = 100;
  failNext: { method: 'get' | 'create' | 'replace'; status: number; count: number } | undefined;
  /** Runs between the elector's read and its write, to simulate a racing writer. */
  beforeWrite?: () => void;
  /** When set, reads wait for it: a server that answers late (or never). */
  slow?: Deferred;

  client(): KubeClient {
    return {
      get: async (_t: ResourceType, ns: string | undefined, name: string) => {
        await this.slow?.promise;
        this.maybeFail('get');
        const o = this.objects.get(`${ns}/${name}`);
        return o && structuredClone(o);
      },
      create: async (_t: ResourceType, obj: KubeObject) => {
        this.beforeWrite?.();
        this.maybeFail('create');
        const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
        if (this.objects.has(key)) throw new ApiError(409, 'AlreadyExists', 'exists');
        return this.store(key, obj);
      },
      replace: async (_t: ResourceType, obj: KubeObject) => {
        this.beforeWrite?.();
        this.maybeFail('replace');
        const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
        const current = this.objects.get(key);
        if (!current) throw new ApiError(404, 'NotFound', 'not found');
        if (obj.metadata.resourceVersion !== current.metadata.resourceVersion) throw new ApiError(409, 'Conflict', 'the object has been modified');
        return this.store(key, obj);
      },
    } as unknown as KubeClient;
  }

  lease(name = 'quay-operator-lock'): Lease | undefined {
    return this.objects.get(`ops/${name}`) as Lease | undefined;
  }

  /** Writes the lease as another party would (bumping the resourceVersion). */
  put(obj: Lease): void {
    this.store(`${obj.metadata.namespace}/${obj.metadata.name}`, obj);
  }

  private store(key: string, obj: KubeObject): KubeObject {
    const stored = structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } });
    this.objects.set(key, stored);
    return structuredClone(stored);
  }

  private maybeFail(method: 'get' | 'create' | 'replace'): void {
    const f = this.failNext;
    if (f && f.method === method && f.count > 0) {
      f.count--;
      throw new ApiError(f.status, 'Injected', `injected ${f.status}`);
    }
  }
}

function elector(store: LeaseStore, clock: ManualClock, identity: string, events: string[]) {
  return new LeaderElector({
    client: store.client(),
    namespace: 'ops',
    name: 'quay-operator-lock',
    identity,
    clock,
    onStartedLeading: () => events.push(`${identity} started`),
    onStoppedLeading: () => events.push(`${identity} stopped`),
  });
}

/** A lease store, a manual clock and the leadership events of the electors made on them. */
function world() {
  const store = new LeaseStore();
  const clock = new ManualClock();
  const events: string[] = [];
  return { store, clock, events, elect: (identity: string) => elector(store, clock, identity, events) };
}

describe('MicroTime', () => {
  it('formats with microseconds in UTC and parses back', () => {
    const t = Date.UTC(2026, 10, 21, 6, 0, 0, 123);
    expect(formatMicroTime(t)).toBe('2026-11-21T06:00:00.123000Z');
    expect(parseMicroTime('2026-11-21T06:00:00.123456Z')).toBe(t);
    expect(parseMicroTime('2026-11-21T06:00:00Z')).toBe(t - 123);
    expect(parseMicroTime('2026-11-21T07:00:00.5+01:00')).toBe(Date.UTC(2026, 10, 21, 6, 0, 0, 500));
    expect(parseMicroTime('yesterday')).toBeNaN();
  });
});

describe('LeaderElector (in-memory lease)', () => {
  it('creates an absent lease and renews it, keeping acquireTime and transitions', async () => {
    const { store, clock, elect } = world();
    const a = elect('pod-a');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(store.lease()).toMatchObject({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'quay-operator-lock', namespace: 'ops' },
      spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, acquireTime: '2026-11-21T06:00:00.000000Z', renewTime: '2026-11-21T06:00:00.000000Z', leaseTransitions: 0 },
    });
    await clock.advance(2000);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(store.lease()?.spec).toMatchObject({ acquireTime: '2026-11-21T06:00:00.000000Z', renewTime: '2026-11-21T06:00:02.000000Z', leaseTransitions: 0 });
  });

  it('one of two candidates wins; the other takes over after release', async () => {
    const { store, clock, events, elect } = world();
    const a = elect('pod-a');
    const b = elect('pod-b');
    a.start();
    await flush();
    b.start();
    await flush();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(b.getLeader()).toBe('pod-a');
    // a keeps renewing; b keeps failing.
    await clock.advance(20_000);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(events).toEqual(['pod-a started']);
    await a.stop();
    expect(store.lease()?.spec?.holderIdentity).toBe('');
    expect(events).toEqual(['pod-a started', 'pod-a stopped']);
    // At b's next retry (2 s), not after the 15 s lease duration.
    await clock.advance(2000);
    expect(b.isLeader()).toBe(true);
    expect(store.lease()?.spec).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 0 });
    expect(events).toEqual(['pod-a started', 'pod-a stopped', 'pod-b started']);
    await b.stop();
  });

  it('takes over an expired lease (renewTime + leaseDuration < now), not before', async () => {
    const { store, clock, elect } = world();
    const a = elect('pod-a');
    const b = elect('pod-b');
    expect(await a.tryAcquireOrRenew()).toBe(true); // a renews once, then dies silently
    await clock.advance(15_000);
    expect(await b.tryAcquireOrRenew()).toBe(false); // exactly at the limit: still valid
    await clock.advance(1);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(store.lease()?.spec).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1, acquireTime: '2026-11-21T06:00:15.001000Z' });
  });

  it('a 409 on the write means not leader (two candidates cannot both win)', async () => {
    const { store, clock, elect } = world();
    const a = elect('pod-a');
    const b = elect('pod-b');
    // Both read "no lease"; b's create lands first.
    store.beforeWrite = () => {
      store.beforeWrite = undefined;
      store.put({ apiVersion: LEASE.apiVersion, kind: 'Lease', metadata: { name: 'quay-operator-lock', namespace: 'ops' }, spec: { holderIdentity: 'pod-b', leaseDurationSeconds: 15, renewTime: formatMicroTime(clock.now()) } });
    };
    expect(await a.tryAcquireOrRenew()).toBe(false);
    // An expired lease, both read it; b's update lands between a's read and a's write: 409.
    await clock.advance(60_000);
    store.beforeWrite = () => {
      store.beforeWrite = undefined;
      const lease = store.lease() as Lease;
      store.put({ ...lease, spec: { ...lease.spec, holderIdentity: 'pod-b', renewTime: formatMicroTime(clock.now()) } });
    };
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(store.lease()?.spec?.holderIdentity).toBe('pod-b');
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it('steps down when another holder took the lease, and when it cannot renew within the deadline', async () => {
    const { store, clock, events, elect } = world();
    const a = elect('pod-a');
    a.start();
    await flush();
    expect(a.isLeader()).toBe(true);
    // Someone else writes the lease (e.g. after a's renewals stalled): a notices at its next renew.
    const lease = store.lease() as Lease;
    store.put({ ...lease, spec: { ...lease.spec, holderIdentity: 'pod-x', renewTime: formatMicroTime(clock.now()) } });
    await clock.advance(2000);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(['pod-a started', 'pod-a stopped']);
    // pod-x stops renewing; a becomes leader again after expiry.
    await clock.advance(16_000);
    expect(a.isLeader()).toBe(true);
    // The API server fails every request: a keeps leading until the 10 s renew deadline, then steps down.
    store.failNext = { method: 'get', status: 500, count: 1000 };
    await clock.advance(8000);
    expect(a.isLeader()).toBe(true);
    await clock.advance(2000);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(['pod-a started', 'pod-a stopped', 'pod-a started', 'pod-a stopped']);
    store.failNext = undefined;
    await a.stop();
  });

  it('a leader whose renewal answers only after the renew deadline has stepped down at the deadline, and the late answer does not make it lead', async () => {
    const { store, clock, events, elect } = world();
    const a = elect('pod-a');
    a.start();
    await flush();
    expect(a.isLeader()).toBe(true); // renewed at 0
    store.slow = deferred();
    await clock.advance(9999); // the renewal started at 2 s has no answer yet
    expect(a.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(['pod-a started', 'pod-a stopped']);
    // The answer comes: the lease was renewed (renewTime 2 s), but too late to count.
    const slow = store.slow;
    store.slow = undefined;
    slow.resolve();
    await flush();
    expect(store.lease()?.spec?.renewTime).toBe(formatMicroTime(clock.now() - 8000));
    expect(a.isLeader()).toBe(false);
    // The next attempt, a retry period after the late one ended, finds the lease its own and leads again.
    await clock.advance(2000);
    expect(a.isLeader()).toBe(true);
    expect(events).toEqual(['pod-a started', 'pod-a stopped', 'pod-a started']);
    await a.stop();
  });

  it('a candidate whose acquisition answers only after the renew deadline does not lead on it', async () => {
    const { store, clock, events, elect } = world();
    const a = elect('pod-a');
    store.slow = deferred();
    a.start();
    await clock.advance(10_000);
    const slow = store.slow;
    store.slow = undefined;
    slow.resolve();
    await flush();
    // The lease it wrote says renewed 10 s ago: 5 s of it left, less than the deadline it would lead by.
    expect(store.lease()?.spec?.holderIdentity).toBe('pod-a');
    expect(a.isLeader()).toBe(false);
    await clock.advance(2000);
    expect(a.isLeader()).toBe(true);
    expect(events).toEqual(['pod-a started']);
    await a.stop();
  });

  it('the deadline counts from when the last successful renewal started (its renewTime), not from its answer', async () => {
    const { store, clock, elect } = world();
    const a = elect('pod-a');
    a.start();
    await flush();
    expect(a.isLeader()).toBe(true);
    // The renewal at 2 s takes 3 s to answer: renewTime 2 s, so the deadline is 12 s, not 15 s.
    store.slow = deferred();
    await clock.advance(2000);
    await clock.advance(3000);
    const slow = store.slow;
    store.slow = undefined;
    slow.resolve();
    await flush();
    expect(store.lease()?.spec?.renewTime).toBe(formatMicroTime(clock.now() - 3000));
    store.failNext = { method: 'get', status: 500, count: 1000 };
    await clock.advance(6999); // 11.999 s: attempts at 7, 9 and 11 s failed
    expect(a.isLeader()).toBe(true);
    await clock.advance(1); // 12 s: the next attempt comes at the deadline, not at 13 s, and it steps down
    expect(a.isLeader()).toBe(false);
    store.failNext = undefined;
    await a.stop();
  });

  it('retakes its own lease after a restart, and validates its timings', async () => {
    const store = new LeaseStore();
    const clock = new ManualClock();
    expect(await elector(store, clock, 'pod-a', []).tryAcquireOrRenew()).toBe(true);
    expect(await elector(store, clock, 'pod-a', []).tryAcquireOrRenew()).toBe(true);
    expect(() => new LeaderElector({ client: store.client(), namespace: 'ops', name: 'l', identity: 'x', leaseDurationSeconds: 10, renewDeadlineSeconds: 10 })).toThrow(/greater/);
    expect(() => new LeaderElector({ client: store.client(), namespace: 'ops', name: 'l', identity: '' })).toThrow(/identity/);
  });
});

describe('LeaderElector (fake API server)', () => {
  let server: FakeApiServer;
  let client: KubeClient;

  beforeEach(async () => {
    server = await FakeApiServer.start();
    server.createNamespace('ops'); // the operator's own namespace: a Lease cannot be created in one that does not exist
    client = new KubeClient(server.kubeConfig());
  });

  afterEach(async () => {
    await server.stop();
  });

  function candidate(identity: string, clock: ManualClock, events: string[]): LeaderElector {
    return new LeaderElector({
      client,
      namespace: 'ops',
      name: 'quay-operator-lock',
      identity,
      clock,
      onStartedLeading: () => events.push(`${identity} started`),
      onStoppedLeading: () => events.push(`${identity} stopped`),
    });
  }

  const lease = () => server.get('coordination.k8s.io/v1', 'Lease', 'ops', 'quay-operator-lock');

  it('one of two racing candidates wins, by resourceVersion; the other takes over after release', async () => {
    const clock = new ManualClock();
    const events: string[] = [];
    const a = candidate('pod-a', clock, events);
    const b = candidate('pod-b', clock, events);
    // Both look for the lease at once; whichever writes second gets 409 (or sees the lease held).
    const first = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    expect(first.filter(Boolean)).toHaveLength(1);
    const [winner, loser] = first[0] ? [a, b] : [b, a];
    const winnerId = first[0] ? 'pod-a' : 'pod-b';
    const loserId = first[0] ? 'pod-b' : 'pod-a';
    expect(lease()?.spec).toMatchObject({ holderIdentity: winnerId, leaseDurationSeconds: 15, renewTime: '2026-11-21T06:00:00.000000Z' });
    // Run the loops: the winner leads and renews (PUTs), the other stays a follower.
    winner.start();
    loser.start();
    await waitFor(() => winner.isLeader(), 'the winner to lead');
    for (let i = 0; i < 5; i++) await clock.advance(2000).then(() => waitFor(() => lease()?.spec?.renewTime === formatMicroTime(clock.now()), 'a renewal'));
    expect(loser.isLeader()).toBe(false);
    expect(server.requests.some((r) => r.method === 'PUT' && r.path === '/apis/coordination.k8s.io/v1/namespaces/ops/leases/quay-operator-lock')).toBe(true);
    await winner.stop();
    expect(lease()?.spec?.holderIdentity).toBe('');
    await clock.advance(2000);
    await waitFor(() => loser.isLeader(), 'the other to take over');
    expect(lease()?.spec).toMatchObject({ holderIdentity: loserId, leaseTransitions: 0 });
    expect(events).toEqual([`${winnerId} started`, `${winnerId} stopped`, `${loserId} started`]);
    await loser.stop();
  });

  it('a leader whose renewal hangs (the server never answers) steps down at the renew deadline', async () => {
    const clock = new ManualClock();
    const events: string[] = [];
    const a = candidate('pod-a', clock, events);
    a.start();
    await waitFor(() => a.isLeader(), 'a to lead');
    const renewedAt = parseMicroTime(lease()?.spec?.renewTime);
    expect(renewedAt).toBe(clock.now());
    const hold = server.holdNext({ pathIncludes: '/leases/quay-operator-lock' }, 100);
    await clock.advance(2000); // the renewal: its GET is never answered (the client's own timeout is 60 s)
    await waitFor(() => hold.fired === 1, 'the held renewal');
    await clock.advance(renewedAt + 10_000 - 1 - clock.now());
    expect(a.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(['pod-a started', 'pod-a stopped']);
    // No second attempt beside the one still in flight.
    await clock.advance(10_000);
    expect(hold.fired).toBe(1);
    // The connection drops: the hung attempt ends, and stop() (which waits for it) returns.
    hold.remaining = 0;
    server.goDown(0);
    await a.stop({ release: false });
    expect(events).toEqual(['pod-a started', 'pod-a stopped']);
  });

  it('takes over an expired lease, and a stale resourceVersion gets 409 (not leader)', async () => {
    const clock = new ManualClock();
    const a = candidate('pod-a', clock, []);
    const b = candidate('pod-b', clock, []);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    await clock.advance(10_000);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    await clock.advance(5_001);
    // A writer sneaks in between b's read and b's write: b's PUT carries the old resourceVersion.
    const original = client.replace.bind(client);
    client.replace = async (t, obj) => {
      const live = lease() as Lease;
      server.update({ ...live, spec: { ...live.spec, holderIdentity: 'pod-c', renewTime: formatMicroTime(clock.now()) } });
      client.replace = original;
      return original(t, obj);
    };
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(server.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect(lease()?.spec?.holderIdentity).toBe('pod-c');
    await clock.advance(15_001);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(lease()?.spec).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1 });
  });
});

describe('LeaderElector: what it logs and the edges of its loop', () => {
  /** An elector on `store` whose log lines (without timestamps) and leadership events are recorded. */
  function logged(store: LeaseStore, clock: ManualClock, identity = 'pod-a', extra: Partial<ConstructorParameters<typeof LeaderElector>[0]> = {}) {
    const { logger, lines } = capturedLog();
    const events: string[] = [];
    const e = new LeaderElector({
      client: store.client(),
      namespace: 'ops',
      name: 'quay-operator-lock',
      identity,
      clock,
      logger,
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => events.push('stopped'),
      ...extra,
    });
    // Every line names the lease and the candidate; the rest is compared by each test.
    const log = () =>
      lines.map(({ lease, identity: who, ...rest }) => {
        expect({ lease, identity: who }).toStrictEqual({ lease: 'ops/quay-operator-lock', identity });
        return rest;
      });
    return { e, events, log };
  }
  const held = (store: LeaseStore, clock: ManualClock, holder: string, spec: Record<string, unknown> = {}) =>
    store.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'quay-operator-lock', namespace: 'ops' },
      spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: formatMicroTime(clock.now()), acquireTime: formatMicroTime(clock.now()), leaseTransitions: 3, ...spec },
    });

  it('MicroTime parsing is anchored at both ends', () => {
    expect(parseMicroTime('x2026-11-21T06:00:00Z')).toBeNaN();
    expect(parseMicroTime('2026-11-21T06:00:00Zjunk')).toBeNaN();
    expect(parseMicroTime(undefined)).toBeNaN();
  });

  it('refuses a renew deadline not longer than the retry period', () => {
    const store = new LeaseStore();
    expect(() => new LeaderElector({ client: store.client(), namespace: 'ops', name: 'l', identity: 'x', renewDeadlineSeconds: 2, retryPeriodSeconds: 2 })).toThrow(
      'renewDeadlineSeconds must be greater than retryPeriodSeconds',
    );
    expect(() => new LeaderElector({ client: store.client(), namespace: 'ops', name: 'l', identity: 'x', renewDeadlineSeconds: 3, retryPeriodSeconds: 2 })).not.toThrow();
  });

  it('logs becoming the leader, a renewal lost to another holder, and releasing on stop', async () => {
    const { store, clock } = world();
    const { e, events, log } = logged(store, clock);
    e.start();
    e.start(); // a second start is not a second loop
    await flush();
    const lease = store.lease() as Lease;
    store.put({ ...lease, spec: { ...lease.spec, holderIdentity: 'pod-x', renewTime: formatMicroTime(clock.now()) } });
    await clock.advance(2000);
    expect(events).toEqual(['started', 'stopped']);
    // pod-x lets it expire; pod-a leads again, then stops and releases.
    await clock.advance(16_000);
    await e.stop();
    expect(clock.pending()).toBe(0);
    expect(store.lease()?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(log()).toEqual([
      { level: 'info', msg: 'became the leader' },
      { level: 'warn', msg: 'lost the lease', holder: 'pod-x', sinceRenewMs: 2000 },
      { level: 'info', msg: 'became the leader' },
      { level: 'info', msg: 'released the lease' },
    ]);
    expect(events).toEqual(['started', 'stopped', 'started', 'stopped']);
    // Stopped: no more attempts.
    const rv = store.lease()?.metadata.resourceVersion;
    await clock.advance(60_000);
    expect(store.lease()?.metadata.resourceVersion).toBe(rv);
  });

  it('a candidate that cannot take a held lease logs nothing and does not lead', async () => {
    const { store, clock } = world();
    held(store, clock, 'pod-x');
    const { e, events, log } = logged(store, clock);
    e.start();
    await clock.advance(6000);
    await e.stop();
    expect(events).toEqual([]);
    expect(log()).toEqual([]);
  });

  it('stop({ release: false }) steps down but leaves the lease to expire', async () => {
    const { store, clock } = world();
    const { e, events } = logged(store, clock);
    e.start();
    await flush();
    await e.stop({ release: false });
    expect(events).toEqual(['started', 'stopped']);
    expect(store.lease()?.spec?.holderIdentity).toBe('pod-a');
  });

  it('stopped while an attempt is in flight: the attempt that lands does not make it lead', async () => {
    const { store, clock } = world();
    const { e, events } = logged(store, clock);
    store.slow = deferred();
    e.start();
    const stopping = e.stop();
    const slow = store.slow;
    store.slow = undefined;
    slow.resolve();
    await stopping;
    expect(events).toEqual([]);
    // The lease it took in that attempt is released (by holder).
    expect(store.lease()?.spec?.holderIdentity).toBe('');
  });

  it('renewing keeps its transitions and writes the lease duration in seconds', async () => {
    const { store, clock } = world();
    held(store, clock, 'pod-a', { leaseDurationSeconds: 30 });
    const { e } = logged(store, clock);
    expect(await e.tryAcquireOrRenew()).toBe(true);
    expect(store.lease()?.spec).toMatchObject({ holderIdentity: 'pod-a', leaseDurationSeconds: 15, leaseTransitions: 3 });
  });

  it('a lease whose renewTime cannot be read is taken over; one without a duration lasts our own', async () => {
    const { store, clock } = world();
    held(store, clock, 'pod-x', { renewTime: 'garbage', acquireTime: undefined });
    const { e } = logged(store, clock);
    expect(await e.tryAcquireOrRenew()).toBe(true);
    expect(store.lease()?.spec).toMatchObject({ holderIdentity: 'pod-a', leaseTransitions: 4 });
    held(store, clock, 'pod-x', { leaseDurationSeconds: undefined });
    await clock.advance(15_000);
    expect(await e.tryAcquireOrRenew()).toBe(false);
    await clock.advance(1);
    expect(await e.tryAcquireOrRenew()).toBe(true);
  });

  it('release() gives up only its own lease and says whether it did; a failure is logged', async () => {
    const { store, clock } = world();
    held(store, clock, 'pod-x');
    const { e, log } = logged(store, clock);
    expect(await e.release()).toBe(false);
    expect(store.lease()?.spec?.holderIdentity).toBe('pod-x');
    held(store, clock, 'pod-a');
    store.failNext = { method: 'replace', status: 500, count: 1 };
    expect(await e.release()).toBe(false);
    expect(await e.release()).toBe(true);
    expect(store.lease()?.spec?.holderIdentity).toBe('');
    expect(log()).toEqual([
      { level: 'warn', msg: 'releasing the lease failed; it will expire', err: expect.objectContaining({ message: 'injected 500' }) },
      { level: 'info', msg: 'released the lease' },
    ]);
  });

  it('logs failed reads and writes; a 409 is a lost race, at debug', async () => {
    const { store, clock } = world();
    const { e, log } = logged(store, clock);
    store.failNext = { method: 'get', status: 500, count: 1 };
    expect(await e.tryAcquireOrRenew()).toBe(false);
    store.failNext = { method: 'create', status: 500, count: 1 };
    expect(await e.tryAcquireOrRenew()).toBe(false);
    store.failNext = { method: 'create', status: 409, count: 1 };
    expect(await e.tryAcquireOrRenew()).toBe(false);
    expect(await e.tryAcquireOrRenew()).toBe(true);
    store.failNext = { method: 'replace', status: 500, count: 1 };
    expect(await e.tryAcquireOrRenew()).toBe(false);
    held(store, clock, 'pod-x', { renewTime: 'garbage' });
    store.failNext = { method: 'replace', status: 409, count: 1 };
    expect(await e.tryAcquireOrRenew()).toBe(false);
    const err = (m: string) => expect.objectContaining({ message: m });
    expect(log()).toEqual([
      { level: 'warn', msg: 'reading the lease failed', err: err('injected 500') },
      { level: 'warn', msg: 'creating the lease failed', err: err('injected 500') },
      { level: 'debug', msg: 'creating the lease lost a race', status: 409 },
      { level: 'warn', msg: 'renewing the lease failed', err: err('injected 500') },
      { level: 'debug', msg: 'acquiring the lease lost a race', status: 409 },
    ]);
  });

  it('tells onNewLeader once per change of holder; callbacks that throw are logged', async () => {
    const { store, clock } = world();
    const leaders: string[] = [];
    const { e, log } = logged(store, clock, 'pod-a', {
      onNewLeader: (h) => {
        leaders.push(h);
        if (h === 'pod-x') throw new Error('listener broke');
      },
      onStartedLeading: () => {
        throw new Error('start broke');
      },
      onStoppedLeading: () => {
        throw new Error('stop broke');
      },
    });
    held(store, clock, 'pod-x');
    expect(await e.tryAcquireOrRenew()).toBe(false);
    expect(await e.tryAcquireOrRenew()).toBe(false);
    e.start();
    await flush();
    await clock.advance(16_000);
    await e.stop();
    expect(leaders).toEqual(['pod-x', 'pod-a', '']);
    const err = (m: string) => expect.objectContaining({ message: m });
    expect(log()).toEqual([
      { level: 'error', msg: 'onNewLeader failed', err: err('listener broke') },
      { level: 'info', msg: 'became the leader' },
      { level: 'error', msg: 'onStartedLeading failed', err: err('start broke') },
      { level: 'info', msg: 'released the lease' },
      { level: 'error', msg: 'onStoppedLeading failed', err: err('stop broke') },
    ]);
  });

  it('a lease without a holder is free: taken, and onNewLeader hears the empty holder first', async () => {
    const { store, clock } = world();
    store.put({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'quay-operator-lock', namespace: 'ops' }, spec: {} });
    const leaders: string[] = [];
    const { e } = logged(store, clock, 'pod-a', { onNewLeader: (h) => leaders.push(h) });
    expect(await e.tryAcquireOrRenew()).toBe(true);
    expect(leaders).toEqual(['', 'pod-a']);
    // Nobody held it: not a transition.
    expect(store.lease()?.spec).toMatchObject({ holderIdentity: 'pod-a', leaseTransitions: 0 });
  });

  it('a leader whose renewals failed until its deadline steps down then, even if that attempt succeeds', async () => {
    const { store, clock } = world();
    const { e, events, log } = logged(store, clock);
    e.start();
    await flush();
    // The renewals at 2, 4, 6 and 8 s fail; the one at the 10 s deadline would succeed.
    store.failNext = { method: 'get', status: 500, count: 4 };
    await clock.advance(10_000);
    expect(events).toEqual(['started', 'stopped', 'started']);
    expect(log().filter((l) => l.msg !== 'reading the lease failed')).toEqual([
      { level: 'info', msg: 'became the leader' },
      { level: 'warn', msg: 'lost the lease', holder: 'pod-a', sinceRenewMs: 10_000 },
      { level: 'info', msg: 'became the leader' },
    ]);
    await e.stop({ release: false });
  });

  it('logs a renewal or an acquisition with no answer by the renew deadline', async () => {
    const { store, clock } = world();
    const a = logged(store, clock);
    a.e.start();
    await flush();
    store.slow = deferred();
    await clock.advance(10_000);
    expect(a.log()[1]).toEqual({ level: 'warn', msg: 'lost the lease: no answer to the renewal by the renew deadline', holder: 'pod-a', sinceRenewMs: 10_000 });
    const b = logged(store, clock, 'pod-b');
    b.e.start();
    await clock.advance(10_000);
    expect(b.log()).toEqual([{ level: 'warn', msg: 'gave up acquiring the lease: no answer by the renew deadline' }]);
    const slow = store.slow;
    store.slow = undefined;
    slow.resolve();
    await a.e.stop({ release: false });
    await b.e.stop({ release: false });
  });
});
