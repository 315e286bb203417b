// The seeds' config editor flow, end to end against the fake API server: the editor (played here
// by what the config-tool sends) commits to the operator's POST /reconfigure with the token its pod
// gets from `<name>-quay-config-editor-credentials`; the operator validates and writes the config
// bundle Secret; the registry rolls as for any bundle change; the old config ConfigMap is pruned
// once no pod mounts it, while the editor itself is held not ready.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import { silentLogger } from '../../lib/controller/runtime/logger';
import { startReconfigureServer } from '../../lib/controller/runtime/reconfigure-server';
import type { ProbeServer } from '../../lib/controller/runtime/http-server';
import { reconfigureToken } from '../../lib/keys';
import { secretStrings } from '../../lib/secrets';
import { admitRoutes, bindBucket, completeJob, deploymentUnavailable, eventually, openshiftCluster, settleDeployments, syncPods } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { basicAuth, httpPost } from '../support/http-post';
import { installOperator } from '../support/operator-install';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const EDITOR = `${NAME}-quay-config-editor`;
const VERSION = 'v3.99.0-dev';
const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const CONFIG = `SERVER_HOSTNAME: ${HOST}\nFEATURE_USER_INITIALIZE: true\n`;
const LDAP_CA = fs.readFileSync(path.resolve(__dirname, '../fixtures/tls/ca.crt'), 'utf8');

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller;
let endpoint: ProbeServer;

const get = (apiVersion: string, kind: string, name: string) => server.get(apiVersion, kind, NS, name) as Obj | undefined;
const bundleFiles = () => secretStrings(get('v1', 'Secret', 'config-bundle-secret')!);
const quayConfigMaps = () => (server.list('v1', 'ConfigMap', NS) as Obj[]).map((o) => o.metadata.name as string).filter((n) => /-quay-config-[0-9a-f]{10}$/.test(n));
const configHash = () => get('apps/v1', 'Deployment', `${NAME}-quay-app`)!.spec.template.metadata.annotations['quay-operator/config-hash'];
const events = (reason: string) => (server.list('v1', 'Event', NS) as Obj[]).filter((e) => e.reason === reason);

/** What the config-tool posts: the registry named from its pod's name, the config, its certificates base64. */
function commitBody(config: Obj, certs: Record<string, string> = {}, podName = `${EDITOR}-6d9f8b7c5-x2x4q`): string {
  const encoded = Object.fromEntries(Object.entries(certs).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return JSON.stringify({ quayRegistryName: podName.split('-quay-config-editor')[0], namespace: NS, 'config.yaml': config, certs: encoded });
}

/** The token as the editor's pod receives it: from the credentials Secret the operator applied. */
function editorToken(): string {
  return secretStrings(get('v1', 'Secret', `${EDITOR}-credentials`)!)['reconfigure-token'];
}

/** null: no Authorization header at all. */
const commit = (body: string | Buffer, token: string | null = editorToken()) => httpPost(endpoint.port, '/reconfigure', body, token === null ? {} : basicAuth('quayconfig', token));

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  createBundleSecret(server, CONFIG);
  const kubeConfig = installOperator(server);
  controller = await startController(kubeConfig, { quayVersion: VERSION });
  // As `run` serves it: the operator's ServiceAccount, the controller's environment.
  endpoint = await startReconfigureServer({ client: new KubeClient(kubeConfig), logger: silentLogger, environment: () => controller.discoveredEnvironment() }, 0, '127.0.0.1');
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });
  await eventually(() => {
    settleDeployments(server, NS);
    bindBucket(server, NS, NAME);
    expect(get('batch/v1', 'Job', `${NAME}-quay-app-upgrade`)).toBeDefined();
  });
  completeJob(server, NS, `${NAME}-quay-app-upgrade`);
  await eventually(() => {
    settleDeployments(server, NS);
    admitRoutes(server, NS);
    const available = (get('quay.redhat.com/v1', 'QuayRegistry', NAME)!.status?.conditions ?? []).find((c: Obj) => c.type === 'Available');
    expect(available).toMatchObject({ status: 'True' });
  });
  await controller.whenIdle();
  syncPods(server, NS);
});

afterEach(async () => {
  await endpoint.close();
  // 404: a prune repeated from a cache not yet told of the first delete (handled as already gone).
  expect(await shutDown(server, controller, [409, 404])).toEqual([]);
});

test('the editor commits, the bundle Secret is updated, quay-app rolls; the old config goes while the editor is held not ready', async () => {
  // The editor's pod points at the operator with the token from its credentials Secret.
  const editor = get('apps/v1', 'Deployment', EDITOR)!.spec.template.spec.containers[0];
  expect(editor.env).toContainEqual({ name: 'RECONFIGURE_TOKEN', valueFrom: { secretKeyRef: { name: `${EDITOR}-credentials`, key: 'reconfigure-token' } } });
  // The editor does not become ready, and its old pod stays (a rollout that cannot finish).
  deploymentUnavailable(server, NS, EDITOR);
  const hashBefore = configHash();
  const [oldConfigMap] = quayConfigMaps();

  // The seeds' example: a superuser added, and an LDAP CA uploaded (a new file in /conf/stack: a new config ConfigMap).
  const config = { ...(yaml.load(CONFIG) as Obj), SUPER_USERS: ['quayadmin'] };
  const answer = await commit(commitBody(config, { 'ldap.crt': LDAP_CA }));
  expect([answer.status, JSON.parse(answer.body)]).toEqual([200, { status: 'committed', secret: 'config-bundle-secret' }]);
  expect(bundleFiles()).toEqual({ 'config.yaml': yaml.dump(config, { sortKeys: true, lineWidth: -1 }), 'ldap.crt': LDAP_CA });
  expect(events('ConfigEditorCommitted').map((e) => e.message)).toEqual(['config bundle Secret config-bundle-secret updated from the config editor']);
  // The spec is the user's: untouched.
  expect(get('quay.redhat.com/v1', 'QuayRegistry', NAME)!.spec).toEqual({ configBundleSecret: 'config-bundle-secret' });

  // The registry rolls on the new bundle, as for any bundle change.
  await eventually(() => expect(configHash()).not.toBe(hashBefore));
  await eventually(() => expect(quayConfigMaps()).toHaveLength(2));
  await controller.whenIdle();
  // Old quay-app pods still run: the old config stays.
  expect(quayConfigMaps()).toContain(oldConfigMap);
  // New pods replace the old ones everywhere but in the editor, which stays not ready.
  syncPods(server, NS, (d) => d === EDITOR);
  settleDeployments(server, NS, (d) => d.metadata.name !== EDITOR);
  await eventually(() => expect(quayConfigMaps()).not.toContain(oldConfigMap));
  expect(get('apps/v1', 'Deployment', EDITOR)!.status.availableReplicas).toBe(0);
});

test('refused without the token, with a wrong one or with another registry’s; nothing written', async () => {
  const body = commitBody({ ...(yaml.load(CONFIG) as Obj), SUPER_USERS: ['mallory'] });
  const password = secretStrings(get('v1', 'Secret', `${NAME}-quay-registry-managed-secret-keys`)!).CONFIG_EDITOR_PW;
  for (const token of [null, 'not-the-token', reconfigureToken(password, NS, 'other-registry'), reconfigureToken(password, 'other-namespace', NAME)]) {
    const answer = await commit(body, token);
    expect([answer.status, answer.body]).toEqual([401, '{"error":"unauthorized"}\n']);
  }
  // An unknown registry answers the same: the endpoint tells nothing about what exists.
  const unknown = await commit(commitBody({}, {}, 'nobody-quay-config-editor-abc'), editorToken());
  expect(unknown.status).toBe(401);
  expect(bundleFiles()).toEqual({ 'config.yaml': CONFIG });
});

test('a bundle the registry would refuse is refused with the same message, an Event, and nothing written', async () => {
  const hashBefore = configHash();
  // postgres is managed: the user may not set DB_URI (seeds: "contains required fields").
  const answer = await commit(commitBody({ ...(yaml.load(CONFIG) as Obj), DB_URI: 'postgresql://quay:pw@db.example.com/quay' }));
  expect(answer.status).toBe(422);
  const body = JSON.parse(answer.body);
  expect(body.error).toBe('the config bundle is invalid');
  expect(body.problems).toHaveLength(1);
  expect(body.problems[0]).toMatch(/^error: configBundleSecret config-bundle-secret: .*DB_URI/);
  expect(body.problems[0]).not.toContain('pw@');
  expect(events('ConfigEditorCommitRejected')).toHaveLength(1);
  expect(events('ConfigEditorCommitRejected')[0].type).toBe('Warning');
  expect(bundleFiles()).toEqual({ 'config.yaml': CONFIG });
  await controller.whenIdle();
  expect(configHash()).toBe(hashBefore);
});

test('the same bundle again: answered, not written; wrong method, path, body and size are refused', async () => {
  const same = yaml.load(CONFIG) as Obj;
  // config.yaml as the operator writes it (keys sorted); committing it twice writes once.
  expect((await commit(commitBody(same))).status).toBe(200);
  const version = get('v1', 'Secret', 'config-bundle-secret')!.metadata.resourceVersion;
  const again = await commit(commitBody(same));
  expect([again.status, JSON.parse(again.body)]).toEqual([200, { status: 'unchanged', secret: 'config-bundle-secret' }]);
  expect(get('v1', 'Secret', 'config-bundle-secret')!.metadata.resourceVersion).toBe(version);

  expect((await httpPost(endpoint.port, '/elsewhere', '{}')).status).toBe(404);
  expect((await commit('not json')).status).toBe(400);
  expect(JSON.parse((await commit(JSON.stringify({ quayRegistryName: NAME, namespace: NS, 'config.yaml': [] }))).body)).toEqual({ error: 'config.yaml must be an object' });
  expect(JSON.parse((await commit(commitBody(same, { '../escape': 'x' }))).body).error).toBe('certs: "../escape" is not a valid Secret key');
  expect((await commit(Buffer.alloc(3 * 1024 * 1024, 0x20))).status).toBe(413);
  expect(get('v1', 'Secret', 'config-bundle-secret')!.metadata.resourceVersion).toBe(version);
});
