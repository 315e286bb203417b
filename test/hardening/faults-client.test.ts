// The client's side of the fault suites, on a manual clock (time moves only when a test advances it):
// the token bucket (`--kube-api-qps`, `--kube-api-burst`), which watches are exempt from; 429 answers
// of API Priority and Fairness honoured (the client waits Retry-After, every request of it, then
// sends the request again); request timeouts (`--kube-api-timeout`); and the flags of `run`.
import { ApiError, KubeClient, RequestTimeoutError, ThrottleInfo } from '../../lib/controller/kube-client';
import { typeOf } from '../../lib/controller/resources';
import { TokenBucket, retryAfterMs } from '../../lib/controller/runtime/rate-limiter';
import { DEFAULT_API_CLIENT, RunUsageError, apiClientSettings, leaseClientOptions, runMain } from '../../lib/cli/run';
import { APF_HEADERS } from '../support/apiserver/faults';
import { FakeApiServer } from '../support/fake-apiserver';
import { ManualClock, flush, waitFor } from '../controller/runtime/helpers';

const CM = typeOf('ConfigMap');
const NS = 'faults';

describe('TokenBucket', () => {
  test('lets a burst through at once, then one request every 1/qps seconds, in the order they came', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 2, burst: 3, clock });
    const done: number[] = [];
    for (let i = 0; i < 6; i++) void bucket.take().then(() => done.push(i));
    await flush();
    expect(done).toEqual([0, 1, 2]);
    await clock.advance(499);
    expect(done).toEqual([0, 1, 2]);
    await clock.advance(1);
    expect(done).toEqual([0, 1, 2, 3]);
    await clock.advance(1000);
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
    expect(bucket.waiting).toBe(0);
  });

  test('refills while idle, up to the burst and no further', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 10, burst: 2, clock });
    await bucket.take();
    await bucket.take();
    await clock.advance(60_000); // a long quiet spell still gives only `burst` tokens
    const done: number[] = [];
    for (let i = 0; i < 3; i++) void bucket.take().then(() => done.push(i));
    await flush();
    expect(done).toEqual([0, 1]);
    await clock.advance(100);
    expect(done).toEqual([0, 1, 2]);
  });

  test('refuses a rate or burst that would stop every request', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow('qps');
    expect(() => new TokenBucket({ qps: 5, burst: 0 })).toThrow('burst');
    expect(() => new TokenBucket({ qps: 5, burst: 1.5 })).toThrow('burst');
  });
});

describe('KubeClient against a server that pushes back', () => {
  let server: FakeApiServer;
  let clock: ManualClock;
  const throttles: ThrottleInfo[] = [];
  const client = (options: { qps?: number; burst?: number; timeoutMs?: number } = {}) =>
    new KubeClient(server.kubeConfig(), {
      clock,
      timeoutMs: options.timeoutMs ?? 0,
      ...(options.qps ? { rateLimiter: new TokenBucket({ qps: options.qps, burst: options.burst ?? 1, clock }) } : {}),
      onThrottled: (t) => throttles.push(t),
    });
  const seen = (path: string) => server.requests.filter((r) => r.path.includes(path));

  beforeEach(async () => {
    server = await FakeApiServer.start();
    server.createNamespace(NS);
    clock = new ManualClock();
    throttles.length = 0;
  });
  afterEach(() => server.stop());

  test('rate limits requests but not watches', async () => {
    const c = client({ qps: 1, burst: 2 });
    const gets = ['a', 'b', 'c', 'd'].map((n) => c.get(CM, NS, n));
    await waitFor(() => seen('/configmaps/').length === 2, 'the burst');
    const watch = await c.watch(CM, { namespace: NS, resourceVersion: server.resourceVersion }, () => undefined, () => undefined);
    await waitFor(() => seen('/configmaps').some((r) => r.verb === 'watch'), 'the watch, with no token left');
    expect(seen('/configmaps/').length).toBe(2);
    await clock.advance(1000);
    await waitFor(() => seen('/configmaps/').length === 3, 'the third request, a second later');
    await clock.advance(1000);
    await expect(Promise.all(gets)).resolves.toEqual([undefined, undefined, undefined, undefined]);
    watch.abort();
  });

  test('a 429 with Retry-After: the request and every other request of the client wait, then it is sent again', async () => {
    const c = client();
    server.failNext({ verb: 'get', pathIncludes: '/configmaps/a' }, 429, 1, 2);
    const first = c.get(CM, NS, 'a');
    await waitFor(() => seen('/configmaps/a').length === 1, 'the 429');
    await flush();
    const other = c.get(CM, NS, 'b'); // asked for during the pause
    await clock.advance(1999);
    expect([seen('/configmaps/a').length, seen('/configmaps/b').length]).toEqual([1, 0]);
    await clock.advance(1);
    await expect(first).resolves.toBeUndefined();
    await expect(other).resolves.toBeUndefined();
    expect(seen('/configmaps/a').map((r) => r.code)).toEqual([429, 404]);
    expect(throttles).toEqual([
      { method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps/a`, status: 429, retryAfterMs: 2000, waited: true, flowSchemaUID: APF_HEADERS['X-Kubernetes-PF-FlowSchema-UID'], priorityLevelUID: APF_HEADERS['X-Kubernetes-PF-PriorityLevel-UID'] },
    ]);
    expect(c.stats.throttled).toBe(1);
  });

  test('requests queued for a token when a 429 comes wait out its pause too', async () => {
    // One token now, then one every 100 ms: b, c and d get theirs at 100, 200 and 300 ms, inside a's 1 s pause.
    const c = client({ qps: 10, burst: 1 });
    server.failNext({ verb: 'get', pathIncludes: '/configmaps/a' }, 429, 1, 1);
    const gets = ['a', 'b', 'c', 'd'].map((n) => c.get(CM, NS, n));
    await waitFor(() => throttles.length === 1, 'the 429');
    await flush();
    expect(c.stats.requests).toBe(1);
    await clock.advance(999);
    expect(c.stats.requests).toBe(1); // counted as a request is sent: none went during the pause
    await clock.advance(1);
    await expect(Promise.all(gets)).resolves.toEqual([undefined, undefined, undefined, undefined]);
    const sent = seen('/configmaps/').map((r) => `${r.path.split('/').pop()} ${r.code}`);
    expect([sent[0], ...sent.slice(1).sort()]).toEqual(['a 429', 'a 404', 'b 404', 'c 404', 'd 404']);
  });

  test('a 429 whose Retry-After is not whole seconds (1.5) waits the default second, not 0', async () => {
    const c = client();
    server.failNext({ verb: 'get', pathIncludes: '/configmaps/h' }, 429, 1, 1.5);
    const got = c.get(CM, NS, 'h');
    await waitFor(() => throttles.length === 1, 'the 429');
    await flush();
    expect(throttles[0].retryAfterMs).toBe(1000);
    await clock.advance(999);
    expect(seen('/configmaps/h')).toHaveLength(1);
    await clock.advance(1);
    await expect(got).resolves.toBeUndefined();
    expect(seen('/configmaps/h').map((r) => r.code)).toEqual([429, 404]);
  });

  test('a write answered 429 is sent again (it was not processed); after 10 retries the 429 is the answer', async () => {
    const c = client();
    server.failNext({ verb: 'create' }, 429, 1, 1);
    const created = c.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: NS }, data: { a: '1' } });
    await waitFor(() => clock.pending() > 0, 'the wait');
    await clock.advance(1000);
    await expect(created).resolves.toMatchObject({ metadata: { name: 'x' } });

    server.failNext({ verb: 'get' }, 429, 11);
    const got = c.get(CM, NS, 'x').catch((err: unknown) => err);
    for (let i = 0; i < 10; i++) {
      await waitFor(() => clock.pending() > 0, `wait ${i + 1}`);
      await clock.advance(1000); // no Retry-After header: 1 s
    }
    expect(await got).toMatchObject({ status: 429 });
    expect(seen('/configmaps/x').filter((r) => r.verb === 'get').length).toBe(11);
  });

  test('a 5xx is retried only when it carries Retry-After; a 500 without it is the caller\'s to retry', async () => {
    const c = client();
    server.failNext({ verb: 'get' }, 503, 1, 1);
    const got = c.get(CM, NS, 'y');
    await waitFor(() => clock.pending() > 0, 'the wait');
    await clock.advance(1000);
    await expect(got).resolves.toBeUndefined();
    server.failNext({ verb: 'get' }, 500, 1);
    await expect(c.get(CM, NS, 'y')).rejects.toBeInstanceOf(ApiError);
  });

  test('a request without an answer fails after the timeout, a watch without one too', async () => {
    const c = client({ timeoutMs: 5000 });
    server.holdNext({ verb: 'get' });
    const got = c.get(CM, NS, 'z');
    await waitFor(() => server.requests.some((r) => r.held), 'the held request');
    await clock.advance(4999);
    let settled = false;
    void got.catch(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(got).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(c.stats.timeouts).toBe(1);

    server.holdNext({ verb: 'watch' });
    let ended: unknown;
    await c.watch(CM, { namespace: NS, resourceVersion: server.resourceVersion }, () => undefined, (err) => (ended = err));
    await waitFor(() => server.requests.filter((r) => r.held).length === 2, 'the held watch');
    await clock.advance(5000);
    await waitFor(() => ended !== undefined, 'the watch to end');
    expect(ended).toBeInstanceOf(RequestTimeoutError);
  });
});

describe('Retry-After', () => {
  const at = Date.UTC(2026, 0, 1);
  const res = (value?: string) => ({ headers: value === undefined ? {} : { 'retry-after': value } });
  test('seconds or an HTTP date; 1 s for a bare 429; nothing for other codes; at most a minute', () => {
    expect(retryAfterMs(res('3'), 429, at)).toBe(3000);
    expect(retryAfterMs(res(new Date(at + 5000).toUTCString()), 503, at)).toBe(5000);
    expect(retryAfterMs(res(), 429, at)).toBe(1000);
    expect(retryAfterMs(res(), 503, at)).toBeUndefined();
    expect(retryAfterMs(res('3'), 409, at)).toBeUndefined();
    expect(retryAfterMs(res('86400'), 429, at)).toBe(60_000);
    expect(retryAfterMs(res(' 2 '), 429, at)).toBe(2000);
    expect(retryAfterMs(res(new Date(at - 5000).toUTCString()), 429, at)).toBe(0); // a date past: now
  });

  // Date.parse reads these as dates in 2000-2001 (V8), which would make the wait 0: a 429 retried at once.
  test.each(['1.5', '-1', '0.5', '1e3', '+3', 'soon', '', '2026-01-01T00:00:05Z', 'Thursday, 01-Jan-26 00:00:05 GMT', 'Thu, 01 Jan 2026 00:00:05'])(
    'Retry-After %j is neither whole seconds nor an IMF-fixdate: 1 s on a 429, no wait on a 503',
    (value) => {
      expect(retryAfterMs(res(value), 429, at)).toBe(1000);
      expect(retryAfterMs(res(value), 503, at)).toBeUndefined();
    },
  );
});

describe('run flags', () => {
  test('defaults: 20 requests a second, bursts of 30, a 60 s timeout', () => {
    expect(apiClientSettings({}, {})).toEqual({ qps: 20, burst: 30, timeoutMs: 60_000 });
    expect(DEFAULT_API_CLIENT).toEqual({ qps: 20, burst: 30, timeoutMs: 60_000 });
  });

  test('flags win over the environment, which wins over the defaults', () => {
    const env = { KUBE_API_QPS: '5', KUBE_API_BURST: '8', KUBE_API_TIMEOUT: '10s' };
    expect(apiClientSettings({}, env)).toEqual({ qps: 5, burst: 8, timeoutMs: 10_000 });
    expect(apiClientSettings({ 'kube-api-qps': '2.5', 'kube-api-burst': '4', 'kube-api-timeout': '500ms' }, env)).toEqual({ qps: 2.5, burst: 4, timeoutMs: 500 });
    expect(apiClientSettings({ 'kube-api-timeout': '0' }, {}).timeoutMs).toBe(0);
  });

  test.each([
    [{ 'kube-api-qps': '0' }, {}, '--kube-api-qps'],
    [{ 'kube-api-qps': 'fast' }, {}, '--kube-api-qps'],
    [{ 'kube-api-burst': '0' }, {}, '--kube-api-burst'],
    [{}, { KUBE_API_BURST: '2.5' }, 'KUBE_API_BURST'],
    [{ 'kube-api-timeout': '10' }, {}, '--kube-api-timeout'],
  ])('refuses %j %j, naming %s', (flags, env, name) => {
    expect(() => apiClientSettings(flags, env)).toThrow(RunUsageError);
    expect(() => apiClientSettings(flags, env)).toThrow(name);
  });

  test('a bad value is reported under the name it was given by: the variable as is, a flag as --flag', () => {
    expect(() => apiClientSettings({}, { KUBE_API_TIMEOUT: '10' })).toThrow(/^KUBE_API_TIMEOUT must be a duration/);
    expect(() => apiClientSettings({ 'kube-api-timeout': '10' }, { KUBE_API_TIMEOUT: '10s' })).toThrow(/^--kube-api-timeout must be a duration/);
    expect(() => apiClientSettings({}, { KUBE_API_QPS: '0' })).toThrow(/^KUBE_API_QPS must be/);
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => void err.push(t), env: {} };
    expect(runMain(['--leader-elect-retry-period', '2x'], io)).toBe(2);
    expect(err.join('')).toMatch(/^error: --leader-elect-retry-period must be a duration/);
  });

  test("the lease's client: no request outlasts the renew deadline, and no 429 is waited out", () => {
    const bucket = new TokenBucket({ qps: 20, burst: 30 });
    expect(leaseClientOptions({ timeoutMs: 60_000, rateLimiter: bucket }, 10_000)).toEqual({ timeoutMs: 10_000, rateLimiter: bucket, maxRetries: 0 });
    expect(leaseClientOptions({ timeoutMs: 500 }, 10_000)).toEqual({ timeoutMs: 500, maxRetries: 0 });
    expect(leaseClientOptions({ timeoutMs: 0 }, 4000)).toEqual({ timeoutMs: 4000, maxRetries: 0 }); // --kube-api-timeout 0: none, but the deadline
    expect(leaseClientOptions({}, 4000)).toEqual({ timeoutMs: 4000, maxRetries: 0 });
  });

  test('run refuses bad values with exit code 2 and lists the flags in its help', () => {
    const err: string[] = [];
    const out: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), env: {} };
    expect(runMain(['--kube-api-burst', 'lots'], io)).toBe(2);
    expect(runMain(['--leader-elect-lease-duration', '5s', '--leader-elect-renew-deadline', '6s'], io)).toBe(2);
    expect(runMain(['--leader-elect-lease-duration', '1500ms'], io)).toBe(2);
    expect(err.join('')).toMatch(/--kube-api-burst must be a whole number[\s\S]*--leader-elect-lease-duration must be longer[\s\S]*whole seconds/);
    expect(runMain(['--help'], io)).toBe(0);
    for (const flag of ['--kube-api-qps', '--kube-api-burst', '--kube-api-timeout', '--leader-elect-lease-duration', '--leader-elect-renew-deadline', '--leader-elect-retry-period']) expect(out.join('')).toContain(flag);
  });
});
