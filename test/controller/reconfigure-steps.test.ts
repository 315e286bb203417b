// POST /reconfigure's handler (lib/controller/reconfigure.ts) read directly with a stub client: the
// Basic token check, the body's validation (each refusal and its message), the checks a reconcile
// would make, and what is written to the bundle Secret (or not) with its Event and log line.
// config-editor-flow.test.ts runs the editor's flow end to end on the fake API server; this file
// covers each step's answers, which that flow reaches only a few of.
import * as yaml from 'js-yaml';
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import { ReconfigureDeps, handleReconfigure } from '../../lib/controller/reconfigure';
import type { ResourceType } from '../../lib/controller/resources';
import { managedKeysSecretName, reconfigureToken } from '../../lib/keys';
import type { KubeObject } from '../../lib/synth';
import { testEnvironment } from '../support/model';
import { capturedLog } from './runtime/helpers';

type Obj = Record<string, any>;
const NS = 'ns';
const NAME = 'r';
const PW = 'editor-password';
const TOKEN = reconfigureToken(PW, NS, NAME);
const NOW = new Date('2026-11-21T06:00:00.000Z');
const CONFIG = { SERVER_HOSTNAME: 'quay.example.com', FEATURE_USER_INITIALIZE: true };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const dump = (config: Obj) => yaml.dump(config, { sortKeys: true, lineWidth: -1, noRefs: true });
const basic = (user: string, password: string) => `Basic ${b64(`${user}:${password}`)}`;

const registry = (spec: Obj = { configBundleSecret: 'bundle' }) => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS, uid: 'uid-r' }, spec });
const keysSecret = (keys: Obj = { CONFIG_EDITOR_PW: b64(PW) }) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: managedKeysSecretName(NAME), namespace: NS }, data: keys });
const bundleSecret = (data: Obj = { 'config.yaml': b64(dump(CONFIG)) }, extra: Obj = {}) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bundle', namespace: NS, resourceVersion: '12' }, data, ...extra });

/** A namespace's objects by kind/name; reads, replaces and created Events recorded. */
function cluster(objects: Obj[], options: { replace?: (obj: KubeObject) => KubeObject; create?: () => never } = {}) {
  const gets: string[] = [];
  const replaced: KubeObject[] = [];
  const events: Obj[] = [];
  const client = {
    get: async (t: ResourceType, ns: string, name: string) => {
      gets.push(`${t.kind} ${ns}/${name}`);
      return objects.find((o) => o.kind === t.kind && o.metadata.namespace === ns && o.metadata.name === name);
    },
    replace: async (t: ResourceType, obj: KubeObject) => {
      expect(t.kind).toBe('Secret');
      replaced.push(obj);
      return options.replace ? options.replace(obj) : obj;
    },
    create: async (t: ResourceType, obj: KubeObject) => {
      expect(t.kind).toBe('Event');
      if (options.create) options.create();
      const { metadata, ...rest } = obj as Obj;
      expect(metadata.name).toMatch(/^r\.[0-9a-f]{16}$/);
      events.push({ namespace: metadata.namespace, ...rest });
      return obj;
    },
  } as unknown as KubeClient;
  return { client, gets, replaced, events };
}

function deps(client: KubeClient, extra: Partial<ReconfigureDeps> = {}) {
  const log = capturedLog();
  return { deps: { client, logger: log.logger, environment: () => testEnvironment(), now: () => NOW, ...extra } as ReconfigureDeps, lines: log.lines };
}

const body = (doc: unknown) => Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
const commit = (config: Obj = CONFIG, certs?: unknown, extra: Obj = {}) => body({ namespace: NS, quayRegistryName: NAME, 'config.yaml': config, ...(certs === undefined ? {} : { certs }), ...extra });
const event = (type: string, reason: string, message: string) => ({
  namespace: NS,
  apiVersion: 'v1',
  kind: 'Event',
  involvedObject: { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: NAME, namespace: NS, uid: 'uid-r' },
  type,
  reason,
  message,
  source: { component: 'quay-operator' },
  reportingComponent: 'quay-operator',
  firstTimestamp: NOW.toISOString(),
  lastTimestamp: NOW.toISOString(),
  count: 1,
});

const UNAUTHORIZED = { status: 401, body: { error: 'unauthorized' } };
const standard = () => cluster([registry(), keysSecret(), bundleSecret()]);

describe('authentication', () => {
  test('no Basic password: refused before anything is read', async () => {
    const { client, gets } = standard();
    const { deps: d } = deps(client);
    for (const authorization of [undefined, '', `Bearer ${TOKEN}`, `Basic ${b64(TOKEN)}`, `Basic ${b64('quayconfig:x')}!`, `XBasic ${b64(`u:${TOKEN}`)}`, `Basic ${b64(`u:${TOKEN}`)} extra`]) {
      expect(await handleReconfigure(d, { authorization, body: commit() })).toEqual(UNAUTHORIZED);
    }
    expect(gets).toEqual([]);
  });

  test('the registry\'s token as password, whatever the user name, however the scheme is spelt', async () => {
    for (const authorization of [basic('quayconfig', TOKEN), basic('', TOKEN), `basic   ${b64(`x:${TOKEN}`)}  `, `BASIC ${b64(`x:${TOKEN}`)}`]) {
      const { client } = standard();
      expect(await handleReconfigure(deps(client).deps, { authorization, body: commit() })).toEqual({ status: 200, body: { status: 'unchanged', secret: 'bundle' } });
    }
  });

  test('a wrong token, another registry\'s or namespace\'s, no keys or no editor password, no registry: one answer, logged', async () => {
    const cases: [Obj[], string][] = [
      [[registry(), keysSecret(), bundleSecret()], 'not-the-token'],
      [[registry(), keysSecret(), bundleSecret()], reconfigureToken(PW, NS, 'other')],
      [[registry(), keysSecret(), bundleSecret()], reconfigureToken(PW, 'other', NAME)],
      [[registry(), keysSecret(), bundleSecret()], TOKEN.slice(0, -1)],
      [[registry(), keysSecret({ OTHER: b64('x') }), bundleSecret()], TOKEN],
      [[registry(), bundleSecret()], TOKEN],
      [[keysSecret(), bundleSecret()], TOKEN],
    ];
    for (const [objects, token] of cases) {
      const { client, replaced } = cluster(objects);
      const { deps: d, lines } = deps(client);
      expect(await handleReconfigure(d, { authorization: basic('quayconfig', token), body: commit() })).toEqual(UNAUTHORIZED);
      expect(lines).toEqual([{ level: 'warn', msg: 'config editor commit refused: not authenticated', namespace: NS, registry: NAME }]);
      expect(replaced).toEqual([]);
    }
  });

  test('no registry: the keys Secret is not even read', async () => {
    const { client, gets } = cluster([keysSecret()]);
    expect(await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit() })).toEqual(UNAUTHORIZED);
    expect(gets).toEqual([`QuayRegistry ${NS}/${NAME}`]);
  });

  test('an operator watching one namespace refuses commits for another, unread', async () => {
    const { client, gets } = standard();
    const { deps: d } = deps(client, { namespace: 'elsewhere' });
    expect(await handleReconfigure(d, { authorization: basic('u', TOKEN), body: commit() })).toEqual(UNAUTHORIZED);
    expect(gets).toEqual([]);
    const { deps: same } = deps(client, { namespace: NS });
    expect((await handleReconfigure(same, { authorization: basic('u', TOKEN), body: commit() })).status).toBe(200);
  });
});

describe('the body', () => {
  const refused = async (b: Buffer) => {
    const { client, gets } = standard();
    const answer = await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: b });
    expect(gets).toEqual([]);
    return answer;
  };
  const error = (message: string) => ({ status: 400, body: { error: message } });
  const jsonError = (text: string) => {
    try {
      JSON.parse(text);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('valid JSON');
  };

  test('JSON, an object', async () => {
    expect(await refused(body('{namespace'))).toEqual(error(`body is not JSON: ${jsonError('{namespace')}`));
    for (const doc of ['null', '[]', '"text"', '42']) expect(await refused(body(doc))).toEqual(error('body must be a JSON object'));
  });

  test('a namespace and registry name, each a DNS label', async () => {
    for (const namespace of [undefined, 42, '', 'Upper', 'a.b']) {
      expect(await refused(commit(CONFIG, undefined, { namespace }))).toEqual(error('namespace must be a namespace name'));
    }
    for (const quayRegistryName of [undefined, ['r'], '-r', 'r_1']) {
      expect(await refused(commit(CONFIG, undefined, { quayRegistryName }))).toEqual(error('quayRegistryName must be a QuayRegistry name'));
    }
  });

  test('config.yaml, an object', async () => {
    for (const config of [null, [], 'SERVER_HOSTNAME: x', 1]) expect(await refused(commit(config as Obj))).toEqual(error('config.yaml must be an object'));
    expect(await refused(body({ namespace: NS, quayRegistryName: NAME }))).toEqual(error('config.yaml must be an object'));
  });

  test('certs: an object of Secret keys (not config.yaml) to base64', async () => {
    for (const certs of ['x', [], 1]) expect(await refused(commit(CONFIG, certs))).toEqual(error('certs must be an object of file name to base64 content'));
    expect(await refused(commit(CONFIG, { 'a/b': b64('x') }))).toEqual(error('certs: "a/b" is not a valid Secret key'));
    expect(await refused(commit(CONFIG, { '': b64('x') }))).toEqual(error('certs: "" is not a valid Secret key'));
    expect(await refused(commit(CONFIG, { ['c'.repeat(254)]: b64('x') }))).toEqual(error(`certs: "${'c'.repeat(254)}" is not a valid Secret key`));
    expect(await refused(commit(CONFIG, { 'config.yaml': b64('x') }))).toEqual(error('certs: config.yaml is the config itself'));
    expect(await refused(commit(CONFIG, { 'ldap.crt': 'not base64' }))).toEqual(error('certs.ldap.crt must be base64'));
    expect(await refused(commit(CONFIG, { 'ldap.crt': 42 }))).toEqual(error('certs.ldap.crt must be base64'));
  });

  test('certs null or absent: none; a 253-character key is a valid one', async () => {
    for (const certs of [null, undefined, {}]) {
      const { client } = standard();
      expect(await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit(CONFIG, certs) })).toEqual({ status: 200, body: { status: 'unchanged', secret: 'bundle' } });
    }
    const { client, replaced } = standard();
    const key = 'c'.repeat(253);
    expect((await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit(CONFIG, { [key]: b64('x') }) })).status).toBe(200);
    expect(replaced[0].data).toEqual({ 'config.yaml': b64(dump(CONFIG)), [key]: b64('x') });
  });
});

describe('the bundle Secret', () => {
  test('the registry must name one, and it must exist', async () => {
    const { spec: _spec, ...specless } = registry();
    for (const reg of [specless, registry({}), registry({ configBundleSecret: '' }), registry({ configBundleSecret: 7 })]) {
      const { client } = cluster([reg, keysSecret()]);
      expect(await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit() })).toEqual({ status: 409, body: { error: 'QuayRegistry r names no configBundleSecret to commit to' } });
    }
    const { client } = cluster([registry(), keysSecret()]);
    expect(await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit() })).toEqual({ status: 409, body: { error: 'config bundle Secret bundle not found' } });
  });

  test('committed: config.yaml and the certificates replaced, other files kept, at the resourceVersion read; an Event and a log line', async () => {
    const { client, gets, replaced, events } = cluster([registry(), keysSecret(), bundleSecret({ 'config.yaml': b64(dump(CONFIG)), 'extra.crt': b64('old'), 'ldap.crt': b64('old ldap') })]);
    const { deps: d, lines } = deps(client);
    const config = { ...CONFIG, SUPER_USERS: ['quayadmin'] };
    const answer = await handleReconfigure(d, { authorization: basic('u', TOKEN), body: commit(config, { 'ldap.crt': b64('new ldap'), 'other.crt': b64('other') }) });
    expect(answer).toEqual({ status: 200, body: { status: 'committed', secret: 'bundle' } });
    expect(replaced).toEqual([bundleSecret({ 'config.yaml': b64(dump(config)), 'extra.crt': b64('old'), 'ldap.crt': b64('new ldap'), 'other.crt': b64('other') })]);
    expect(Object.keys(replaced[0])).not.toContain('stringData');
    // No spec.tlsSecret: no certificate Secret read.
    expect(gets).toEqual([`QuayRegistry ${NS}/${NAME}`, `Secret ${NS}/${managedKeysSecretName(NAME)}`, `Secret ${NS}/bundle`]);
    expect(events).toEqual([event('Normal', 'ConfigEditorCommitted', 'config bundle Secret bundle updated from the config editor')]);
    expect(lines).toEqual([{ level: 'info', msg: 'config bundle updated by the config editor', namespace: NS, registry: NAME, bundle: 'bundle' }]);
  });

  test('config.yaml written as YAML with sorted keys, long lines whole', async () => {
    const { client, replaced } = standard();
    const shared = ['a', 'b'];
    const TITLE = Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ');
    const config = { SERVER_HOSTNAME: 'quay.example.com', FEATURE_USER_INITIALIZE: true, SUPER_USERS: shared, GLOBAL_READONLY_SUPER_USERS: shared, REGISTRY_TITLE: TITLE };
    await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit(config) });
    expect(Buffer.from((replaced[0] as Obj).data['config.yaml'], 'base64').toString('utf8')).toBe(
      ['FEATURE_USER_INITIALIZE: true', 'GLOBAL_READONLY_SUPER_USERS:', '  - a', '  - b', `REGISTRY_TITLE: ${TITLE}`, 'SERVER_HOSTNAME: quay.example.com', 'SUPER_USERS:', '  - a', '  - b', ''].join('\n'),
    );
  });

  test('files the Secret holds as stringData are kept, as data', async () => {
    const { client, replaced } = cluster([registry(), keysSecret(), bundleSecret({ 'config.yaml': b64(dump(CONFIG)) }, { stringData: { 'extra.crt': 'plain' } })]);
    expect(await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit() })).toEqual({ status: 200, body: { status: 'committed', secret: 'bundle' } });
    expect(replaced).toEqual([bundleSecret({ 'config.yaml': b64(dump(CONFIG)), 'extra.crt': b64('plain') })]);
  });

  test('unchanged: nothing written, no Event', async () => {
    const { client, replaced, events } = cluster([registry(), keysSecret(), bundleSecret({ 'ldap.crt': b64('ldap'), 'config.yaml': b64(dump(CONFIG)) })]);
    const { deps: d, lines } = deps(client);
    expect(await handleReconfigure(d, { authorization: basic('u', TOKEN), body: commit(CONFIG, { 'ldap.crt': b64('ldap') }) })).toEqual({ status: 200, body: { status: 'unchanged', secret: 'bundle' } });
    expect([replaced, events, lines]).toEqual([[], [], []]);
  });

  test('a Secret read with stringData (which the API server folds into data): rewritten without it, even if data already holds its files', async () => {
    const data = { 'config.yaml': b64(dump(CONFIG)), 'extra.crt': b64('plain') };
    const { client, replaced } = cluster([registry(), keysSecret(), bundleSecret(data, { stringData: { 'extra.crt': 'plain' } })]);
    expect(await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit() })).toEqual({ status: 200, body: { status: 'committed', secret: 'bundle' } });
    expect(replaced).toEqual([bundleSecret(data)]);
    expect(Object.keys(replaced[0])).not.toContain('stringData');
  });

  test('without a clock of its own, the Event is stamped with the current time', async () => {
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'clearImmediate'] });
    try {
      const { client, events } = standard();
      const { now: _now, ...withoutClock } = deps(client).deps;
      expect(await handleReconfigure(withoutClock, { authorization: basic('u', TOKEN), body: commit({ ...CONFIG, SUPER_USERS: ['a'] }) })).toEqual({ status: 200, body: { status: 'committed', secret: 'bundle' } });
      expect(events).toEqual([event('Normal', 'ConfigEditorCommitted', 'config bundle Secret bundle updated from the config editor')]);
    } finally {
      jest.useRealTimers();
    }
  });

  test('changed meanwhile (409 on the replace): the editor is told to reload; other failures are thrown', async () => {
    const conflict = cluster([registry(), keysSecret(), bundleSecret()], {
      replace: () => {
        throw new ApiError(409, 'Conflict', 'conflict');
      },
    });
    const { deps: d, lines } = deps(conflict.client);
    expect(await handleReconfigure(d, { authorization: basic('u', TOKEN), body: commit({ ...CONFIG, SUPER_USERS: ['a'] }) })).toEqual({
      status: 409,
      body: { error: 'config bundle Secret bundle changed meanwhile; reload the editor and commit again' },
    });
    expect([conflict.events, lines]).toEqual([[], []]);
    const failure = new ApiError(500, 'InternalError', 'etcd');
    const failing = cluster([registry(), keysSecret(), bundleSecret()], {
      replace: () => {
        throw failure;
      },
    });
    await expect(handleReconfigure(deps(failing.client).deps, { authorization: basic('u', TOKEN), body: commit({ ...CONFIG, SUPER_USERS: ['a'] }) })).rejects.toBe(failure);
  });

  test('an Event that cannot be recorded does not undo the commit', async () => {
    const { client, replaced } = cluster([registry(), keysSecret(), bundleSecret()], {
      create: () => {
        throw new ApiError(403, 'Forbidden', 'events');
      },
    });
    expect(await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit({ ...CONFIG, SUPER_USERS: ['a'] }) })).toEqual({ status: 200, body: { status: 'committed', secret: 'bundle' } });
    expect(replaced.length).toBe(1);
  });
});

describe('the checks a reconcile makes', () => {
  const DB = 'postgresql://quay:pw@db.example.com/quay';

  test('a bundle the registry would refuse: 422 with the reconcile\'s messages, a Warning Event, nothing written', async () => {
    const { client, replaced, events } = standard();
    const { deps: d, lines } = deps(client, { environment: async () => testEnvironment() });
    const answer = await handleReconfigure(d, { authorization: basic('u', TOKEN), body: commit({ ...CONFIG, DB_URI: DB }) });
    expect(answer.status).toBe(422);
    const problems = (answer.body as { problems: string[] }).problems;
    expect(answer.body).toEqual({ error: 'the config bundle is invalid', problems });
    expect(problems.length).toBe(1);
    expect(problems[0]).toMatch(/^error: configBundleSecret bundle: .*DB_URI/);
    expect(events).toEqual([event('Warning', 'ConfigEditorCommitRejected', `config editor commit refused: ${problems[0]}`)]);
    expect([replaced, lines]).toEqual([[], []]);
  });

  test('refused even when the Event cannot be recorded', async () => {
    const { client, replaced } = cluster([registry(), keysSecret(), bundleSecret()], {
      create: () => {
        throw new ApiError(403, 'Forbidden', 'events');
      },
    });
    const answer = await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit({ ...CONFIG, DB_URI: DB }) });
    expect(answer.status).toBe(422);
    expect(replaced).toEqual([]);
  });

  test('several problems: each in the answer, joined in the Event', async () => {
    const { client, events } = cluster([registry(), keysSecret(), bundleSecret({ 'config.yaml': b64(dump(CONFIG)), a: 'not base64!', b: 'neither!' })]);
    const answer = await handleReconfigure(deps(client).deps, { authorization: basic('u', TOKEN), body: commit() });
    const problems = ['error: configBundleSecret bundle: data.a: is not base64; put plain text under stringData instead', 'error: configBundleSecret bundle: data.b: is not base64; put plain text under stringData instead'];
    expect(answer).toEqual({ status: 422, body: { error: 'the config bundle is invalid', problems } });
    expect(events).toEqual([event('Warning', 'ConfigEditorCommitRejected', `config editor commit refused: ${problems.join('; ')}`)]);
  });

  test('spec.tlsSecret read from the registry\'s namespace and checked as a reconcile would', async () => {
    const missing = cluster([registry({ configBundleSecret: 'bundle', tlsSecret: 'tls' }), keysSecret(), bundleSecret()]);
    expect(await handleReconfigure(deps(missing.client).deps, { authorization: basic('u', TOKEN), body: commit() })).toEqual({
      status: 422,
      body: { error: 'the config bundle is invalid', problems: ['error: configBundleSecret bundle: spec.tlsSecret: Secret `tls` not found in namespace ns'] },
    });
    expect(missing.gets).toEqual([`QuayRegistry ${NS}/${NAME}`, `Secret ${NS}/${managedKeysSecretName(NAME)}`, `Secret ${NS}/bundle`, `Secret ${NS}/tls`]);
    const tls = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'tls', namespace: NS }, data: {} };
    const present = cluster([registry({ configBundleSecret: 'bundle', tlsSecret: 'tls' }), keysSecret(), bundleSecret(), tls]);
    const answer = await handleReconfigure(deps(present.client).deps, { authorization: basic('u', TOKEN), body: commit() });
    expect(answer.status).toBe(422);
    expect((answer.body as { problems: string[] }).problems).not.toContain('error: configBundleSecret bundle: spec.tlsSecret: Secret `tls` not found in namespace ns');
  });
});
