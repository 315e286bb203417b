// `quay-operator run`, the real binary (built by `npm test` before Jest starts), against the in-process
// fake API server: probes, metrics, leader election on a Lease, reconciling, JSON logs without secrets,
// graceful SIGTERM, fail-over between two replicas, and an unreachable cluster.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { RunningOperator, startOperator as startOperatorInProcess } from '../../lib/cli/run';
import { parseMicroTime } from '../../lib/controller/runtime/leader-election';
import { reconfigureToken } from '../../lib/keys';
import { secretStrings } from '../../lib/secrets';
import { basicAuth, httpPost } from '../support/http-post';
import { freePort } from '../support/free-port';
import { APF_HEADERS } from '../support/apiserver/faults';
import { FakeApiServer } from '../support/fake-apiserver';
import { eventually, openshiftCluster } from '../support/cluster-sim';
import { installOperator } from '../support/operator-install';

type Obj = Record<string, any>;

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'build/lib/cli/bin.js');
const OPERATOR_NS = 'quay-operator';
const LEASE_NAME = 'quay-operator-leader';
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const CONFIG = 'SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com\nFEATURE_USER_INITIALIZE: true\n';

/** Values in the users' config bundles that must never be logged. */
const LEAKS = {
  dbPassword: 'Sup3rS3cretDbPassw0rdXYZ',
  mailPassword: 'MailS3cretValue12345',
  accessKey: 'AKIAEXAMPLEACCESSKEY1',
  secretKey: 'S3SecretKeyValueVeryLong123456',
  yamlLine: 'YamlLineS3cretValue999',
};

jest.setTimeout(30_000);

// ------------------------------------------------------------------ helpers

interface HttpResult {
  status: number;
  body: string;
  contentType: string;
}

function httpGet(port: number, p: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, contentType: String(res.headers['content-type'] ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${p}: timeout`)));
    req.on('error', reject);
  });
}

/** The status code, or 0 when nothing answers. */
async function statusOf(port: number, p: string): Promise<number> {
  try {
    return (await httpGet(port, p)).status;
  } catch {
    return 0;
  }
}


interface Operator {
  readonly name: string;
  readonly child: ChildProcess;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly reconfigurePort: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  stdout(): string;
  stderr(): string;
}

const started: Operator[] = [];
const tmpDirs: string[] = [];

function writeKubeconfig(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-test-'));
  tmpDirs.push(dir);
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(file, text);
  return file;
}

async function startOperator(kubeconfig: string, podName: string, extraArgs: string[] = ['--leader-elect']): Promise<Operator> {
  const healthPort = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === healthPort) metricsPort = await freePort();
  let reconfigurePort = await freePort();
  while (reconfigurePort === healthPort || reconfigurePort === metricsPort) reconfigurePort = await freePort();
  const ports = ['--health-port', String(healthPort), '--metrics-port', String(metricsPort), '--reconfigure-port', String(reconfigurePort)];
  const child = spawn(process.execPath, [BIN, 'run', '--kubeconfig', kubeconfig, ...ports, ...extraArgs], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', POD_NAME: podName, POD_NAMESPACE: OPERATOR_NS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let done = false;
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      // Let the pipes drain before reporting.
      setImmediate(() => resolve({ code, signal }));
    }),
  );
  const op: Operator = { name: podName, child, healthPort, metricsPort, reconfigurePort, exited, hasExited: () => done, stdout: () => out, stderr: () => err };
  started.push(op);
  return op;
}

/** Sends SIGTERM and waits (at most `withinMs`) for the exit. */
async function terminate(op: Operator, withinMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const t0 = Date.now();
  op.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), withinMs)));
  const result = await Promise.race([op.exited, timeout]);
  clearTimeout(timer);
  if (!result) throw new Error(`${op.name} did not exit within ${withinMs} ms of SIGTERM\nstderr:\n${op.stderr()}`);
  return { ...result, ms: Date.now() - t0 };
}

function jsonLines(text: string): Obj[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Obj;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
}

afterEach(async () => {
  // Only the processes this file started, by their own handle.
  for (const op of started.splice(0)) {
    if (!op.hasExited()) {
      op.child.kill('SIGKILL');
      await op.exited;
    }
  }
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

// ------------------------------------------------------------------ against the fake API server

describe('quay-operator run against a (fake) cluster', () => {
  let server: FakeApiServer;
  let kubeconfig: string;

  const lease = () => server.get('coordination.k8s.io/v1', 'Lease', OPERATOR_NS, LEASE_NAME) as Obj | undefined;
  const holder = () => lease()?.spec?.holderIdentity as string | undefined;

  beforeEach(async () => {
    server = await FakeApiServer.start();
    openshiftCluster(server);
    server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'config-bundle-secret', namespace: NS }, data: { 'config.yaml': Buffer.from(CONFIG).toString('base64') } });
    // The operator runs as the ServiceAccount `manifests` creates, with its token (as in a cluster).
    kubeconfig = writeKubeconfig(installOperator(server, { namespace: OPERATOR_NS }).exportConfig());
  });

  afterEach(async () => {
    for (const op of started) if (!op.hasExited()) op.child.kill('SIGKILL');
    await server.stop();
  });

  test('probes, metrics, the lease, a reconcile, JSON logs without secrets, and a graceful SIGTERM that releases the lease', async () => {
    const op = await startOperator(kubeconfig, 'op-1', ['--leader-elect', '--log-level', 'debug']);

    await eventually(async () => expect(await statusOf(op.healthPort, '/healthz')).toBe(200), 10_000);
    await eventually(() => expect(holder()).toBe('op-1'), 10_000);
    expect(lease()!.spec).toMatchObject({ holderIdentity: 'op-1', leaseDurationSeconds: expect.any(Number), renewTime: expect.any(String) });
    await eventually(async () => expect(await statusOf(op.healthPort, '/readyz')).toBe(200), 10_000);

    // The registry and its bundle: the operator reconciles it and creates the database first.
    server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });
    await eventually(() => expect(server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-database`)).toBeDefined(), 15_000);

    // Metrics on --metrics-port, in the Prometheus text format.
    await eventually(async () => {
      const m = await httpGet(op.metricsPort, '/metrics');
      expect(m.status).toBe(200);
      expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(m.body).toMatch(/^# TYPE quay_operator_reconciles_total counter$/m);
      expect(m.body).toMatch(/^quay_operator_reconciles_total\{result="[a-z_]+"\} [1-9]\d*$/m);
      expect(m.body).toMatch(/^# TYPE quay_operator_reconcile_duration_seconds histogram$/m);
      expect(m.body).toMatch(/^quay_operator_reconcile_duration_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
      expect(m.body).toMatch(/^quay_operator_reconcile_duration_seconds_count [1-9]\d*$/m);
      expect(m.body).toMatch(/^# TYPE quay_operator_queue_depth gauge$/m);
      expect(m.body).toMatch(/^quay_operator_queue_depth \d+$/m);
    });
    // Unknown paths are 404 on both ports.
    expect(await statusOf(op.metricsPort, '/nope')).toBe(404);

    // Config editors commit on --reconfigure-port: refused without the registry's token, written with it.
    const commit = JSON.stringify({ quayRegistryName: NAME, namespace: NS, 'config.yaml': { SERVER_HOSTNAME: 'committed.apps.example.com' } });
    const refused = await httpPost(op.reconfigurePort, '/reconfigure', commit);
    expect([refused.status, refused.headers['www-authenticate']]).toEqual([401, 'Basic realm="quay-operator"']);
    const editorPassword = secretStrings(server.get('v1', 'Secret', NS, `${NAME}-quay-registry-managed-secret-keys`)!).CONFIG_EDITOR_PW;
    const committed = await httpPost(op.reconfigurePort, '/reconfigure', commit, basicAuth('quayconfig', reconfigureToken(editorPassword, NS, NAME)));
    expect([committed.status, JSON.parse(committed.body)]).toEqual([200, { status: 'committed', secret: 'config-bundle-secret' }]);
    expect(secretStrings(server.get('v1', 'Secret', NS, 'config-bundle-secret')!)['config.yaml']).toBe('SERVER_HOSTNAME: committed.apps.example.com\n');

    // Two registries whose bundles hold credentials and are rejected: the problems are logged, the values are not.
    const leakyConfigs: Record<string, string> = {
      // Credentials for components the operator manages: "contains required fields (DB_URI)".
      leaky: [
        'SERVER_HOSTNAME: leaky.apps.example.com',
        `DB_URI: postgresql://quay:${LEAKS.dbPassword}@db.example.com/quay`,
        `MAIL_PASSWORD: ${LEAKS.mailPassword}`,
        'DISTRIBUTED_STORAGE_CONFIG:',
        '  default:',
        '    - S3Storage',
        `    - {s3_access_key: ${LEAKS.accessKey}, s3_secret_key: ${LEAKS.secretKey}, s3_bucket: b, storage_path: /x, host: s3.example.com}`,
        '',
      ].join('\n'),
      // Invalid YAML on the very line holding a secret: the parser's message must not quote it.
      leaky2: ['SERVER_HOSTNAME: leaky2.apps.example.com', `MAIL_PASSWORD: ${LEAKS.yamlLine}: other: x`, ''].join('\n'),
    };
    for (const [name, config] of Object.entries(leakyConfigs)) {
      server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-bundle`, namespace: 'other' }, data: { 'config.yaml': Buffer.from(config).toString('base64') } });
      server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name, namespace: 'other' }, spec: { configBundleSecret: `${name}-bundle` } });
    }
    await eventually(() => {
      const blocked = jsonLines(op.stderr()).filter((l) => l.msg === 'rollout blocked').map((l) => l.registry);
      expect(blocked).toEqual(expect.arrayContaining(['leaky', 'leaky2']));
    }, 15_000);
    const blockedLines = jsonLines(op.stderr()).filter((l) => l.msg === 'rollout blocked');
    expect(JSON.stringify(blockedLines)).toMatch(/DB_URI/);
    expect(JSON.stringify(blockedLines)).toMatch(/invalid YAML/);

    // The generated secrets exist in the cluster; none of them may appear in the logs.
    const keys = server.get('v1', 'Secret', NS, `${NAME}-quay-registry-managed-secret-keys`);
    expect(keys).toBeDefined();
    const values = secretStrings(keys as Obj);
    const dbPassword = new URL(values.DB_URI).password;
    expect(dbPassword.length).toBeGreaterThanOrEqual(16);
    const generated = [dbPassword, values.DB_URI, values.DB_ROOT_PW, values.SECRET_KEY, values.DATABASE_SECRET_KEY, values.CONFIG_EDITOR_PW, values.SECURITY_SCANNER_V4_PSK, values.CLAIR_DB_PASSWORD];
    for (const s of generated) expect(s && s.length >= 16).toBe(true);
    const secrets = [...generated, ...Object.values(LEAKS)];

    const exit = await terminate(op);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(5_000);
    // Released: another replica may take over at once.
    expect(lease()!.spec.holderIdentity).toBe('');

    // Logs: JSON lines on stderr, nothing on stdout, and no secret value anywhere.
    expect(op.stdout()).toBe('');
    const lines = jsonLines(op.stderr());
    for (const l of lines) expect(l).toMatchObject({ ts: expect.any(String), level: expect.stringMatching(/^(debug|info|warn|error)$/), msg: expect.any(String) });
    const msgs = lines.map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['quay-operator starting', 'became leader', 'stopped']));
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    for (const s of secrets) {
      expect(op.stderr().includes(s)).toBe(false);
      expect(op.stdout().includes(s)).toBe(false);
    }
  });

  test('two replicas: one leads and reconciles, the other stands by; SIGTERM of the leader hands over within seconds', async () => {
    const a = await startOperator(kubeconfig, 'op-1');
    const b = await startOperator(kubeconfig, 'op-2');
    const byName = new Map([
      ['op-1', a],
      ['op-2', b],
    ]);

    await eventually(async () => {
      expect(await statusOf(a.healthPort, '/healthz')).toBe(200);
      expect(await statusOf(b.healthPort, '/healthz')).toBe(200);
    }, 10_000);
    await eventually(() => expect(['op-1', 'op-2']).toContain(holder()), 10_000);
    const leader = byName.get(holder()!)!;
    const follower = leader === a ? b : a;
    await eventually(async () => expect(await statusOf(leader.healthPort, '/readyz')).toBe(200), 10_000);

    // Over two retry periods (2 s each) the lease stays where it is and the follower does not start a
    // controller: only one QuayRegistry list (the leader's informer) reached the server. (Its /readyz is
    // 503 today; that is not asserted, see the rolling-update test below.) Counted in lease requests
    // (the leader renews, the follower tries, each once a period), not in wall-clock time.
    const leaseRequests = () => server.requests.filter((r) => r.path.endsWith('/leases/quay-operator-leader')).length;
    const seen = leaseRequests();
    await eventually(() => expect(leaseRequests() - seen).toBeGreaterThanOrEqual(4), 15_000);
    expect(holder()).toBe(leader.name);
    expect(await statusOf(follower.healthPort, '/healthz')).toBe(200);
    const registryLists = () => server.requests.filter((r) => r.method === 'GET' && r.path === '/apis/quay.redhat.com/v1/quayregistries' && !/(^|&)watch=(true|1)/.test(r.query));
    expect(registryLists()).toHaveLength(1);

    // The leader does the work.
    server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });
    await eventually(() => expect(server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-database`)).toBeDefined(), 15_000);
    expect(jsonLines(follower.stderr()).map((l) => l.msg)).not.toContain('became leader');

    // The leader stops gracefully; the follower takes the released lease at its next attempt.
    const t0 = Date.now();
    expect(await terminate(leader)).toMatchObject({ code: 0, signal: null });
    await eventually(() => expect(holder()).toBe(follower.name), 8_000);
    const handoverMs = Date.now() - t0;
    expect(handoverMs).toBeLessThan(5_000);
    await eventually(async () => expect(await statusOf(follower.healthPort, '/readyz')).toBe(200), 10_000);
    // (leaseTransitions is not bumped when the lease was released first: unlike client-go, a takeover
    // from holderIdentity '' does not count as a transition. Not checked here.)

    expect(await terminate(follower)).toMatchObject({ code: 0, signal: null });
    expect(holder()).toBe('');
  });

  // The installed Deployment (`quay-operator manifests`) is updated by the Deployment controller. With a
  // RollingUpdate that may not take a pod away before its replacement is Ready (maxUnavailable resolving
  // to 0, as the default 25% does for 1-3 replicas), the new pod must become Ready while the old one still
  // holds the lease; otherwise the rollout never completes (the old pod is never terminated, so the lease
  // is never released). Either the strategy lets the old pod go first, or a standby replica reports ready.
  test('a rolling update of the installed Deployment can complete: the strategy lets the old pod go first, or a standby replica is ready', async () => {
    const r = spawnSync(process.execPath, [BIN, 'manifests'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(r.status).toBe(0);
    const deployment = (yaml.loadAll(r.stdout) as Obj[]).find((o) => o?.kind === 'Deployment') as Obj;
    const replicas: number = deployment.spec.replicas ?? 1;
    const strategy: Obj = deployment.spec.strategy ?? { type: 'RollingUpdate' };
    const resolve = (v: unknown, fallback: string, round: (x: number) => number) => {
      const value = v ?? fallback;
      return typeof value === 'number' ? value : round((Number(String(value).replace('%', '')) / 100) * replicas);
    };
    const surge = resolve(strategy.rollingUpdate?.maxSurge, '25%', Math.ceil);
    let unavailable = resolve(strategy.rollingUpdate?.maxUnavailable, '25%', Math.floor);
    if (surge === 0 && unavailable === 0) unavailable = 1; // what the Deployment controller does
    if ((strategy.type ?? 'RollingUpdate') === 'Recreate' || unavailable >= 1) return; // the old pod may go first

    // The old pod leads; the new one starts next to it and must become Ready.
    const old = await startOperator(kubeconfig, 'quay-operator-old');
    await eventually(() => expect(holder()).toBe('quay-operator-old'), 10_000);
    await eventually(async () => expect(await statusOf(old.healthPort, '/readyz')).toBe(200), 10_000);
    const fresh = await startOperator(kubeconfig, 'quay-operator-new');
    await eventually(async () => expect(await statusOf(fresh.healthPort, '/healthz')).toBe(200), 10_000);
    await eventually(async () => {
      const readyz = await statusOf(fresh.healthPort, '/readyz');
      const situation = `standby /readyz ${readyz} while the old pod leads; Deployment strategy ${JSON.stringify(strategy)}, replicas ${replicas} (maxSurge ${surge}, maxUnavailable ${unavailable}): the rollout would never complete`;
      expect(situation).toMatch(/^standby \/readyz 200 /);
    }, 8_000);
    expect(holder()).toBe('quay-operator-old');
  });
});

// ------------------------------------------------------------------ in this process: the lease's client

// `run` as startOperator starts it (in this process, so faults can be aimed at the lease), with short
// real timings: times are read from the lease's renewTime, the log lines' ts and the server's log.
describe('quay-operator run in this process: the lease has a client bounded by the renew deadline', () => {
  const TIMINGS = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 };
  const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NS}/leases/${LEASE_NAME}`;
  let server: FakeApiServer;
  let op: RunningOperator | undefined;
  const logs: string[] = [];
  const lines = () => jsonLines(logs.join(''));
  const lease = () => server.get('coordination.k8s.io/v1', 'Lease', OPERATOR_NS, LEASE_NAME) as Obj | undefined;

  beforeEach(async () => {
    server = await FakeApiServer.start();
    openshiftCluster(server);
    logs.length = 0;
  });

  afterEach(async () => {
    op?.stop();
    await server.stop(); // drops held requests: a stop waiting for one ends too
    await op?.exited;
    op = undefined;
  });

  async function start(leaderElect = true): Promise<RunningOperator> {
    const started = await startOperatorInProcess(
      // The reconciles' client: a 60 s timeout, 429s waited out (10 times).
      { leaderElect, metricsPort: 0, healthPort: 0, reconfigurePort: 0, concurrency: 1, logLevel: 'debug', api: { qps: 100, burst: 100, timeoutMs: 60_000 }, leaderElection: TIMINGS },
      { POD_NAME: 'op-1', POD_NAMESPACE: OPERATOR_NS },
      installOperator(server, { namespace: OPERATOR_NS }),
      { write: (line: string) => void logs.push(line) },
    );
    if (typeof started === 'number') throw new Error(`the operator refused to start (exit code ${started}):\n${logs.join('')}`);
    op = started;
    return started;
  }

  test('a renewal that hangs: the leader gives up at the renew deadline, and the hung request within it, so it exits in seconds', async () => {
    const o = await start();
    await eventually(() => expect(o.elector?.isLeader()).toBe(true), 10_000);
    await eventually(() => expect(o.controller.isReady()).toBe(true), 10_000); // (see the last test)
    const hold = server.holdNext({ pathIncludes: LEASE_PATH }, 1);
    await eventually(() => expect(hold.fired).toBe(1), 5000);
    const renewedAt = parseMicroTime(lease()?.spec?.renewTime); // the last renewal that went through
    let exitedAt: number | undefined;
    void o.exited.then(() => (exitedAt = Date.now()));
    // Leadership ends by the deadline; the exit waits for the hung renewal, which the lease's client ends by then too (not the reconciles' 60 s).
    await eventually(() => expect(exitedAt).toBeDefined(), 2 * TIMINGS.renewDeadlineMs + TIMINGS.retryPeriodMs + 2000);
    const lost = lines().find((l) => l.msg === 'lost leadership; exiting');
    expect(lost).toBeDefined();
    expect(Date.parse(lost!.ts) - renewedAt).toBeLessThanOrEqual(TIMINGS.renewDeadlineMs + 1000);
    expect(exitedAt! - renewedAt).toBeLessThanOrEqual(2 * TIMINGS.renewDeadlineMs + TIMINGS.retryPeriodMs + 1500);
    expect(await o.exited).toBe(0);
  });

  test('a 429 to a renewal is not waited out (Retry-After 10 s, past the deadline): the renewal a retry period later keeps the lease', async () => {
    const o = await start();
    await eventually(() => expect(o.elector?.isLeader()).toBe(true), 10_000);
    await eventually(() => expect(o.controller.isReady()).toBe(true), 10_000); // (see the last test)
    const fail = server.failNext({ pathIncludes: LEASE_PATH, verb: 'get' }, 429, 1, 10);
    await eventually(() => expect(fail.fired).toBe(1), 5000);
    const at = server.requests.findIndex((r) => r.path === LEASE_PATH && r.code === 429);
    // Sooner than the deadline (3 s), at which a client waiting out the 429 would have given the lease up.
    await eventually(() => expect(server.requests.slice(at + 1).some((r) => r.path === LEASE_PATH && r.method === 'PUT' && r.code === 200)).toBe(true), 2500);
    expect(o.elector?.isLeader()).toBe(true);
    expect(lines().map((l) => l.msg)).not.toContain('lost leadership; exiting');
    // Not waited out, but counted and told as any answer asking to wait.
    expect(o.metrics.render()).toMatch(/^quay_operator_api_throttled_total\{code="429"\} 1$/m);
    expect(lines().filter((l) => l.msg === 'the API server asked to wait')).toEqual([expect.objectContaining({ method: 'GET', path: LEASE_PATH, code: 429, retryInMs: 10_000, waited: false })]);
  });

  test('a 429 is logged with the UIDs of the flow schema and priority level that API Priority and Fairness named', async () => {
    server.failNext({ pathIncludes: '/quayregistries' }, 429, 1, 1);
    const o = await start(false);
    await eventually(() => expect(lines().some((l) => l.msg === 'the API server asked to wait')).toBe(true), 10_000);
    // Started (the list sent again a second later) before it is stopped: a stop while the controller
    // is still starting leaves informers running (Controller.start goes on after Controller.stop).
    await eventually(() => expect(o.controller.isReady()).toBe(true), 10_000);
    const line = lines().find((l) => l.msg === 'the API server asked to wait')!;
    expect(line).toMatchObject({ code: 429, retryInMs: 1000, waited: true, flowSchemaUID: APF_HEADERS['X-Kubernetes-PF-FlowSchema-UID'], priorityLevelUID: APF_HEADERS['X-Kubernetes-PF-PriorityLevel-UID'] });
    expect(line).not.toHaveProperty('flowSchema');
    expect(line).not.toHaveProperty('priorityLevel');
  });
});

// ------------------------------------------------------------------ no cluster

describe('quay-operator run without a reachable cluster', () => {
  /** A kubeconfig for a server on `port` (plain HTTP, as the fake server; client-node needs skip-tls-verify for it). */
  const deadKubeconfig = (port: number) =>
    writeKubeconfig(
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: dead',
        '  cluster:',
        `    server: http://127.0.0.1:${port}`,
        '    insecure-skip-tls-verify: true',
        'users:',
        '- name: dead',
        '  user:',
        '    token: not-a-real-token',
        'contexts:',
        '- name: dead',
        '  context:',
        '    cluster: dead',
        '    user: dead',
        'current-context: dead',
        '',
      ].join('\n'),
    );

  /** A port that refuses connections: bound, closed, not reused by anyone in this test. */
  const closedPort = freePort;

  function expectNoCrash(op: Operator): void {
    expect(op.stderr()).not.toMatch(/internal error|UnhandledPromiseRejection|^\s+at /m);
    jsonLines(op.stderr()); // every line is a JSON log line
    expect(op.stdout()).toBe('');
  }

  test('without leader election: retries with backoff, not ready meanwhile, no crash, SIGTERM exits 0', async () => {
    const op = await startOperator(deadKubeconfig(await closedPort()), 'op-1', []);
    const retries = () => jsonLines(op.stderr()).filter((l) => l.level === 'error' && l.msg === 'controller failed to start; retrying');
    // Attempts at 0 s, 1 s, 3 s: the backoff doubles.
    await eventually(() => expect(retries().length).toBeGreaterThanOrEqual(2), 10_000);
    expect(String(retries()[0].err)).toMatch(/ECONNREFUSED/);
    expect(retries().map((l) => l.retryInMs)).toEqual(expect.arrayContaining([1000, 2000]));
    expect(op.hasExited()).toBe(false);
    expect(await statusOf(op.healthPort, '/readyz')).toBe(503);
    expectNoCrash(op);
    expect(await terminate(op)).toMatchObject({ code: 0, signal: null });
  });

  test('with leader election: keeps retrying the lease every couple of seconds, stays healthy, SIGTERM exits 0', async () => {
    // A server that accepts connections and drops them at once, so the retries can be counted.
    let connections = 0;
    const dropper = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', () => r()));
    try {
      const op = await startOperator(deadKubeconfig((dropper.address() as net.AddressInfo).port), 'op-1');
      await eventually(() => expect(connections).toBeGreaterThanOrEqual(3), 12_000);
      expect(op.hasExited()).toBe(false);
      expect(await statusOf(op.healthPort, '/healthz')).toBe(200);
      const warnings = jsonLines(op.stderr()).filter((l) => l.msg === 'reading the lease failed');
      expect(warnings.length).toBeGreaterThanOrEqual(2);
      expectNoCrash(op);
      expect(await terminate(op)).toMatchObject({ code: 0, signal: null });
    } finally {
      await new Promise<void>((r) => dropper.close(() => r()));
    }
  });
});
