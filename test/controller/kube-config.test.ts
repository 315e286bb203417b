// The operator's own kubeconfig reading (lib/controller/kube-config.ts): the in-cluster
// ServiceAccount and plain kubeconfig files without @kubernetes/client-node, which is loaded only
// for what they do not cover (exec plugins and the like). And `run` loads only what runs: no
// client-node, cdk8s or YAML library until a registry is reconciled.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeClient } from '../../lib/controller/kube-client';
import { ConnectionSettings, SimpleConnection, inClusterConnection, loadConnection, settingsFromKubeconfig } from '../../lib/controller/kube-config';
import { FakeApiServer } from '../support/fake-apiserver';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const kubeconfig = (cluster: Record<string, unknown>, user: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'c', cluster: { server: 'https://api.example.com:6443/', ...cluster } }],
  users: [{ name: 'u', user }],
  contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'ctx',
});

describe('settingsFromKubeconfig', () => {
  test('a token and an inline CA', () => {
    const ca = Buffer.from('-----BEGIN CERTIFICATE-----\n');
    expect(settingsFromKubeconfig(kubeconfig({ 'certificate-authority-data': ca.toString('base64') }, { token: 'abc' }), dir)).toEqual({ server: 'https://api.example.com:6443', ca, token: 'abc' });
  });

  test('files relative to the kubeconfig, a client certificate, skip-verify and the TLS server name', () => {
    fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA');
    fs.writeFileSync(path.join(dir, 'tls.crt'), 'CERT');
    const s = settingsFromKubeconfig(kubeconfig({ 'certificate-authority': 'ca.crt', 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' }, { 'client-certificate': 'tls.crt', 'client-key-data': Buffer.from('KEY').toString('base64') }), dir);
    expect(s).toEqual({ server: 'https://api.example.com:6443', ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY'), insecure: true, servername: 'kubernetes' });
  });

  test.each([
    ['an exec plugin', {}, { exec: { command: 'aws', args: ['eks', 'get-token'] } }],
    ['an auth-provider', {}, { 'auth-provider': { name: 'oidc' } }],
    ['impersonation', {}, { token: 'abc', as: 'someone' }],
    ['a proxy', { 'proxy-url': 'http://proxy:3128' }, { token: 'abc' }],
  ])('%s: left to client-node', (_what, cluster, user) => {
    expect(settingsFromKubeconfig(kubeconfig(cluster, user), dir)).toBeUndefined();
  });

  test('no current context: left to client-node (which then has no cluster)', () => {
    expect(settingsFromKubeconfig({ ...kubeconfig({}, { token: 'abc' }), 'current-context': 'elsewhere' }, dir)).toBeUndefined();
  });
});

describe('loadConnection', () => {
  const write = (name: string, doc: unknown, yaml = false) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, yaml ? `# YAML\n${JSON.stringify(doc)}\n` : JSON.stringify(doc));
    return file;
  };

  test('--kubeconfig, else the one KUBECONFIG file, else ~/.kube/config (JSON or YAML)', () => {
    const a = write('a', kubeconfig({ server: 'https://a:6443' }, { token: 'a' }));
    const b = write('b', kubeconfig({ server: 'https://b:6443' }, { token: 'b' }), true);
    fs.mkdirSync(path.join(dir, '.kube'));
    write('.kube/config', kubeconfig({ server: 'https://home:6443' }, { token: 'h' }), true);
    const server = (c: ReturnType<typeof loadConnection>) => c.getCurrentCluster()?.server;
    expect(server(loadConnection(a, { KUBECONFIG: b, HOME: dir }))).toBe('https://a:6443');
    expect(server(loadConnection(undefined, { KUBECONFIG: b, HOME: dir }))).toBe('https://b:6443');
    expect(server(loadConnection(undefined, { HOME: dir, KUBERNETES_SERVICE_HOST: '10.0.0.1' }))).toBe('https://home:6443');
  });

  test('an exec plugin: client-node\'s KubeConfig, loaded from the file', () => {
    const file = write('exec', kubeconfig({}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } }));
    const c = loadConnection(file, { HOME: dir });
    expect(c).not.toBeInstanceOf(SimpleConnection);
    expect(c.getCurrentCluster()?.server).toBe('https://api.example.com:6443');
  });

  test('in a pod: the ServiceAccount token, re-read from its file, and CA; IPv6 hosts bracketed', async () => {
    fs.writeFileSync(path.join(dir, 'token'), 'first\n');
    fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA');
    const c = inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    expect(c.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
    expect((await c.applyToFetchOptions({})).headers).toEqual({ Authorization: 'Bearer first' });
  });
});

test('a SimpleConnection talks to the API server: its token, JSON, a refusal without one', async () => {
  const server = await FakeApiServer.start();
  try {
    const client = new KubeClient(new SimpleConnection({ server: server.url, token: server.adminToken }));
    server.createNamespace('ns');
    await client.create({ apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } });
    const list = await client.list({ apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true }, { namespace: 'ns' });
    expect(list.items.map((o) => o.metadata.name)).toEqual(['a']);
    expect(client.stats).toMatchObject({ reads: 1, writes: 1, watches: 0 });
    const anonymous = new KubeClient(new SimpleConnection({ server: server.url }));
    await expect(anonymous.list({ apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true }, { namespace: 'ns' })).rejects.toMatchObject({ status: 403 });
  } finally {
    await server.stop();
  }
});

test('`run` loads neither client-node nor cdk8s nor a YAML library until a registry is reconciled', () => {
  const run = path.resolve(__dirname, '../../build/lib/cli/run.js');
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', `require(${JSON.stringify(run)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' })) as string[];
  const heavy = loaded.filter((f) => /node_modules\/(@kubernetes\/client-node|cdk8s|cdk8s-plus-27|js-yaml|yaml|node-fetch)\//.test(f) || /build\/(constructs|imports)\//.test(f));
  expect(heavy).toEqual([]);
});

describe('SimpleConnection over https', () => {
  const tls = (f: string) => fs.readFileSync(path.resolve(__dirname, '../fixtures/tls', f));
  const NAME = 'example-registry-quay-quay-enterprise.apps.example.com';
  let server: https.Server;
  let port: number;
  let connections: number;
  const seen: { clientCN?: string; servername?: string }[] = [];

  beforeEach(async () => {
    connections = 0;
    seen.length = 0;
    // Asks for a client certificate (and accepts a connection without one, to show what was sent).
    server = https.createServer({ cert: tls('leaf.crt'), key: tls('leaf.key'), ca: tls('ca.crt'), requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const socket = req.socket as import('node:tls').TLSSocket;
      seen.push({ clientCN: socket.getPeerCertificate().subject?.CN as string | undefined, servername: (socket as unknown as { servername?: string }).servername });
      res.end('{}');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as import('node:net').AddressInfo).port;
  });
  afterEach(() => new Promise((r) => server.close(r)));

  const get = async (c: SimpleConnection): Promise<void> => {
    const { agent, headers } = await c.applyToFetchOptions();
    await new Promise<void>((resolve, reject) =>
      https
        .get(`https://127.0.0.1:${port}/`, { agent: agent as https.Agent, headers: headers as Record<string, string> }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject),
    );
  };

  test('trusts the CA it is given, names the server, presents the client certificate, keeps the connection', async () => {
    const c = new SimpleConnection({ server: `https://127.0.0.1:${port}`, ca: tls('ca.crt'), servername: NAME, cert: tls('leaf.crt'), key: tls('leaf.key') });
    await get(c);
    await get(c);
    expect(seen).toEqual([
      { clientCN: NAME, servername: NAME },
      { clientCN: NAME, servername: NAME },
    ]);
    expect(connections).toBe(1);
  });

  test('without the CA, or without the server name the certificate holds, refused; insecure skips the check', async () => {
    await expect(get(new SimpleConnection({ server: `https://127.0.0.1:${port}`, servername: NAME }))).rejects.toThrow(/certificate/);
    await expect(get(new SimpleConnection({ server: `https://127.0.0.1:${port}`, ca: tls('ca.crt') }))).rejects.toThrow(/IP: 127.0.0.1 is not in the cert's list/);
    await get(new SimpleConnection({ server: `https://127.0.0.1:${port}`, insecure: true }));
    expect(seen).toEqual([{ clientCN: undefined, servername: false }]);
  });
});

describe('SimpleConnection over http and its credentials', () => {
  test('http: one kept-alive connection for every request', async () => {
    let connections = 0;
    const server = http.createServer((_req, res) => res.end('{}'));
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = new SimpleConnection({ server: `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}` });
    try {
      for (let i = 0; i < 2; i++) {
        const { agent } = await c.applyToFetchOptions();
        await new Promise<void>((resolve, reject) =>
          http.get(`${c.settings.server}/`, { agent: agent as http.Agent }, (res) => res.resume().on('end', resolve)).on('error', reject),
        );
      }
      expect(connections).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('basic auth, with and without a password', async () => {
    const header = async (s: Partial<ConnectionSettings>) => (await new SimpleConnection({ server: 'http://h', ...s }).applyToFetchOptions()).headers;
    expect(await header({ username: 'admin', password: 's3cret' })).toEqual({ Authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` });
    expect(await header({ username: 'admin' })).toEqual({ Authorization: `Basic ${Buffer.from('admin:').toString('base64')}` });
    expect(await header({})).toEqual({});
  });

  test('a token file is read once a minute at most (kubelet rotates it)', async () => {
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'first\n');
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const c = new SimpleConnection({ server: 'http://h', tokenFile: file });
      const auth = async () => ((await c.applyToFetchOptions()).headers as Record<string, string>).Authorization;
      expect(await auth()).toBe('Bearer first');
      fs.writeFileSync(file, 'second\n');
      now += 60_000;
      expect(await auth()).toBe('Bearer first');
      now += 1;
      expect(await auth()).toBe('Bearer second');
    } finally {
      clock.mockRestore();
    }
  });
});

describe('settingsFromKubeconfig: more shapes', () => {
  test('the current context among several, a null entry, inline client certificate, key file, token file (both spellings) relative to the kubeconfig', () => {
    fs.writeFileSync(path.join(dir, 'tls.key'), 'KEY');
    const doc = (user: Record<string, unknown>) => ({
      clusters: [null, { name: 'other', cluster: { server: 'https://other:6443' } }, { name: 'c', cluster: { server: 'https://c:6443' } }],
      users: [{ name: 'someone', user: { token: 'wrong' } }, { name: 'u', user }],
      contexts: [{ name: 'first', context: { cluster: 'other', user: 'someone' } }, null, { name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    });
    const cert = Buffer.from('CERT');
    expect(settingsFromKubeconfig(doc({ 'client-certificate-data': cert.toString('base64'), 'client-key': 'tls.key', tokenFile: 'tok' }), dir)).toEqual({
      server: 'https://c:6443',
      cert,
      key: Buffer.from('KEY'),
      tokenFile: path.join(dir, 'tok'),
    });
    expect(settingsFromKubeconfig(doc({ 'token-file': 'sub/tok' }), dir)).toEqual({ server: 'https://c:6443', tokenFile: path.join(dir, 'sub/tok') });
  });
});

describe('loadConnection: where it looks', () => {
  const write = (name: string, server: string) => {
    const file = path.join(dir, name);
    const doc = {
      clusters: [{ name, cluster: { server } }],
      users: [{ name, user: { token: name } }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      'current-context': name,
    };
    fs.writeFileSync(file, JSON.stringify(doc));
    return file;
  };

  test('one KUBECONFIG file: read here; several: merged by client-node, the first current-context winning (as kubectl)', () => {
    const a = write('a', 'https://a:6443');
    const b = write('b', 'https://b:6443');
    expect(loadConnection(undefined, { KUBECONFIG: a, HOME: dir })).toBeInstanceOf(SimpleConnection);
    const merged = loadConnection(undefined, { KUBECONFIG: [a, b].join(path.delimiter), HOME: dir });
    expect(merged).not.toBeInstanceOf(SimpleConnection);
    expect(merged.getCurrentCluster()?.server).toBe('https://a:6443');
  });

  test('no kubeconfig: in a pod the ServiceAccount, elsewhere http://localhost:8080', () => {
    expect(loadConnection(undefined, { HOME: dir }).getCurrentCluster()).toEqual({ server: 'http://localhost:8080' });
    // In a pod: the ServiceAccount's files are read (absent here, so the error names them).
    expect(() => loadConnection(undefined, { HOME: dir, KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toThrow('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
  });

  test('a JSON kubeconfig is read without loading the YAML library', () => {
    const file = write('json', 'https://json:6443');
    fs.writeFileSync(file, `\n  ${fs.readFileSync(file, 'utf8')}`); // leading blank space, as an editor may leave
    let yamlLoaded = false;
    jest.isolateModules(() => {
      jest.doMock('js-yaml', () => {
        yamlLoaded = true;
        return jest.requireActual('js-yaml');
      });
      const kc = require('../../lib/controller/kube-config') as typeof import('../../lib/controller/kube-config');
      expect(kc.loadConnection(file, { HOME: dir }).getCurrentCluster()).toEqual({ server: 'https://json:6443' });
    });
    jest.dontMock('js-yaml');
    expect(yamlLoaded).toBe(false);
  });
});

test('in a pod: the API server port picks the scheme (443 by default, https; 80/8080/8001 plain http)', () => {
  fs.writeFileSync(path.join(dir, 'ca.crt'), 'CA');
  const server = (port?: string) => inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: port }, dir).getCurrentCluster()?.server;
  expect(server()).toBe('https://10.0.0.1:443');
  expect(server('6443')).toBe('https://10.0.0.1:6443');
  expect(['80', '8080', '8001'].map(server)).toEqual(['http://10.0.0.1:80', 'http://10.0.0.1:8080', 'http://10.0.0.1:8001']);
});
