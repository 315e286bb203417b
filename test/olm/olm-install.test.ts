// The bundle installed as OLM v0 installs it, in the fake API server: the CSV's ServiceAccount, its
// `permissions` as Roles in the operator's and the watched namespace (ClusterRoles under
// AllNamespaces, plus the namespaces rule OLM adds), its `clusterPermissions` as ClusterRoles, the
// Service and the Deployment with olm.targetNamespaces on its pods. The operator, configured by that
// Deployment's environment (WATCH_NAMESPACE, QUAY_VERSION, RELATED_IMAGE_*), reconciles a registry to
// Available with exactly those permissions: no write refused.
import { Controller } from '../../lib/controller/controller';
import { watchNamespace } from '../../lib/cli/run';
import { imagesFromEnv } from '../../lib/images';
import { eventually, openshiftCluster, simulateCluster } from '../support/cluster-sim';
import { createBundleSecret, leaksAfter, startController } from '../support/controller-harness';
import { FakeApiServer } from '../support/fake-apiserver';
import { defaultBundleFiles, manifestsOf, olmInstallObjects, podEnv, refusedWrites } from './olm-support';

type Obj = Record<string, any>;

const NS = 'quay-enterprise';
const NAME = 'example-registry';
const CONFIG = `SERVER_HOSTNAME: ${NAME}-quay-${NS}.apps.example.com\nFEATURE_USER_INITIALIZE: true\n`;

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller | undefined;
let stopCluster: (() => void) | undefined;

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
});

afterEach(async () => {
  stopCluster?.();
  await controller?.stop();
  const leaks = leaksAfter(server, controller);
  controller = undefined;
  await server.stop();
  expect(leaks).toEqual([]);
});

/** Installs as OLM v0 (cluster-admin) would; returns the operator's environment. */
function installWithOlm(installNamespace: string, targets: readonly string[]): { env: Record<string, string>; objects: Obj[] } {
  const objects = olmInstallObjects(manifestsOf(defaultBundleFiles()), installNamespace, targets, 'v0');
  for (const ns of new Set([installNamespace, ...targets.filter((t) => t !== '')])) if (!server.get('v1', 'Namespace', undefined, ns)) server.createNamespace(ns);
  for (const o of objects) server.apply(o, { fieldManager: 'olm', force: true });
  return { env: podEnv(objects.find((o) => o.kind === 'Deployment')!), objects };
}

async function reconcileToAvailable(installNamespace: string, env: Record<string, string>): Promise<string[]> {
  const { namespace, problem } = watchNamespace(undefined, env);
  expect(problem).toBeUndefined();
  const { images, problems } = imagesFromEnv(env);
  expect(problems).toEqual([]);
  controller = await startController(server.serviceAccountKubeConfig(installNamespace, 'quay-operator'), { quayVersion: env.QUAY_VERSION, images, ...(namespace ? { namespace } : {}) });
  createBundleSecret(server, CONFIG, NS);
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret' } });
  stopCluster = simulateCluster(server);
  await eventually(() => {
    const available = ((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj).status?.conditions ?? []).find((c: Obj) => c.type === 'Available');
    expect(available).toMatchObject({ status: 'True' });
  }, 20_000);
  await controller.whenIdle();
  return refusedWrites(server, `system:serviceaccount:${installNamespace}:quay-operator`);
}

test('AllNamespaces (operator in quay-operator): WATCH_NAMESPACE empty, the registry reaches Available, managed monitoring included', async () => {
  const { env, objects } = installWithOlm('quay-operator', ['']);
  expect(env.WATCH_NAMESPACE).toBe('');
  // OLM's ClusterRoles and no Role in another namespace than its own.
  expect(objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace)).toEqual(['quay-operator']);
  expect(await reconcileToAvailable('quay-operator', env)).toEqual([]);
  const components = (server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj).status.components as Obj[];
  expect(components.find((c) => c.kind === 'monitoring')).toEqual({ kind: 'monitoring', managed: true });
  expect(server.get('v1', 'Namespace', undefined, NS)!.metadata.labels['openshift.io/cluster-monitoring']).toBe('true');
});

test('SingleNamespace (operator in quay-operator, watching quay-enterprise): Roles only, the registry reaches Available', async () => {
  const { env, objects } = installWithOlm('quay-operator', [NS]);
  expect(env.WATCH_NAMESPACE).toBe(NS);
  expect(objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace).sort()).toEqual(['quay-enterprise', 'quay-operator']);
  expect(await reconcileToAvailable('quay-operator', env)).toEqual([]);
  // Other namespaces are not watched.
  expect(server.writes().some((w) => w.user.endsWith(':quay-operator:quay-operator') && w.path.includes('/namespaces/') && !w.path.includes(`/namespaces/${NS}/`) && !w.path.includes('/namespaces/quay-operator/'))).toBe(false);
});

test('OwnNamespace (operator and registry in quay-enterprise): the registry reaches Available', async () => {
  const { env } = installWithOlm(NS, [NS]);
  expect(env.WATCH_NAMESPACE).toBe(NS);
  expect(env.POD_NAMESPACE).toBe(NS);
  expect(await reconcileToAvailable(NS, env)).toEqual([]);
});

test('MultiNamespace, which the CSV does not offer, is refused by the operator rather than half-served', () => {
  const { env } = { env: { WATCH_NAMESPACE: 'a,b' } };
  expect(watchNamespace(undefined, env).problem).toMatch(/several namespaces/);
});

describe('run: the watched namespace', () => {
  test.each([
    [undefined, {}, {}],
    [undefined, { WATCH_NAMESPACE: '' }, {}],
    [undefined, { WATCH_NAMESPACE: 'quay-enterprise' }, { namespace: 'quay-enterprise' }],
    ['mine', { WATCH_NAMESPACE: 'quay-enterprise' }, { namespace: 'mine' }],
    ['', { WATCH_NAMESPACE: 'quay-enterprise' }, {}],
  ])('--namespace %j, environment %j: %j', (flag, env, expected) => {
    expect(watchNamespace(flag, env)).toEqual(expected);
  });

  test('a name that is not a namespace is refused, naming where it came from', () => {
    expect(watchNamespace(undefined, { WATCH_NAMESPACE: 'Bad_NS' }).problem).toMatch(/^WATCH_NAMESPACE "Bad_NS" is not a namespace name/);
    expect(watchNamespace('a'.repeat(64), {}).problem).toMatch(/^--namespace "a{64}" is not a namespace name/);
  });
});
