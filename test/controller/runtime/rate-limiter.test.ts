// The client-side rate limit and the server's "wait" answers (lib/controller/runtime/rate-limiter.ts),
// read directly on a manual clock: when each request may go (--kube-api-qps, --kube-api-burst), how
// long a 429 or a 5xx with Retry-After holds a request back, and which APF headers are kept. The
// kube-client tests see this only through a live server and real time.
import type { IncomingHttpHeaders } from 'node:http';
import { TokenBucket, apfHeaders, retryAfterMs } from '../../../lib/controller/runtime/rate-limiter';
import type { Clock } from '../../../lib/controller/runtime/workqueue';
import { ManualClock, flush } from './helpers';

/** Takes `n` tokens; returns the order in which the takes resolved (by index). */
function takeAll(bucket: TokenBucket, n: number): number[] {
  const done: number[] = [];
  for (let i = 0; i < n; i++) void bucket.take().then(() => done.push(i));
  return done;
}

describe('TokenBucket', () => {
  test('qps must be a positive finite number, burst a whole number of at least 1', () => {
    for (const qps of [0, -1, NaN, Infinity]) expect(() => new TokenBucket({ qps, burst: 1 })).toThrow(`qps must be a positive number, got ${qps}`);
    for (const burst of [0, 0.5, 1.5, NaN, -2]) expect(() => new TokenBucket({ qps: 1, burst })).toThrow(`burst must be a whole number of at least 1, got ${burst}`);
    expect(() => new TokenBucket({ qps: 0.01, burst: 1 })).not.toThrow();
  });

  test('a full bucket lets `burst` requests go at once; the next ones wait 1/qps each, in the order they came', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 2, burst: 3, clock });
    const done = takeAll(bucket, 5);
    await flush();
    expect(done).toEqual([0, 1, 2]);
    expect(bucket.waiting).toBe(2);
    await clock.advance(499);
    expect(done).toEqual([0, 1, 2]);
    await clock.advance(1);
    expect(done).toEqual([0, 1, 2, 3]);
    expect(bucket.waiting).toBe(1);
    await clock.advance(499);
    expect(done).toEqual([0, 1, 2, 3]);
    await clock.advance(1);
    expect(done).toEqual([0, 1, 2, 3, 4]);
    expect(bucket.waiting).toBe(0);
  });

  test('waits are whole milliseconds, rounded up (never early)', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 3, burst: 1, clock });
    const done = takeAll(bucket, 2);
    await clock.advance(333);
    expect(done).toEqual([0]);
    await clock.advance(1);
    expect(done).toEqual([0, 1]);
  });

  test('the bucket refills at qps while idle, up to burst and no more', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 1, burst: 2, clock });
    let done = takeAll(bucket, 2);
    await flush();
    expect(done).toEqual([0, 1]);
    // One second: one token back.
    await clock.advance(1000);
    done = takeAll(bucket, 2);
    await flush();
    expect(done).toEqual([0]);
    await clock.advance(1000);
    expect(done).toEqual([0, 1]);
    // A long quiet spell: two tokens (burst), not sixty.
    await clock.advance(60_000);
    done = takeAll(bucket, 3);
    await flush();
    expect(done).toEqual([0, 1]);
    await clock.advance(999);
    expect(done).toEqual([0, 1]);
    await clock.advance(1);
    expect(done).toEqual([0, 1, 2]);
  });

  test('the refill rate is qps tokens a second (4 qps: one every 250 ms)', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ qps: 4, burst: 2, clock });
    let done = takeAll(bucket, 2);
    await flush();
    expect(done).toEqual([0, 1]);
    await clock.advance(500);
    done = takeAll(bucket, 3);
    await flush();
    expect(done).toEqual([0, 1]);
    await clock.advance(249);
    expect(done).toEqual([0, 1]);
    await clock.advance(1);
    expect(done).toEqual([0, 1, 2]);
  });

  test('a clock that steps back refills nothing and takes nothing away', async () => {
    let now = 1_000_000;
    const delays: number[] = [];
    const clock: Clock = { now: () => now, setTimeout: (fn, ms) => (delays.push(ms), fn()), clearTimeout: () => undefined };
    const bucket = new TokenBucket({ qps: 1, burst: 2, clock });
    await bucket.take();
    now -= 10_000;
    await bucket.take();
    await bucket.take();
    expect(delays).toEqual([1000]);
    now += 500;
    await bucket.take();
    expect(delays).toEqual([1000, 1500]);
  });

  test('without a clock: real time, a full bucket does not wait', async () => {
    const bucket = new TokenBucket({ qps: 1, burst: 1 });
    const done = takeAll(bucket, 1);
    await flush();
    expect(done).toEqual([0]);
  });
});

describe('retryAfterMs', () => {
  const NOW = Date.parse('Sun, 06 Nov 1994 08:49:30 GMT');
  const wait = (code: number, retryAfter?: string | string[]) => retryAfterMs({ headers: (retryAfter === undefined ? {} : { 'retry-after': retryAfter }) as IncomingHttpHeaders }, code, NOW);

  test('only 429 and 5xx are "wait" answers', () => {
    expect([200, 201, 404, 409, 499, 600].map((code) => wait(code, '3'))).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    expect([429, 500, 503, 599].map((code) => wait(code, '3'))).toEqual([3000, 3000, 3000, 3000]);
  });

  test('no Retry-After: a 429 waits 1 s, a 5xx is no wait', () => {
    expect(wait(429)).toBe(1000);
    expect(wait(503)).toBe(undefined);
  });

  test('whole seconds, trimmed; the first of repeated headers; 0 is no wait; capped at 60 s', () => {
    expect(wait(429, '0')).toBe(0);
    expect(wait(429, ' 7 ')).toBe(7000);
    expect(wait(503, ['2', '5'])).toBe(2000);
    expect(wait(429, '60')).toBe(60_000);
    expect(wait(429, '61')).toBe(60_000);
    expect(wait(429, '86400')).toBe(60_000);
  });

  test('an IMF-fixdate: the time until then (none if past), capped at 60 s', () => {
    expect(wait(503, 'Sun, 06 Nov 1994 08:49:37 GMT')).toBe(7000);
    expect(wait(429, 'Sun, 06 Nov 1994 08:49:00 GMT')).toBe(0);
    expect(wait(503, 'Sun, 06 Nov 1994 09:49:37 GMT')).toBe(60_000);
  });

  test('anything else is no Retry-After (a 429 waits 1 s): fractions, signs, units, other date formats, dates that do not parse', () => {
    const bad = [
      '1.5',
      '-1',
      '+3',
      '3s',
      'x3',
      '',
      'soon',
      'Sunday, 06-Nov-94 08:49:37 GMT',
      'Sun Nov  6 08:49:37 1994',
      'Sun, 06 Nov 1994 08:49:37 UTC',
      'Sun, 6 Nov 1994 08:49:37 GMT',
      'sun, 06 Nov 1994 08:49:37 GMT',
      'Sun, 06 nov 1994 08:49:37 GMT',
      'Sun, 06 Nov 94 08:49:37 GMT',
      'Sun, 06 Nov 1994 8:49:37 GMT',
      'Sun, 06 Nov 1994 08:49:37 GMT extra',
      'on Sun, 06 Nov 1994 08:49:37 GMT',
      'Sun, 06 Xyz 1994 08:49:37 GMT',
    ];
    expect(bad.map((v) => wait(429, v))).toEqual(bad.map(() => 1000));
    expect(bad.map((v) => wait(503, v))).toEqual(bad.map(() => undefined));
  });
});

describe('apfHeaders', () => {
  test('the flow schema and priority level UIDs, when given (the first of repeated headers)', () => {
    expect(apfHeaders({ headers: { 'x-kubernetes-pf-flowschema-uid': 'fs-1', 'x-kubernetes-pf-prioritylevel-uid': 'pl-1' } })).toStrictEqual({ flowSchemaUID: 'fs-1', priorityLevelUID: 'pl-1' });
    expect(apfHeaders({ headers: { 'x-kubernetes-pf-flowschema-uid': ['fs-1', 'fs-2'] as unknown as string } })).toStrictEqual({ flowSchemaUID: 'fs-1' });
    expect(apfHeaders({ headers: { 'x-kubernetes-pf-prioritylevel-uid': 'pl-1' } })).toStrictEqual({ priorityLevelUID: 'pl-1' });
    expect(apfHeaders({ headers: { 'x-kubernetes-pf-flowschema-uid': '', 'content-type': 'application/json' } })).toStrictEqual({});
  });
});
