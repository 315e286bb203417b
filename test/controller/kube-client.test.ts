// plainHeaders: @kubernetes/client-node 1.4 hands the credentials over as WHATWG Headers, which an
// object spread does not copy; the in-cluster token was silently never sent.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, KubeClient, plainHeaders } from '../../lib/controller/kube-client';
import { SimpleConnection } from '../../lib/controller/kube-config';
import { typeOf } from '../../lib/controller/resources';

describe('plainHeaders', () => {
  test('copies WHATWG Headers (the Authorization of a ServiceAccount token)', () => {
    const h = new Headers({ Authorization: 'Bearer abc', 'X-Extra': '1' });
    expect({ ...h }).toEqual({}); // why the helper exists
    expect(plainHeaders(h)).toEqual({ authorization: 'Bearer abc', 'x-extra': '1' });
  });

  test('copies a plain record, joining list values and dropping undefined ones', () => {
    expect(plainHeaders({ Authorization: 'Bearer abc', Accept: ['a', 'b'], Skip: undefined })).toEqual({ Authorization: 'Bearer abc', Accept: 'a, b' });
  });

  test('nothing in, nothing out', () => {
    expect(plainHeaders(undefined)).toEqual({});
  });
});

// A 5xx with Retry-After: kube-apiserver's 500 ServerTimeout and 504 Timeout say the server "may still
// be processing the request", so a write answered so may have happened: sent again it could be done
// twice. Reads are sent again; writes only after a 5xx that does not say so (503 ServiceUnavailable).
describe('KubeClient: which 5xx answers with Retry-After are sent again', () => {
  const CM = typeOf('ConfigMap');
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' }, data: { a: '1' } };
  interface Answer {
    readonly code: number;
    readonly reason?: string;
    /** A body that is not a Status (a proxy's). */
    readonly text?: string;
  }
  let server: http.Server;
  let answers: Answer[];
  let seen: string[];
  let client: KubeClient;

  beforeEach(async () => {
    answers = [];
    seen = [];
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(req.method as string);
        const a = answers.shift() ?? { code: 200 };
        const body = a.text ?? JSON.stringify(a.code < 300 ? cm : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `answered ${a.code}`, reason: a.reason, code: a.code });
        // Retry-After 0: sent again at once, so no clock is needed.
        res.writeHead(a.code, { 'Content-Type': a.text ? 'text/plain' : 'application/json', ...(a.code >= 500 ? { 'Retry-After': '0' } : {}) });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new KubeClient(new SimpleConnection({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }), { timeoutMs: 5000 });
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const writes: [string, (c: KubeClient) => Promise<unknown>][] = [
    ['POST (create)', (c) => c.create(CM, cm)],
    ['PUT (replace)', (c) => c.replace(CM, cm)],
    ['PATCH (apply)', (c) => c.apply(CM, cm)],
    ['PATCH (merge)', (c) => c.mergePatch(CM, 'ns', 'x', { data: { a: '2' } })],
    ['DELETE', (c) => c.delete(CM, 'ns', 'x')],
  ];
  const mayHaveHappened: Answer[] = [
    { code: 500, reason: 'ServerTimeout' },
    { code: 504, reason: 'Timeout' },
    { code: 504, text: 'Gateway Timeout' }, // a proxy's: no Status, the same uncertainty
  ];

  describe.each(writes)('%s', (_label, write) => {
    test.each(mayHaveHappened)('answered %j: not sent again, the answer is the error', async (answer) => {
      answers.push(answer);
      const err = await write(client).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: answer.code, ...(answer.reason ? { reason: answer.reason } : {}) });
      expect(seen).toHaveLength(1);
      expect(client.stats.throttled).toBe(0);
    });

    test('answered 503 ServiceUnavailable or 500 InternalError: sent again', async () => {
      answers.push({ code: 503, reason: 'ServiceUnavailable' }, { code: 500, reason: 'InternalError' });
      await expect(write(client)).resolves.not.toBeInstanceOf(Error);
      expect(seen).toHaveLength(3);
      expect(client.stats.throttled).toBe(2);
    });
  });

  test.each(mayHaveHappened)('a GET answered %j is sent again (a read is safe to repeat)', async (answer) => {
    answers.push(answer);
    await expect(client.get(CM, 'ns', 'x')).resolves.toMatchObject({ metadata: { name: 'x' } });
    expect(seen).toEqual(['GET', 'GET']);
    expect(client.stats.throttled).toBe(1);
  });
});
