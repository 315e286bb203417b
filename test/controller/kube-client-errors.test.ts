// lib/controller/kube-client.ts against a scripted local HTTP server (no fake API server): what each
// method sends (method, path, query, headers, body), how answers become results or ApiErrors, the
// waits a 429 or a 5xx with Retry-After asks for (on a ManualClock: no real time passes), the request
// and watch deadlines, the counts in stats, and watches (one JSON event a line, refusals, abort).
// kube-client.test.ts covers plainHeaders and which 5xx answers to a write are sent again.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ApiError, DEFAULT_MAX_RETRIES, KubeClient, KubeClientOptions, RequestTimeoutError, ThrottleInfo, WatchEventType } from '../../lib/controller/kube-client';
import { SimpleConnection } from '../../lib/controller/kube-config';
import { typeOf } from '../../lib/controller/resources';
import type { KubeObject } from '../../lib/synth';
import { freePort } from '../support/free-port';
import { Deferred, ManualClock, deferred, flush } from './runtime/helpers';

const CM = typeOf('ConfigMap');
const NAMESPACE = typeOf('Namespace');
const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' }, data: { a: 'é' } } as KubeObject;
const CM_PATH = '/api/v1/namespaces/ns/configmaps/x';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}
/** How the server answers one request: a status, headers and a body; or `hold` (no answer). */
interface Answer {
  readonly code?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Written as chunks, with the connection left open until `end` resolves. */
  readonly chunks?: string[];
  readonly end?: Promise<void>;
  readonly hold?: boolean;
  /** The reason phrase of the status line (Node's own when absent). */
  readonly reason?: string;
}

/** A clock that says when a timer is set (the client's wait for a pause, or a deadline). */
class SignallingClock extends ManualClock {
  private waiters: (() => void)[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const id = super.setTimeout(fn, ms);
    for (const w of this.waiters.splice(0)) w();
    return id;
  }
  nextTimer(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

let server: http.Server;
let answers: Answer[];
let seen: Seen[];
let arrived: Deferred[];
let serverResponses: http.ServerResponse[];
let base: string;

/** Resolves when the n-th request (1-based) has reached the server. */
const request = (n: number): Promise<void> => {
  while (arrived.length < n) arrived.push(deferred());
  return arrived[n - 1].promise;
};

beforeEach(async () => {
  answers = [];
  seen = [];
  arrived = [];
  serverResponses = [];
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      serverResponses.push(res);
      seen.push({ method: req.method as string, url: req.url as string, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answers.shift() ?? { body: JSON.stringify(cm) };
      void request(seen.length);
      arrived[seen.length - 1].resolve();
      if (a.hold) return;
      if (a.reason !== undefined) res.writeHead(a.code ?? 200, a.reason, { 'Content-Type': 'application/json', ...a.headers });
      else res.writeHead(a.code ?? 200, { 'Content-Type': 'application/json', ...a.headers });
      if (a.chunks) {
        for (const c of a.chunks) res.write(c);
        void a.end?.then(() => res.end());
        return;
      }
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (options: KubeClientOptions = {}, settings: { token?: string; server?: string } = {}) =>
  new KubeClient(new SimpleConnection({ server: settings.server ?? base, ...(settings.token ? { token: settings.token } : {}) }), { timeoutMs: 5000, ...options });
const status = (code: number, reason: string, message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
const caught = (p: Promise<unknown>) => p.then(() => new Error('resolved'), (e: unknown) => e);

describe('ApiError', () => {
  test('its status, reason and message; the server message defaults to the message', () => {
    const e = new ApiError(409, 'Conflict', 'PUT /x: 409 conflict', 'conflict');
    expect([e.name, e.status, e.reason, e.message, e.serverMessage, e instanceof Error]).toEqual(['ApiError', 409, 'Conflict', 'PUT /x: 409 conflict', 'conflict', true]);
    expect(new ApiError(500, '', 'boom').serverMessage).toBe('boom');
  });

  test('RequestTimeoutError is named so', () => {
    expect(new RequestTimeoutError('late').name).toBe('RequestTimeoutError');
  });
});

describe('what each method sends', () => {
  test('get: a GET of the object, JSON accepted, the credentials sent, no body nor Content-Type', async () => {
    await expect(client({}, { token: 'tok' }).get(CM, 'ns', 'x')).resolves.toEqual(cm);
    expect(seen).toEqual([{ method: 'GET', url: CM_PATH, headers: expect.objectContaining({ accept: 'application/json', authorization: 'Bearer tok' }), body: '' }]);
    expect(seen[0].headers['content-type']).toBeUndefined();
    expect(seen[0].headers['content-length']).toBeUndefined();
  });

  test('a server URL with a trailing slash: no double slash in the path', async () => {
    await client({}, { server: `${base}/` }).get(CM, 'ns', 'x');
    expect(seen.map((s) => s.url)).toEqual([CM_PATH]);
  });

  test('no current cluster: the request fails before anything is sent', async () => {
    const c = new KubeClient({ getCurrentCluster: () => null, applyToFetchOptions: async () => ({}) });
    await expect(c.get(CM, 'ns', 'x')).rejects.toThrow(new Error('no current cluster in the kubeconfig'));
  });

  test('a connection that gives no agent: plain HTTP for an http server, requests and watches', async () => {
    const bare = { getCurrentCluster: () => ({ server: base }), applyToFetchOptions: async () => ({}) };
    await expect(new KubeClient(bare).getPath('/apis')).resolves.toEqual(cm);
    answers.push({ chunks: [], end: Promise.resolve() });
    const done = deferred<unknown>();
    await new KubeClient(bare).watch(CM, { resourceVersion: '1' }, () => undefined, (err) => done.resolve(err));
    await expect(done.promise).resolves.toBeNull();
  });

  test.each([
    ['apply', (c: KubeClient) => c.apply(CM, cm), 'PATCH', `${CM_PATH}?fieldManager=quay-operator&force=true`, 'application/apply-patch+yaml', cm],
    ['create', (c: KubeClient) => c.create(CM, cm), 'POST', '/api/v1/namespaces/ns/configmaps?fieldManager=quay-operator', 'application/json', cm],
    ['replace', (c: KubeClient) => c.replace(CM, cm), 'PUT', `${CM_PATH}?fieldManager=quay-operator`, 'application/json', cm],
    ['mergePatch', (c: KubeClient) => c.mergePatch(CM, 'ns', 'x', { data: { a: '2' } }), 'PATCH', CM_PATH, 'application/merge-patch+json', { data: { a: '2' } }],
    [
      'applyStatus',
      (c: KubeClient) => c.applyStatus(typeOf('QuayRegistry'), 'ns', 'r', { ready: true }),
      'PATCH',
      '/apis/quay.redhat.com/v1/namespaces/ns/quayregistries/r/status?fieldManager=quay-operator&force=true',
      'application/apply-patch+yaml',
      { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: 'ns' }, status: { ready: true } },
    ],
    ['delete', (c: KubeClient) => c.delete(CM, 'ns', 'x'), 'DELETE', CM_PATH, 'application/json', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }],
    ['delete (Foreground)', (c: KubeClient) => c.delete(CM, 'ns', 'x', 'Foreground'), 'DELETE', CM_PATH, 'application/json', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' }],
    ['post', (c: KubeClient) => c.post('/api/v1/namespaces/ns/serviceaccounts/sa/token', { spec: {} }), 'POST', '/api/v1/namespaces/ns/serviceaccounts/sa/token', 'application/json', { spec: {} }],
  ])('%s: the method, path, content type and JSON body (its byte length)', async (_what, call, method, url, contentType, body) => {
    const c = client();
    await call(c);
    const text = JSON.stringify(body);
    expect(seen).toHaveLength(1);
    expect([seen[0].method, seen[0].url, JSON.parse(seen[0].body)]).toEqual([method, url, body]);
    expect(seen[0].headers).toMatchObject({ 'content-type': contentType, accept: 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    expect(c.stats).toEqual({ requests: 1, reads: 0, writes: 1, watches: 0, bytesSent: text.length, throttled: 0, timeouts: 0 });
  });

  test('the answer of a write is its JSON; getPath returns the document as is', async () => {
    const c = client();
    answers.push({ body: '{"kind":"APIGroupList","groups":[]}' }, { code: 201, body: JSON.stringify({ ...cm, metadata: { ...cm.metadata, uid: 'u' } }) });
    await expect(c.getPath('/apis')).resolves.toEqual({ kind: 'APIGroupList', groups: [] });
    await expect(c.create(CM, cm)).resolves.toEqual({ ...cm, metadata: { ...cm.metadata, uid: 'u' } });
    expect(c.stats).toEqual({ requests: 2, reads: 1, writes: 1, watches: 0, bytesSent: JSON.stringify(cm).length, throttled: 0, timeouts: 0 });
  });

  test('an empty or non-JSON 2xx answer: undefined', async () => {
    const c = client();
    answers.push({ code: 200, body: '' }, { code: 200, body: 'not json' });
    await expect(c.getPath('/healthz')).resolves.toBeUndefined();
    await expect(c.getPath('/healthz')).resolves.toBeUndefined();
  });

  test('list: selectors in the query, apiVersion and kind put back on each item, the resourceVersion', async () => {
    const c = client();
    answers.push({ body: JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: '42' }, items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] }) });
    await expect(c.list(CM, { namespace: 'ns', labelSelector: 'app=quay', fieldSelector: 'metadata.name=a' })).resolves.toEqual({
      items: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } },
      ],
      resourceVersion: '42',
    });
    answers.push({ body: JSON.stringify({ metadata: { resourceVersion: '43' }, items: [] }) });
    await expect(c.list(NAMESPACE)).resolves.toEqual({ items: [], resourceVersion: '43' });
    answers.push({ body: JSON.stringify({ metadata: { resourceVersion: '44' }, items: [] }) });
    await c.list(CM, { namespace: 'ns', fieldSelector: 'metadata.name=a' });
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/namespaces/ns/configmaps?labelSelector=app%3Dquay&fieldSelector=metadata.name%3Da', '/api/v1/namespaces', '/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name%3Da']);
  });
});

describe('answers that are errors', () => {
  test('a Status: an ApiError with its code, reason and message, after the request line', async () => {
    answers.push({ code: 409, body: status(409, 'AlreadyExists', 'configmaps "x" already exists') });
    const err = await caught(client().create(CM, cm));
    expect(err).toBeInstanceOf(ApiError);
    expect({ ...(err as ApiError), message: (err as ApiError).message }).toEqual({
      name: 'ApiError',
      status: 409,
      reason: 'AlreadyExists',
      message: 'POST /api/v1/namespaces/ns/configmaps?fieldManager=quay-operator: 409 configmaps "x" already exists',
      serverMessage: 'configmaps "x" already exists',
    });
  });

  test("not a Status (a proxy's page): the HTTP reason and the body's first 200 characters", async () => {
    const page = `<html>${'x'.repeat(300)}</html>`;
    answers.push({ code: 502, headers: { 'Content-Type': 'text/html' }, body: page });
    const err = (await caught(client().get(CM, 'ns', 'x'))) as ApiError;
    expect([err.status, err.reason, err.serverMessage, err.message]).toEqual([502, 'Bad Gateway', page.slice(0, 200), `GET ${CM_PATH}: 502 ${page.slice(0, 200)}`]);
  });

  test('an empty answer: the HTTP reason, no message', async () => {
    answers.push({ code: 403 });
    const err = (await caught(client().getPath('/apis'))) as ApiError;
    expect([err.status, err.reason, err.serverMessage, err.message]).toEqual([403, 'Forbidden', '', 'GET /apis: 403 ']);
  });

  test('a Status without reason or message: the HTTP reason, the body', async () => {
    answers.push({ code: 422, body: '{"kind":"Status"}' });
    const err = (await caught(client().getPath('/apis'))) as ApiError;
    expect([err.status, err.reason, err.serverMessage]).toEqual([422, 'Unprocessable Entity', '{"kind":"Status"}']);
  });

  test.each([300, 304])('%i is not a success', async (code) => {
    answers.push({ code, body: '{}' });
    await expect(client().getPath('/apis')).rejects.toMatchObject({ status: code });
  });

  test.each([201, 299])('%i is a success', async (code) => {
    answers.push({ code, body: '{"ok":1}' });
    await expect(client().getPath('/apis')).resolves.toEqual({ ok: 1 });
  });

  test('get: 404 is undefined; any other error is thrown', async () => {
    const c = client();
    answers.push({ code: 404, body: status(404, 'NotFound', 'not found') }, { code: 403, body: status(403, 'Forbidden', 'no') });
    await expect(c.get(CM, 'ns', 'x')).resolves.toBeUndefined();
    await expect(c.get(CM, 'ns', 'x')).rejects.toMatchObject({ status: 403, reason: 'Forbidden' });
  });

  test('delete: 404 is done; any other error is thrown', async () => {
    const c = client();
    answers.push({ code: 404, body: status(404, 'NotFound', 'not found') }, { code: 409, body: status(409, 'Conflict', 'no') });
    await expect(c.delete(CM, 'ns', 'x')).resolves.toBeUndefined();
    await expect(c.delete(CM, 'ns', 'x')).rejects.toMatchObject({ status: 409, reason: 'Conflict' });
  });

  test('an answer cut short (the server dropped the connection mid-body): the request fails, nothing half-read is returned', async () => {
    answers.push({ code: 200, headers: { 'Content-Length': '1000' }, chunks: ['{"kind":'], end: new Promise(() => undefined) });
    const c = client();
    const err = caught(c.get(CM, 'ns', 'x'));
    await request(1);
    for (let i = 0; i < 100 && !serverResponses[0].headersSent; i++) await flush();
    serverResponses[0].socket?.destroy();
    await expect(err).resolves.toMatchObject({ message: 'aborted' });
  });

  test('a connection refused: the socket error as is, nothing counted as a timeout', async () => {
    const port = await freePort();
    const c = client({}, { server: `http://127.0.0.1:${port}` });
    await expect(c.get(CM, 'ns', 'x')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(c.stats.timeouts).toBe(0);
  });
});

describe('waits the server asks for', () => {
  const headers429 = (seconds: string, apf = true) => ({ 'Retry-After': seconds, ...(apf ? { 'X-Kubernetes-PF-FlowSchema-UID': 'fs-uid', 'X-Kubernetes-PF-PriorityLevel-UID': 'pl-uid' } : {}) });

  test('429 with Retry-After: every request of the client waits it out, then the request is sent again', async () => {
    const clock = new SignallingClock();
    const told: ThrottleInfo[] = [];
    const c = client({ clock, timeoutMs: 0, onThrottled: (i) => told.push(i) });
    answers.push({ code: 429, headers: headers429('2'), body: status(429, 'TooManyRequests', 'slow down') });
    const paused = clock.nextTimer();
    const first = c.get(CM, 'ns', 'x');
    await paused;
    expect(told).toEqual([{ method: 'GET', path: CM_PATH, status: 429, retryAfterMs: 2000, waited: true, flowSchemaUID: 'fs-uid', priorityLevelUID: 'pl-uid' }]);
    // Another request meanwhile waits for the same pause.
    const pausedToo = clock.nextTimer();
    const second = c.getPath('/apis');
    await pausedToo;
    expect(clock.pending()).toBe(2);
    await clock.advance(1999);
    expect(clock.pending()).toBe(2);
    expect(seen).toHaveLength(1);
    await clock.advance(1);
    await expect(first).resolves.toEqual(cm);
    await expect(second).resolves.toEqual(cm);
    expect(seen.map((s) => s.url).sort()).toEqual([CM_PATH, CM_PATH, '/apis'].sort());
    expect(c.stats).toEqual({ requests: 3, reads: 3, writes: 0, watches: 0, bytesSent: 0, throttled: 1, timeouts: 0 });
  });

  test('a 429 without Retry-After: 1 s', async () => {
    const clock = new SignallingClock();
    const told: ThrottleInfo[] = [];
    const c = client({ clock, timeoutMs: 0, onThrottled: (i) => told.push(i) });
    answers.push({ code: 429 });
    const paused = clock.nextTimer();
    const p = c.getPath('/apis');
    await paused;
    await clock.advance(1000);
    await expect(p).resolves.toEqual(cm);
    expect(told).toEqual([{ method: 'GET', path: '/apis', status: 429, retryAfterMs: 1000, waited: true }]);
  });

  test('a 5xx without Retry-After: the error at once, no wait', async () => {
    const told: ThrottleInfo[] = [];
    const c = client({ onThrottled: (i) => told.push(i) });
    answers.push({ code: 503, body: status(503, 'ServiceUnavailable', 'down') });
    await expect(c.getPath('/apis')).rejects.toMatchObject({ status: 503 });
    expect(told).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  test('maxRetries: sent again that many times, then the answer is the error (not waited)', async () => {
    const told: ThrottleInfo[] = [];
    const c = client({ maxRetries: 2, onThrottled: (i) => told.push(i) });
    for (let i = 0; i < 3; i++) answers.push({ code: 429, headers: { 'Retry-After': '0' }, body: status(429, 'TooManyRequests', 'slow down') });
    await expect(c.create(CM, cm)).rejects.toMatchObject({ status: 429, reason: 'TooManyRequests' });
    expect(seen).toHaveLength(3);
    expect(told.map((t) => t.waited)).toEqual([true, true, false]);
    expect(c.stats).toMatchObject({ requests: 3, writes: 3, throttled: 2 });
  });

  test('maxRetries 0 (the lease): the first 429 is the error', async () => {
    const told: ThrottleInfo[] = [];
    const c = client({ maxRetries: 0, onThrottled: (i) => told.push(i) });
    answers.push({ code: 429, headers: { 'Retry-After': '0' } });
    await expect(c.getPath('/apis')).rejects.toMatchObject({ status: 429 });
    expect(told).toEqual([{ method: 'GET', path: '/apis', status: 429, retryAfterMs: 0, waited: false }]);
    expect(c.stats.throttled).toBe(0);
  });

  test(`by default sent again ${DEFAULT_MAX_RETRIES} times`, async () => {
    const c = client();
    for (let i = 0; i <= DEFAULT_MAX_RETRIES; i++) answers.push({ code: 429, headers: { 'Retry-After': '0' } });
    await expect(c.getPath('/apis')).rejects.toMatchObject({ status: 429 });
    expect(seen).toHaveLength(DEFAULT_MAX_RETRIES + 1);
    answers.push({ code: 429, headers: { 'Retry-After': '0' } });
    await expect(c.getPath('/apis')).resolves.toEqual(cm);
  });

  test('a 500 with Retry-After that may have been processed: a write is not sent again, and says so', async () => {
    const told: ThrottleInfo[] = [];
    const c = client({ onThrottled: (i) => told.push(i) });
    answers.push({ code: 500, headers: { 'Retry-After': '0' }, body: status(500, 'Timeout', 'timed out') });
    await expect(c.replace(CM, cm)).rejects.toMatchObject({ status: 500, reason: 'Timeout' });
    expect(told).toEqual([{ method: 'PUT', path: `${CM_PATH}?fieldManager=quay-operator`, status: 500, retryAfterMs: 0, waited: false }]);
    // A 4xx with that reason is no "wait" answer.
    answers.push({ code: 429, headers: { 'Retry-After': '0' }, body: status(429, 'Timeout', 'x') });
    await expect(c.replace(CM, cm)).resolves.toEqual(cm);
  });

  test('the rate limiter is asked before each request', async () => {
    let taken = 0;
    const rateLimiter = { take: async () => void taken++ } as unknown as KubeClientOptions['rateLimiter'];
    const c = client({ rateLimiter });
    answers.push({ code: 429, headers: { 'Retry-After': '0' } });
    await c.getPath('/apis');
    expect(taken).toBe(2);
  });

  test('a 429 that comes while a request waits for its token holds that request too', async () => {
    const clock = new SignallingClock();
    const token = deferred();
    let calls = 0;
    const rateLimiter = { take: () => (++calls === 2 ? token.promise : Promise.resolve()) } as unknown as KubeClientOptions['rateLimiter'];
    const c = client({ clock, timeoutMs: 0, rateLimiter });
    answers.push({ code: 429, headers: { 'Retry-After': '3' } });
    // The first is sent; the second waits for its token; then the first is answered "wait 3 s".
    const paused = clock.nextTimer();
    const first = c.getPath('/first');
    const second = c.getPath('/second');
    await paused;
    expect(calls).toBe(2);
    const heldToo = clock.nextTimer();
    token.resolve();
    await heldToo;
    expect(clock.pending()).toBe(2);
    await clock.advance(2999);
    expect(seen).toHaveLength(1);
    await clock.advance(1);
    await Promise.all([first, second]);
    expect(seen.map((s) => s.url).sort()).toEqual(['/first', '/first', '/second']);
  });
});

describe('deadlines', () => {
  test('no answer within the timeout: RequestTimeoutError naming the request, counted', async () => {
    const clock = new ManualClock();
    const c = client({ clock, timeoutMs: 1000 });
    answers.push({ hold: true });
    const err = caught(c.create(CM, cm));
    await request(1);
    await clock.advance(999);
    expect(c.stats.timeouts).toBe(0);
    await clock.advance(1);
    const e = await err;
    expect(e).toBeInstanceOf(RequestTimeoutError);
    expect((e as Error).message).toBe('POST /api/v1/namespaces/ns/configmaps?fieldManager=quay-operator: no answer within 1000 ms');
    expect(c.stats.timeouts).toBe(1);
    // The connection given up is closed, not left to the server.
    await new Promise<void>((resolve) => (serverResponses[0].destroyed ? resolve() : serverResponses[0].on('close', resolve)));
  });

  test('an answer in time: the deadline cleared; timeout 0: none set', async () => {
    const clock = new ManualClock();
    await client({ clock, timeoutMs: 1000 }).getPath('/apis');
    expect(clock.pending()).toBe(0);
    answers.push({ hold: true });
    void client({ clock, timeoutMs: 0 }).getPath('/apis').catch(() => undefined);
    await request(2);
    expect(clock.pending()).toBe(0);
  });

  test('default: 60 s', async () => {
    const clock = new ManualClock();
    const c = new KubeClient(new SimpleConnection({ server: base }), { clock });
    answers.push({ hold: true });
    const err = caught(c.getPath('/apis'));
    await request(1);
    await clock.advance(59_999);
    expect(c.stats.timeouts).toBe(0);
    await clock.advance(1);
    expect(((await err) as Error).message).toBe('GET /apis: no answer within 60000 ms');
  });
});

describe('watch', () => {
  type Ev = [WatchEventType, KubeObject];
  const line = (type: WatchEventType, name: string) => `${JSON.stringify({ type, object: { metadata: { name } } })}\n`;
  const obj = (name: string) => ({ metadata: { name } }) as KubeObject;
  const watch = async (c: KubeClient, selector: Partial<{ namespace: string; labelSelector: string; fieldSelector: string }> = {}) => {
    const events: Ev[] = [];
    const done = deferred<unknown>();
    let calls = 0;
    const controller = await c.watch(CM, { resourceVersion: '7', ...selector }, (type, o) => events.push([type, o]), (err) => {
      calls++;
      done.resolve(err);
    });
    return { events, done: done.promise, controller, calls: () => calls };
  };

  test('the query, one event a line (split across chunks, blank and non-JSON lines skipped), done(null) at the end', async () => {
    const c = client({}, { token: 'tok' });
    const end = deferred();
    answers.push({ chunks: [line('ADDED', 'a') + '\n', line('MODIFIED', 'b').slice(0, 10), line('MODIFIED', 'b').slice(10) + 'not json\n  \n', line('BOOKMARK', 'c').trimEnd()], end: end.promise });
    const w = await watch(c, { namespace: 'ns', labelSelector: 'app=quay', fieldSelector: 'metadata.name=x' });
    await request(1);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v1/namespaces/ns/configmaps?watch=true&resourceVersion=7&allowWatchBookmarks=true&labelSelector=app%3Dquay&fieldSelector=metadata.name%3Dx', headers: { accept: 'application/json', authorization: 'Bearer tok' } });
    end.resolve();
    await expect(w.done).resolves.toBeNull();
    // The last line had no newline: the stream ended before it was whole.
    expect(w.events).toEqual([
      ['ADDED', obj('a')],
      ['MODIFIED', obj('b')],
    ]);
    expect(w.calls()).toBe(1);
    expect(c.stats).toEqual({ requests: 1, reads: 0, writes: 0, watches: 1, bytesSent: 0, throttled: 0, timeouts: 0 });
  });

  test('no selectors: the query has none', async () => {
    answers.push({ chunks: [] , end: Promise.resolve() });
    const w = await watch(client());
    await w.done;
    expect(seen[0].url).toBe('/api/v1/configmaps?watch=true&resourceVersion=7&allowWatchBookmarks=true');
  });

  test('refused (410 Gone): done once with an error carrying the status, no events', async () => {
    answers.push({ code: 410, body: status(410, 'Expired', 'too old resource version') });
    const told: ThrottleInfo[] = [];
    const c = client({ onThrottled: (i) => told.push(i) });
    const w = await watch(c);
    const err = (await w.done) as Error & { statusCode?: number; retryAfterMs?: number };
    expect([err.message, err.statusCode, 'retryAfterMs' in err]).toEqual(['Gone', 410, false]);
    expect(w.events).toEqual([]);
    expect(told).toEqual([]);
    expect(c.stats.throttled).toBe(0);
    await flush();
    expect(w.calls()).toBe(1);
  });

  test('a 429: the error carries the wait, the client pauses every request for it', async () => {
    const clock = new SignallingClock();
    const told: ThrottleInfo[] = [];
    const c = client({ clock, timeoutMs: 0, onThrottled: (i) => told.push(i) });
    answers.push({ code: 429, headers: { 'Retry-After': '4', 'X-Kubernetes-PF-FlowSchema-UID': 'fs-uid' } });
    const w = await watch(c);
    const err = (await w.done) as Error & { statusCode?: number; retryAfterMs?: number };
    expect([err.message, err.statusCode, err.retryAfterMs]).toEqual(['Too Many Requests', 429, 4000]);
    expect(told).toEqual([{ method: 'GET', path: '/api/v1/configmaps', status: 429, retryAfterMs: 4000, waited: true, flowSchemaUID: 'fs-uid' }]);
    expect(c.stats).toMatchObject({ requests: 1, watches: 1, throttled: 1 });
    // The next watch waits the pause out before it is sent.
    const paused = clock.nextTimer();
    const next = watch(c);
    await paused;
    await clock.advance(3999);
    expect(seen).toHaveLength(1);
    answers.push({ chunks: [], end: Promise.resolve() });
    await clock.advance(1);
    await expect((await next).done).resolves.toBeNull();
    expect(seen).toHaveLength(2);
  });

  test('aborted: the connection closed, done once', async () => {
    const c = client();
    answers.push({ chunks: [line('ADDED', 'a')], end: new Promise(() => undefined) });
    const w = await watch(c);
    for (let i = 0; i < 100 && w.events.length === 0; i++) await flush();
    expect(w.events).toEqual([['ADDED', obj('a')]]);
    const closed = new Promise<void>((resolve) => serverResponses[0].on('close', resolve));
    w.controller.abort();
    // The stream cut short: done with the socket's error, once; the server sees the connection go.
    await expect(w.done).resolves.toMatchObject({ message: 'aborted' });
    await closed;
    await flush();
    expect(w.calls()).toBe(1);
  });

  test('no answer within the timeout: ended with a RequestTimeoutError, counted', async () => {
    const clock = new ManualClock();
    const c = client({ clock, timeoutMs: 1000 });
    answers.push({ hold: true });
    const w = await watch(c);
    await request(1);
    await clock.advance(999);
    expect(c.stats.timeouts).toBe(0);
    await clock.advance(1);
    const err = await w.done;
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect((err as Error).message).toBe('watch /api/v1/configmaps: no answer within 1000 ms');
    expect(c.stats.timeouts).toBe(1);
  });

  test('streaming in time: the deadline cleared, the watch goes on past it', async () => {
    const clock = new ManualClock();
    const c = client({ clock, timeoutMs: 1000 });
    const end = deferred();
    answers.push({ chunks: [line('ADDED', 'a')], end: end.promise });
    const w = await watch(c);
    await request(1);
    for (let i = 0; i < 50 && w.events.length === 0; i++) await flush();
    expect(clock.pending()).toBe(0);
    await clock.advance(5000);
    expect(w.calls()).toBe(0);
    end.resolve();
    await expect(w.done).resolves.toBeNull();
    expect(w.events).toEqual([['ADDED', obj('a')]]);
  });

  test.each([
    [410, 'Gone'],
    [599, 'Internal Server Error'],
  ])('refused with an empty reason phrase (%i): the message from the status code', async (code, message) => {
    answers.push({ code, reason: '' });
    const w = await watch(client());
    const err = (await w.done) as Error & { statusCode?: number };
    expect([err.message, err.statusCode]).toEqual([message, code]);
  });

  test('timeout 0: no deadline on the watch', async () => {
    const clock = new ManualClock();
    answers.push({ hold: true });
    const w = await watch(client({ clock, timeoutMs: 0 }));
    await request(1);
    expect(clock.pending()).toBe(0);
    w.controller.abort();
    await w.done;
  });

  test('no current cluster: done with the error', async () => {
    const c = new KubeClient({ getCurrentCluster: () => null, applyToFetchOptions: async () => ({}) });
    const w = await watch(c);
    await expect(w.done).resolves.toEqual(new Error('no current cluster in the kubeconfig'));
    expect(w.controller.signal.aborted).toBe(true);
  });

  test('a connection refused: done with the socket error', async () => {
    const port = await freePort();
    const w = await watch(client({}, { server: `http://127.0.0.1:${port}` }));
    await expect(w.done).resolves.toMatchObject({ code: 'ECONNREFUSED' });
    expect(w.calls()).toBe(1);
  });
});

describe('over https', () => {
  const tls = (f: string) => fs.readFileSync(path.resolve(__dirname, '../fixtures/tls', f));
  const NAME = 'example-registry-quay-quay-enterprise.apps.example.com';
  let secure: https.Server;
  let url: string;

  beforeEach(async () => {
    secure = https.createServer({ cert: tls('leaf.crt'), key: tls('leaf.key') }, (req, res) => {
      req.resume();
      if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(`${JSON.stringify({ type: 'ADDED', object: cm })}\n`);
      } else res.end(JSON.stringify(cm));
    });
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    secure.closeAllConnections();
    await new Promise((resolve) => secure.close(resolve));
  });

  test('a connection that gives no agent: still TLS (the certificate checked against the system CAs), never plain HTTP', async () => {
    const bare = { getCurrentCluster: () => ({ server: url }), applyToFetchOptions: async () => ({}) };
    await expect(new KubeClient(bare, { timeoutMs: 5000 }).getPath('/apis')).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const done = deferred<unknown>();
    await new KubeClient(bare, { timeoutMs: 5000 }).watch(CM, { resourceVersion: '1' }, () => undefined, (err) => done.resolve(err));
    await expect(done.promise).resolves.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  test('requests and watches go over TLS with the connection\'s CA', async () => {
    const c = new KubeClient(new SimpleConnection({ server: url, ca: tls('ca.crt'), servername: NAME }), { timeoutMs: 5000 });
    await expect(c.get(CM, 'ns', 'x')).resolves.toEqual(cm);
    const events: [WatchEventType, KubeObject][] = [];
    const done = deferred<unknown>();
    await c.watch(CM, { resourceVersion: '1' }, (t, o) => events.push([t, o]), (err) => done.resolve(err));
    await expect(done.promise).resolves.toBeNull();
    expect(events).toEqual([['ADDED', cm]]);
  });
});
