// The first-user call over TLS goes only to a server presenting exactly the certificate Quay serves
// (the password must not reach anyone else), and answers are read as Quay gives them.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { postToQuay } from '../../lib/controller/quay-api';

const tls = (f: string) => fs.readFileSync(path.resolve(__dirname, '../fixtures/tls', f));
let server: https.Server | http.Server;
let received: string[];

async function serve(s: https.Server | http.Server): Promise<number> {
  server = s;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}
const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    received.push(body);
    res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"message":"Cannot initialize user in a non-empty database"}');
  });
};

beforeEach(() => (received = []));
afterEach(() => new Promise((r) => server.close(r)));

test('https to the pinned certificate: a POST sent, and the answer parsed', async () => {
  const methods: string[] = [];
  const port = await serve(
    https.createServer({ cert: tls('leaf.crt'), key: tls('leaf.key') }, (req, res) => {
      methods.push(req.method ?? '');
      handler(req, res);
    }),
  );
  const answer = await postToQuay({ baseUrl: `https://127.0.0.1:${port}`, pinnedCertificate: tls('leaf.crt') }, '/api/v1/user/initialize', { username: 'u' });
  expect(answer).toEqual({ status: 400, body: { message: 'Cannot initialize user in a non-empty database' } });
  expect(received).toEqual(['{"username":"u"}']);
  expect(methods).toEqual(['POST']);
});

test('https to another certificate: refused before the body is sent', async () => {
  const port = await serve(https.createServer({ cert: tls('wildcard.crt'), key: tls('wildcard.key') }, handler));
  await expect(postToQuay({ baseUrl: `https://127.0.0.1:${port}`, pinnedCertificate: tls('leaf.crt') }, '/api/v1/user/initialize', { password: 'secret' })).rejects.toThrow(
    'did not present the certificate Quay serves',
  );
  expect(received).toEqual([]);
});

test('a non-JSON answer (a proxy\'s page) is kept as text', async () => {
  const port = await serve(http.createServer((_req, res) => res.writeHead(502).end('Bad Gateway')));
  expect(await postToQuay({ baseUrl: `http://127.0.0.1:${port}` }, '/api/v1/user/initialize', {})).toEqual({ status: 502, body: 'Bad Gateway' });
});

test('over http: a JSON POST to the path, its Content-Length the bytes sent (UTF-8, not characters)', async () => {
  const seen: { method?: string; url?: string; headers?: http.IncomingHttpHeaders } = {};
  const port = await serve(
    http.createServer((req, res) => {
      Object.assign(seen, { method: req.method, url: req.url, headers: req.headers });
      handler(req, res);
    }),
  );
  const answer = await postToQuay({ baseUrl: `http://127.0.0.1:${port}` }, '/api/v1/user/initialize', { username: 'ü' });
  expect(answer.status).toBe(400);
  expect(seen).toMatchObject({ method: 'POST', url: '/api/v1/user/initialize', headers: { 'content-type': 'application/json', 'content-length': '17' } });
  expect(received).toEqual(['{"username":"ü"}']);
});

test('an answer larger than 64 KiB is cut (a misrouted call cannot fill the memory)', async () => {
  const port = await serve(
    http.createServer((_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 16; i++) res.write('x'.repeat(16 * 1024));
      res.end();
    }),
  );
  const { body } = await postToQuay({ baseUrl: `http://127.0.0.1:${port}` }, '/', {});
  expect(typeof body).toBe('string');
  expect((body as string).length).toBeGreaterThan(0);
  expect((body as string).length).toBeLessThanOrEqual(64 * 1024);
});

test('an answer of exactly 64 KiB is kept whole', async () => {
  const text = JSON.stringify('y'.repeat(64 * 1024 - 2));
  const port = await serve(
    http.createServer((_req, res) => {
      res.writeHead(200);
      // Several writes: the last chunk is the one that reaches the limit exactly.
      for (let i = 0; i < 4; i++) res.write(text.slice(i * 16 * 1024, (i + 1) * 16 * 1024));
      res.end();
    }),
  );
  const { body } = await postToQuay({ baseUrl: `http://127.0.0.1:${port}` }, '/', {});
  expect(body).toBe('y'.repeat(64 * 1024 - 2));
});

test('no answer: refused after the timeout, naming the server', async () => {
  const port = await serve(http.createServer(() => undefined));
  await expect(postToQuay({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 200 }, '/', {})).rejects.toThrow(`no answer from http://127.0.0.1:${port} in 0.2 s`);
  server.closeAllConnections?.();
});
