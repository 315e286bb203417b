// Where the API server is and how to authenticate to it. Loading @kubernetes/client-node's
// KubeConfig costs about 0.5 s of CPU and 60 MiB (it loads the whole generated API), for what an
// in-cluster operator needs: a URL, a CA, and a ServiceAccount token. So the common cases are read
// here (the in-cluster ServiceAccount; kubeconfig files with a token, token file, client
// certificate or basic auth); anything else (exec and auth-provider plugins, proxies, impersonation,
// several KUBECONFIG files, a kubeconfig without a current cluster) is handed to client-node,
// loaded only then.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** What KubeClient needs of a kubeconfig: client-node's KubeConfig has the same shape. */
export interface ClusterConnection {
  getCurrentCluster(): { readonly server: string } | null;
  /** The agent (TLS) and headers (credentials) for a request. */
  applyToFetchOptions(opts: object): Promise<{ agent?: unknown; headers?: unknown }>;
}

export interface ConnectionSettings {
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecure?: boolean;
  readonly servername?: string;
  readonly token?: string;
  /** Re-read at most once a minute: kubelet rotates projected ServiceAccount tokens. */
  readonly tokenFile?: string;
  readonly username?: string;
  readonly password?: string;
}

const TOKEN_REREAD_MS = 60_000;
const SERVICEACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A connection from settings: one keep-alive agent for every request (a TLS handshake per request costs CPU). */
export class SimpleConnection implements ClusterConnection {
  private agent: http.Agent | undefined;
  private token: { value: string; readAt: number } | undefined;

  constructor(readonly settings: ConnectionSettings) {}

  getCurrentCluster(): { server: string } {
    return { server: this.settings.server };
  }

  async applyToFetchOptions(): Promise<{ agent: http.Agent; headers: Record<string, string> }> {
    const auth = this.authorization();
    return { agent: this.agentFor(), headers: auth ? { Authorization: auth } : {} };
  }

  private agentFor(): http.Agent {
    if (this.agent) return this.agent;
    const s = this.settings;
    if (s.server.startsWith('http:')) return (this.agent = new http.Agent({ keepAlive: true }));
    return (this.agent = new https.Agent({
      keepAlive: true,
      ...(s.ca ? { ca: s.ca } : {}),
      ...(s.cert ? { cert: s.cert } : {}),
      ...(s.key ? { key: s.key } : {}),
      ...(s.insecure ? { rejectUnauthorized: false } : {}),
      ...(s.servername ? { servername: s.servername } : {}),
    }));
  }

  private authorization(): string | undefined {
    const s = this.settings;
    if (s.tokenFile) {
      const now = Date.now();
      if (!this.token || now - this.token.readAt > TOKEN_REREAD_MS) this.token = { value: fs.readFileSync(s.tokenFile, 'utf8').trim(), readAt: now };
      return `Bearer ${this.token.value}`;
    }
    if (s.token) return `Bearer ${s.token}`;
    if (s.username !== undefined) return `Basic ${Buffer.from(`${s.username}:${s.password ?? ''}`).toString('base64')}`;
    return undefined;
  }
}

/** A kubeconfig this file does not handle: client-node's KubeConfig, required only then. */
type KubeConfigClass = typeof import('@kubernetes/client-node').KubeConfig;

function clientNodeConfig(load: (kc: InstanceType<KubeConfigClass>, KubeConfig: KubeConfigClass) => void): ClusterConnection {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KubeConfig } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
  const kc = new KubeConfig();
  load(kc, KubeConfig);
  return kc;
}

type Obj = Record<string, any>;

const USER_KEYS = new Set(['token', 'tokenFile', 'token-file', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'username', 'password']);
const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name']);

/** Settings from a parsed kubeconfig's current context, or undefined when it needs client-node (or has no current cluster). */
export function settingsFromKubeconfig(doc: Obj, dir: string): ConnectionSettings | undefined {
  const find = (list: unknown, name: unknown) => (Array.isArray(list) ? list.find((e: Obj) => e?.name === name) : undefined);
  const context = find(doc['contexts'], doc['current-context'])?.context;
  const cluster = find(doc['clusters'], context?.cluster)?.cluster as Obj | undefined;
  const user = (find(doc['users'], context?.user)?.user ?? {}) as Obj;
  if (!cluster?.server || Object.keys(cluster).some((k) => !CLUSTER_KEYS.has(k))) return undefined;
  if (Object.keys(user).some((k) => !USER_KEYS.has(k))) return undefined;
  const file = (p: unknown) => (typeof p === 'string' ? fs.readFileSync(path.resolve(dir, p)) : undefined);
  const data = (d: unknown) => (typeof d === 'string' ? Buffer.from(d, 'base64') : undefined);
  const tokenFile = user.tokenFile ?? user['token-file'];
  const s: ConnectionSettings = {
    server: String(cluster.server).replace(/\/$/, ''),
    ca: data(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']),
    cert: data(user['client-certificate-data']) ?? file(user['client-certificate']),
    key: data(user['client-key-data']) ?? file(user['client-key']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    servername: cluster['tls-server-name'],
    token: user.token,
    tokenFile: typeof tokenFile === 'string' ? path.resolve(dir, tokenFile) : undefined,
    username: user.username,
    password: user.password,
  };
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined && v !== false)) as unknown as ConnectionSettings;
}

/** Kubeconfig files are YAML; `kubectl config view -o json` and client-node's exportConfig() write JSON, read without a YAML parser. */
function parseKubeconfig(text: string): Obj {
  if (text.trimStart().startsWith('{')) return JSON.parse(text) as Obj;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml = require('js-yaml') as typeof import('js-yaml');
  return (yaml.load(text) ?? {}) as Obj;
}

function fromFile(file: string): ClusterConnection {
  const doc = parseKubeconfig(fs.readFileSync(file, 'utf8'));
  const settings = settingsFromKubeconfig(doc, path.dirname(file));
  return settings ? new SimpleConnection(settings) : clientNodeConfig((kc) => kc.loadFromFile(file));
}

/** The pod's ServiceAccount: token (re-read as kubelet rotates it) and CA from `root`. */
export function inClusterConnection(env: Readonly<Record<string, string | undefined>>, root = SERVICEACCOUNT): ClusterConnection {
  const host = env.KUBERNETES_SERVICE_HOST as string;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  const hostPart = net.isIPv6(host) ? `[${host}]` : host;
  return new SimpleConnection({ server: `${scheme}://${hostPart}:${port}`, ca: fs.readFileSync(`${root}/ca.crt`), tokenFile: `${root}/token` });
}

/**
 * Several kubeconfig files, merged as kubectl does: the first file that sets current-context wins.
 * (client-node's loadFromDefault reads process.env rather than the env given, and lets the last
 * file's current-context win.)
 */
function loadMerged(kc: InstanceType<KubeConfigClass>, KubeConfig: KubeConfigClass, files: readonly string[]): void {
  kc.loadFromFile(files[0]);
  for (const file of files.slice(1)) {
    const next = new KubeConfig();
    next.loadFromFile(file);
    kc.mergeConfig(next, Boolean(kc.currentContext));
  }
}

/**
 * As client-node's loadFromFile / loadFromDefault: `file`, else KUBECONFIG, else ~/.kube/config,
 * else the in-cluster ServiceAccount, else http://localhost:8080.
 */
export function loadConnection(file: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): ClusterConnection {
  if (file) return fromFile(file);
  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (files.length === 1) return fromFile(files[0]);
  if (files.length > 1) return clientNodeConfig((kc, KubeConfig) => loadMerged(kc, KubeConfig, files));
  const home = path.join(env.HOME || os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return fromFile(home);
  if (env.KUBERNETES_SERVICE_HOST) return inClusterConnection(env);
  return new SimpleConnection({ server: 'http://localhost:8080' });
}
