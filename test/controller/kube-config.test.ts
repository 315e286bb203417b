// The operator's own kubeconfig reading (lib/controller/kube-config.ts): the in-cluster
// ServiceAccount and plain kubeconfig files without @kubernetes/client-node, which is loaded only
// for what they do not cover (exec plugins and the like). And `run` loads only what runs: no
// client-node, cdk8s or YAML library until a registry is reconciled.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeClient } from '../../lib/controller/kube-client';
import { SimpleConnection, inClusterConnection, loadConnection, settingsFromKubeconfig } from '../../lib/controller/kube-config';
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
