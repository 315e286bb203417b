// spec.initialUser: the seeds' first-user curl step, done by the operator once Quay is Available,
// against the fake API server and a fake Quay that answers as Quay does (the seeds' answers).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller } from '../../lib/controller/controller';
import { createLogger } from '../../lib/controller/runtime/logger';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { secretStrings } from '../../lib/secrets';
import { admitRoutes, bindBucket, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { Registry } from '../../lib/controller/runtime/metrics';
import { createBundleSecret, reconcileCount, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const PASSWORD = 'quaypass-7f3c1e9a';
const TOKEN = '6B4QTRSTSD1HMIG915VPX7BMEZBVB9GPNY2FC2ED';
const USER = { username: 'quayadmin', password: PASSWORD, email: 'quayadmin@example.com' };

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller;
let quay: http.Server;
let calls: Obj[];
/** What the fake Quay answers next: status and body. */
let answer: { status: number; body: unknown };
let logs: string[];
let metrics: Registry;

const registry = () => server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj;
const cond = (type: string) => (registry()?.status?.conditions ?? []).find((c: Obj) => c.type === type);
const events = (reason: string) => (server.list('v1', 'Event', NS) as Obj[]).filter((e) => e.reason === reason);

function userSecret(values: Record<string, string> = USER): void {
  server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'quay-admin', namespace: NS }, stringData: values });
}

/** The cluster does its part: volumes, pods, the migration; the registry becomes Available. */
async function becomeAvailable(): Promise<void> {
  await eventually(() => {
    settleDeployments(server, NS);
    bindBucket(server, NS, NAME);
    expect(server.get('batch/v1', 'Job', NS, `${NAME}-quay-app-upgrade`)).toBeDefined();
  });
  completeJob(server, NS, `${NAME}-quay-app-upgrade`);
  await eventually(() => {
    settleDeployments(server, NS);
    admitRoutes(server, NS);
    expect(cond('Available')).toMatchObject({ status: 'True' });
  });
}

beforeEach(async () => {
  calls = [];
  logs = [];
  answer = { status: 200, body: { access_token: TOKEN, email: USER.email, encrypted_password: 'x', username: USER.username } };
  quay = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push({ method: req.method, url: req.url, body: JSON.parse(body) });
      res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => quay.listen(0, '127.0.0.1', r));
  const port = (quay.address() as AddressInfo).port;
  server = await FakeApiServer.start();
  openshiftCluster(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  metrics = new Registry();
  controller = await startController(installOperator(server), {
    metrics,
    quayVersion: DEFAULT_QUAY_VERSION,
    quayTarget: () => ({ baseUrl: `http://127.0.0.1:${port}` }),
    logger: createLogger({ level: 'debug', stream: { write: (line: string) => logs.push(line) } }),
  });
});

afterEach(async () => {
  // Neither the password nor the token anywhere the admin (or a log collector) reads.
  const seen = JSON.stringify([logs, server.list('v1', 'Event', NS), registry()?.status ?? null]);
  expect(seen).not.toContain(PASSWORD);
  expect(seen).not.toContain(TOKEN);
  expect(await shutDown(server, controller, [409, 404])).toEqual([]);
  await new Promise((r) => quay.close(r));
});

/** A change that makes the controller reconcile (a Deployment's status), and that reconcile finished. */
async function anotherReconcile(): Promise<void> {
  const before = reconcileCount(metrics);
  const d = server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-redis`) as Obj;
  server.updateStatus('apps/v1', 'Deployment', NS, d.metadata.name, { ...d.status, readyReplicas: (d.status.readyReplicas ?? 0) + 1 });
  await eventually(() => expect(reconcileCount(metrics)).toBeGreaterThan(before));
  await controller.whenIdle();
}

function createRegistry(): void {
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', initialUser: { secretName: 'quay-admin' } } });
}

test('waits for Available, calls Quay once as the seeds\' curl does, stores the token, and never calls again', async () => {
  userSecret();
  createRegistry();
  await eventually(() => expect(cond('InitialUserCreated')).toMatchObject({ status: 'False', reason: 'WaitingForQuay' }));
  expect(calls).toEqual([]);
  await becomeAvailable();
  await eventually(() =>
    expect(cond('InitialUserCreated')).toMatchObject({ status: 'True', reason: 'UserCreated', message: `user quayadmin created; its OAuth access token is in Secret ${NAME}-quay-initial-user-token` }),
  );
  expect(calls).toEqual([{ method: 'POST', url: '/api/v1/user/initialize', body: { ...USER, access_token: true } }]);
  const tokenSecret = server.get('v1', 'Secret', NS, `${NAME}-quay-initial-user-token`) as Obj;
  expect(secretStrings(tokenSecret)).toEqual({ username: 'quayadmin', access_token: TOKEN });
  expect(tokenSecret.metadata.ownerReferences.map((r: Obj) => r.kind)).toEqual(['QuayRegistry']);
  expect(registry().status.initialUser).toMatchObject({ secretName: 'quay-admin', outcome: 'Created', username: 'quayadmin', tokenSecret: `${NAME}-quay-initial-user-token` });
  await eventually(() => expect(events('InitialUserCreated')).toHaveLength(1));
  // A later change (the user's Secret edited, a config change) calls nothing again, and the token Secret is never pruned.
  const secret = server.get('v1', 'Secret', NS, 'quay-admin') as Obj;
  server.update({ ...secret, stringData: { ...USER, password: 'another-password-1' } });
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\nTAG_EXPIRATION_OPTIONS: [2w]\n', NS, 'other-bundle');
  const live = registry();
  server.update({ ...live, spec: { ...live.spec, configBundleSecret: 'other-bundle' } });
  await eventually(() => expect(registry().status.observedGeneration).toBe(registry().metadata.generation));
  await controller.whenIdle();
  expect(calls).toHaveLength(1);
  expect(server.get('v1', 'Secret', NS, `${NAME}-quay-initial-user-token`)).toBeDefined();
});

test('a non-empty database (the seeds\' answer): a clear condition and Warning, no retry until the Secret changes', async () => {
  answer = { status: 400, body: { message: 'Cannot initialize user in a non-empty database' } };
  userSecret();
  createRegistry();
  await becomeAvailable();
  await eventually(() =>
    expect(cond('InitialUserCreated')).toMatchObject({
      status: 'False',
      reason: 'DatabaseNotEmpty',
      message: 'Quay already has users: the first user is created only in an empty database (Quay: "Cannot initialize user in a non-empty database"); nothing was changed',
    }),
  );
  await eventually(() => expect(events('InitialUserRefused')).toHaveLength(1));
  // Other reconciles do not call again.
  await anotherReconcile();
  await anotherReconcile();
  expect(calls).toHaveLength(1);
  // The Secret changed: one more try.
  answer = { status: 200, body: { access_token: TOKEN, username: 'quayadmin2' } };
  const secret = server.get('v1', 'Secret', NS, 'quay-admin') as Obj;
  server.update({ ...secret, stringData: { ...USER, username: 'quayadmin2' } });
  await eventually(() => expect(cond('InitialUserCreated')).toMatchObject({ status: 'True', reason: 'UserCreated' }));
  expect(calls).toHaveLength(2);
});

test('an invalid password (the seeds\' answer): Quay\'s own message in the condition', async () => {
  answer = { status: 400, body: { message: 'Failed to initialize user: Invalid password, password must be at least 8 characters and contain no whitespace.' } };
  userSecret({ ...USER, password: 'pass123' });
  createRegistry();
  await becomeAvailable();
  await eventually(() =>
    expect(cond('InitialUserCreated')).toMatchObject({
      status: 'False',
      reason: 'UserRefused',
      message: 'Quay refused the user (HTTP 400): Failed to initialize user: Invalid password, password must be at least 8 characters and contain no whitespace.; fix the Secret to try again',
    }),
  );
  expect(calls).toHaveLength(1);
});

test('a Secret without email, or none at all: the condition names what is missing, and Quay is not called', async () => {
  createRegistry();
  await becomeAvailable();
  await eventually(() => expect(cond('InitialUserCreated')).toMatchObject({ status: 'False', reason: 'SecretNotFound', message: `Secret quay-admin (spec.initialUser.secretName) not found in namespace ${NS}` }));
  userSecret({ username: 'quayadmin', password: PASSWORD });
  await eventually(() =>
    expect(cond('InitialUserCreated')).toMatchObject({ status: 'False', reason: 'SecretInvalid', message: 'Secret quay-admin (spec.initialUser.secretName) has no email: it needs username, password and email' }),
  );
  expect(calls).toEqual([]);
});

test('Quay unreachable or failing (5xx): QuayUnreachable, and the next try only a minute later, not on every reconcile', async () => {
  answer = { status: 503, body: 'upstream connect error' };
  userSecret();
  createRegistry();
  await becomeAvailable();
  await eventually(() =>
    expect(cond('InitialUserCreated')).toMatchObject({ status: 'False', reason: 'QuayUnreachable', message: 'Quay answered 503 to the first-user call; trying again in a minute' }),
  );
  expect(registry().status.initialUser).toMatchObject({ outcome: 'Unreachable' });
  await anotherReconcile();
  await anotherReconcile();
  expect(calls).toHaveLength(1);
});

test('FEATURE_USER_INITIALIZE: false in the bundle is refused naming spec.initialUser; otherwise the operator turns it on', async () => {
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: false\n', NS, 'off-bundle');
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'off-bundle', initialUser: { secretName: 'quay-admin' } } });
  await eventually(() =>
    expect(cond('RolloutBlocked')).toMatchObject({ status: 'True', message: expect.stringContaining('spec.initialUser: config.yaml sets FEATURE_USER_INITIALIZE: false') }),
  );
});
