// The HTTP side of POST /reconfigure (lib/controller/runtime/reconfigure-server.ts) on a local port,
// with a stub Kubernetes client behind the real handler: path, method, body size, the answer's status
// and headers, and a failure's 503. config-editor-flow.test.ts runs the whole commit against the fake
// API server; here the server's own rules are checked one by one.
import { request } from 'node:http';
import type { KubeClient } from '../../../lib/controller/kube-client';
import { MAX_RECONFIGURE_BYTES, ReconfigureDeps } from '../../../lib/controller/reconfigure';
import type { ResourceType } from '../../../lib/controller/resources';
import type { ProbeServer } from '../../../lib/controller/runtime/http-server';
import { startReconfigureServer } from '../../../lib/controller/runtime/reconfigure-server';
import { managedKeysSecretName, reconfigureToken } from '../../../lib/keys';
import type { Environment } from '../../../lib/model';
import { basicAuth, httpPost } from '../../support/http-post';
import { capturedLog } from './helpers';

type Obj = Record<string, any>;
const PASSWORD = 'editor-password';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const COMMIT = JSON.stringify({ namespace: 'ns', quayRegistryName: 'r', 'config.yaml': { SERVER_HOSTNAME: 'quay.example.com' } });
const AUTH = basicAuth('quayconfig', reconfigureToken(PASSWORD, 'ns', 'r'));

let server: ProbeServer;
let lines: Record<string, unknown>[];
/** What client.get answers, by kind/name; an Error is thrown. */
let objects: Record<string, Obj | Error>;

beforeEach(async () => {
  objects = {
    'QuayRegistry/r': { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'r', namespace: 'ns' }, spec: {} },
    [`Secret/${managedKeysSecretName('r')}`]: { apiVersion: 'v1', kind: 'Secret', metadata: { name: managedKeysSecretName('r'), namespace: 'ns' }, data: { CONFIG_EDITOR_PW: b64(PASSWORD) } },
  };
  const client = {
    get: async (t: ResourceType, _ns: string, name: string) => {
      const o = objects[`${t.kind}/${name}`];
      if (o instanceof Error) throw o;
      return o;
    },
  } as unknown as KubeClient;
  const log = capturedLog();
  lines = log.lines;
  const deps: ReconfigureDeps = { client, logger: log.logger, environment: () => ({}) as Environment };
  server = await startReconfigureServer(deps, 0, '127.0.0.1');
});

afterEach(async () => {
  await server.close();
});

const post = (body: string | Buffer, headers: Record<string, string> = AUTH, path = '/reconfigure') => httpPost(server.port, path, body, headers);

function get(path: string): Promise<{ status: number; body: string; headers: Obj }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('another path: 404, as JSON', async () => {
  const r = await post(COMMIT, AUTH, '/elsewhere');
  expect([r.status, r.body, r.headers['content-type']]).toEqual([404, '{"error":"not found"}\n', 'application/json']);
  expect((await post(COMMIT, AUTH, '/reconfigure/x')).status).toBe(404);
});

test('another method: 405 naming POST', async () => {
  const r = await get('/reconfigure');
  expect([r.status, r.body, r.headers.allow]).toEqual([405, '{"error":"method not allowed"}\n', 'POST']);
});

test('the handler\'s answer, with its status; a query string does not change the path', async () => {
  const r = await post(COMMIT, AUTH, '/reconfigure?from=editor');
  expect([r.status, r.body, r.headers['content-type'], r.headers['www-authenticate']]).toEqual([409, '{"error":"QuayRegistry r names no configBundleSecret to commit to"}\n', 'application/json', undefined]);
  expect(lines).toEqual([]);
});

test('401 asks for Basic credentials; other refusals do not', async () => {
  const r = await post(COMMIT, {});
  expect([r.status, r.body, r.headers['www-authenticate']]).toEqual([401, '{"error":"unauthorized"}\n', 'Basic realm="quay-operator"']);
  const bad = await post('{"namespace":', AUTH);
  expect([bad.status, bad.headers['www-authenticate']]).toEqual([400, undefined]);
  expect(JSON.parse(bad.body).error).toMatch(/^body is not JSON: /);
});

test('a body of exactly the limit is read; one byte more is refused with 413 and the connection closed', async () => {
  const atLimit = await post(Buffer.alloc(MAX_RECONFIGURE_BYTES, 0x20));
  expect([atLimit.status, JSON.parse(atLimit.body).error]).toEqual([400, 'body is not JSON: Unexpected end of JSON input']);
  // The rest of the body is not read: a client that asked to keep the connection is told it closes.
  const over = await post(Buffer.alloc(MAX_RECONFIGURE_BYTES + 1, 0x20), { ...AUTH, Connection: 'keep-alive' });
  expect([over.status, over.body, over.headers.connection]).toEqual([413, `{"error":"body larger than ${MAX_RECONFIGURE_BYTES} bytes"}\n`, 'close']);
});

test('a failure behind the handler (the API unreachable): logged, and 503 asks the editor to try again', async () => {
  objects['QuayRegistry/r'] = new Error('connect ECONNREFUSED 10.0.0.1:443');
  const r = await post(COMMIT);
  expect([r.status, r.body]).toEqual([503, '{"error":"the operator could not commit the bundle now; try again"}\n']);
  expect(lines).toEqual([{ level: 'error', msg: 'config editor commit failed', err: 'connect ECONNREFUSED 10.0.0.1:443' }]);
});
