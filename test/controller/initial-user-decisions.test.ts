// The first user (spec.initialUser) decided against stubs (lib/controller/initial-user.ts): when the
// Secret is read and Quay is called, how Quay's answers read to the admin, when an unreachable Quay
// is tried again. initial-user.test.ts runs the same against the fake API server.
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import { RETRY_UNREACHABLE_MS, reconcileInitialUser, serviceTarget } from '../../lib/controller/initial-user';
import type { QuayAnswer } from '../../lib/controller/quay-api';
import type { KubeObject } from '../../lib/synth';
import { bundled } from '../support/plan';

type Obj = Record<string, any>;
const model = bundled({ spec: { initialUser: { secretName: 'quay-admin' } } });
const registry = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: model.name, namespace: model.namespace, uid: 'u-1' } } as KubeObject;
const NOW = new Date('2026-12-01T12:00:00Z');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const adminSecret = (data: Record<string, string> = { username: 'admin', password: 'pw-123456', email: 'a@example.com' }, rv = '5') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'quay-admin', namespace: model.namespace, resourceVersion: rv },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

function stubs(opts: { secret?: Obj | Error; answer?: QuayAnswer | Error } = {}) {
  const calls: string[] = [];
  const applied: Obj[] = [];
  const client = {
    get: async () => {
      calls.push('get');
      if (opts.secret instanceof Error) throw opts.secret;
      return opts.secret;
    },
    apply: async (_t: unknown, body: Obj) => {
      applied.push(body);
      return body;
    },
  } as unknown as KubeClient;
  const deps = {
    client,
    target: serviceTarget,
    quayApi: async () => {
      calls.push('quay');
      if (opts.answer instanceof Error) throw opts.answer;
      return opts.answer ?? { status: 200, body: { access_token: 'tok' } };
    },
  };
  const run = (previous?: Obj, available = true, now = NOW) => reconcileInitialUser(deps, registry, model, previous as never, available, now);
  return { run, calls, applied };
}

test('quay-app\'s in-cluster address: plain http on 80 without a certificate', () => {
  expect(serviceTarget(model)).toEqual({ baseUrl: `http://${model.name}-quay-app.${model.namespace}.svc:80` });
});

test('quay-app\'s in-cluster address: https on 443, pinned to the certificate Quay serves, when it has one', () => {
  const cert = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const certificate = { secret: 'tls', certKey: 'tls.crt', keyKey: 'tls.key', cert, key: Buffer.from('key') };
  expect(serviceTarget({ ...model, certificate })).toEqual({ baseUrl: `https://${model.name}-quay-app.${model.namespace}.svc:443`, pinnedCertificate: cert });
});

test('created: the token Secret owned by the registry, the condition and an Event', async () => {
  const s = stubs({ secret: adminSecret() });
  const r = await s.run();
  const message = `user admin created; its OAuth access token is in Secret ${model.name}-quay-initial-user-token`;
  expect(r).toEqual({
    condition: { type: 'InitialUserCreated', status: 'True', reason: 'UserCreated', message },
    status: { secretName: 'quay-admin', secretResourceVersion: '5', outcome: 'Created', username: 'admin', tokenSecret: `${model.name}-quay-initial-user-token` },
    writes: 1,
    event: { type: 'Normal', reason: 'InitialUserCreated', message },
  });
  expect(s.applied[0].stringData).toEqual({ username: 'admin', access_token: 'tok' });
  expect(s.applied[0].metadata.ownerReferences[0].uid).toBe('u-1');
});

test('created once: never again, whatever the Secret; not before Quay is Available', async () => {
  const s = stubs({ secret: adminSecret() });
  const created = { initialUser: { secretName: 'quay-admin', secretResourceVersion: '1', outcome: 'Created' } };
  expect(await s.run(created)).toEqual({ status: created.initialUser, writes: 0 });
  expect(await s.run(undefined, false)).toEqual({ condition: { type: 'InitialUserCreated', status: 'False', reason: 'WaitingForQuay', message: 'waiting for Quay to be Available before creating the first user' }, writes: 0 });
  // Waiting keeps what was recorded before.
  const refusedBefore = { initialUser: { secretName: 'quay-admin', secretResourceVersion: '1', outcome: 'Refused' } };
  expect((await s.run(refusedBefore, false)).status).toEqual(refusedBefore.initialUser);
  expect(s.calls).toEqual([]);
  // Created for another Secret: the new one is used.
  expect((await s.run({ initialUser: { ...created.initialUser, secretName: 'old' } })).writes).toBe(1);
});

test('the Secret: absent (404) or missing keys are reported; another read error is thrown', async () => {
  expect((await stubs({ secret: new ApiError(404, 'NotFound', 'gone') }).run()).condition).toMatchObject({
    reason: 'SecretNotFound',
    message: `Secret quay-admin (spec.initialUser.secretName) not found in namespace ${model.namespace}`,
  });
  const missing = await stubs({ secret: adminSecret({ username: 'admin' }) }).run();
  expect(missing.condition).toMatchObject({ reason: 'SecretInvalid', message: 'Secret quay-admin (spec.initialUser.secretName) has no password, email: it needs username, password and email' });
  expect(missing.status).toEqual({ secretName: 'quay-admin', secretResourceVersion: '5', outcome: 'SecretInvalid' });
  await expect(stubs({ secret: new ApiError(500, 'InternalError', 'etcd') }).run()).rejects.toThrow('etcd');
  await expect(stubs({ secret: new Error('socket hang up') }).run()).rejects.toThrow('socket hang up');
});

describe('Quay\'s answers', () => {
  const refused = async (answer: QuayAnswer) => {
    const r = await stubs({ secret: adminSecret(), answer }).run();
    expect(r.status?.outcome).toBe('Refused');
    expect(r.event).toEqual({ type: 'Warning', reason: 'InitialUserRefused', message: r.condition?.message });
    return [r.condition?.reason, r.condition?.message];
  };

  test('a non-empty database, a disabled endpoint, a refusal with or without Quay\'s words', async () => {
    expect(await refused({ status: 400, body: { message: 'Cannot initialize user in a non-empty database' } })).toEqual([
      'DatabaseNotEmpty',
      'Quay already has users: the first user is created only in an empty database (Quay: "Cannot initialize user in a non-empty database"); nothing was changed',
    ]);
    expect(await refused({ status: 404, body: 'Not Found' })).toEqual(['UserInitializeDisabled', 'Quay answered 404: /api/v1/user/initialize is off (FEATURE_USER_INITIALIZE must be true)']);
    expect(await refused({ status: 400, body: { message: 'Invalid email' } })).toEqual(['UserRefused', 'Quay refused the user (HTTP 400): Invalid email; fix the Secret to try again']);
    expect(await refused({ status: 400, body: { message: 'x'.repeat(400) } })).toEqual(['UserRefused', `Quay refused the user (HTTP 400): ${'x'.repeat(300)}; fix the Secret to try again`]);
    for (const body of ['Bad Request', null, { message: 7 }, { error: 'x' }]) {
      expect(await refused({ status: 400, body })).toEqual(['UserRefused', 'Quay refused the user (HTTP 400); fix the Secret to try again']);
    }
    // 200 without a token is no success either.
    expect(await refused({ status: 200, body: { access_token: 5 } })).toEqual(['UserRefused', 'Quay refused the user (HTTP 200); fix the Secret to try again']);
    expect(await refused({ status: 201, body: { access_token: 'tok' } })).toEqual(['UserRefused', 'Quay refused the user (HTTP 201); fix the Secret to try again']);
  });

  test('no answer, or a 5xx: unreachable, tried again in a minute', async () => {
    const down = await stubs({ secret: adminSecret(), answer: new Error('connect ECONNREFUSED') }).run();
    expect(down).toEqual({
      condition: { type: 'InitialUserCreated', status: 'False', reason: 'QuayUnreachable', message: 'could not reach Quay to create the first user (connect ECONNREFUSED); trying again in a minute' },
      status: { secretName: 'quay-admin', secretResourceVersion: '5', outcome: 'Unreachable' },
      writes: 0,
      requeueAfterMs: RETRY_UNREACHABLE_MS,
    });
    const r500 = await stubs({ secret: adminSecret(), answer: { status: 500, body: '' } }).run();
    expect(r500.condition?.message).toBe('Quay answered 500 to the first-user call; trying again in a minute');
    expect(r500.requeueAfterMs).toBe(RETRY_UNREACHABLE_MS);
  });
});

describe('what was decided before, for the same Secret version', () => {
  const previous = (outcome: string, rv = '5', since = 10_000) => ({
    initialUser: { secretName: 'quay-admin', secretResourceVersion: rv, outcome },
    conditions: [{ type: 'InitialUserCreated', status: 'False', reason: 'X', message: 'm', lastTransitionTime: new Date(NOW.getTime() - since).toISOString() }],
  });

  test('a refusal is final until the Secret changes', async () => {
    const s = stubs({ secret: adminSecret() });
    const r = await s.run(previous('Refused'));
    expect(r).toEqual({ condition: previous('Refused').conditions[0], status: previous('Refused').initialUser, writes: 0 });
    expect(s.calls).toEqual(['get']);
    expect((await s.run(previous('Refused', '4'))).writes).toBe(1);
  });

  test('an unreachable Quay is asked again a minute after, not sooner', async () => {
    const s = stubs({ secret: adminSecret() });
    expect(await s.run(previous('Unreachable', '5', 10_000))).toMatchObject({ writes: 0, requeueAfterMs: RETRY_UNREACHABLE_MS - 10_000 });
    expect(s.calls).toEqual(['get']);
    expect((await s.run(previous('Unreachable', '5', RETRY_UNREACHABLE_MS))).writes).toBe(1);
    // Without a recorded transition time: asked at once.
    const noTime = { ...previous('Unreachable'), conditions: [] };
    expect((await s.run(noTime)).writes).toBe(1);
  });

  test('a Secret without a resourceVersion counts as the empty version', async () => {
    const s = stubs({ secret: { ...adminSecret(), metadata: { name: 'quay-admin' } } });
    expect(await s.run(previous('Refused', ''))).toMatchObject({ writes: 0 });
  });
});
