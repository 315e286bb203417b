// OLM v1: the examples (ClusterCatalog, ClusterExtension, the installer ServiceAccount and its RBAC)
// validate and fit the catalog; the installer's rules are exactly what applying the bundle needs; the
// bundle is one OLM v1 installs (AllNamespaces, no webhooks, no dependencies). Then the bundle is
// applied as OLM v1 renders it, as the installer ServiceAccount (RBAC escalation checks and owner
// references enforced), and the operator it installed reconciles a registry to Available.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import type { ResourceType } from '../../lib/controller/resources';
import { watchNamespace } from '../../lib/cli/run';
import { imagesFromEnv } from '../../lib/images';
import { catalogObjects } from '../../lib/olm/catalog';
import { CATALOG_IMAGE, PACKAGE_NAME } from '../../lib/olm/package';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { eventually, openshiftCluster, simulateCluster } from '../support/cluster-sim';
import { createBundleSecret, leaksAfter, startController } from '../support/controller-harness';
import { FakeApiServer } from '../support/fake-apiserver';
import { validateAll } from '../support/schema';
import { ALL_NAMESPACES_EXTRA_RULE, csvOf, defaultBundleFiles, grants, manifestsOf, olmInstallObjects, podEnv, refusedWrites, sorted } from './olm-support';

type Obj = Record<string, any>;

const ROOT = path.resolve(__dirname, '../..');
const docs = (file: string) => (yaml.loadAll(fs.readFileSync(path.join(ROOT, 'examples/olm-v1', file), 'utf8')) as Obj[]).filter(Boolean);
const rbac = docs('installer-rbac.yaml');
const extension = docs('clusterextension.yaml')[0];
const clusterCatalog = docs('clustercatalog.yaml')[0];
const files = defaultBundleFiles();
const bundle = manifestsOf(files);
const csv = csvOf(bundle);
const INSTALL_NS = extension.spec.namespace as string;
const INSTALLER = extension.spec.serviceAccount.name as string;
const find = (kind: string) => rbac.find((o) => o.kind === kind)!;

const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const RESOURCE: Record<string, [group: string, resource: string]> = {
  Service: ['', 'services'],
  ServiceAccount: ['', 'serviceaccounts'],
  Deployment: ['apps', 'deployments'],
  ClusterRole: ['rbac.authorization.k8s.io', 'clusterroles'],
  ClusterRoleBinding: ['rbac.authorization.k8s.io', 'clusterrolebindings'],
  Role: ['rbac.authorization.k8s.io', 'roles'],
  RoleBinding: ['rbac.authorization.k8s.io', 'rolebindings'],
};

/** What applying the bundle (AllNamespaces) needs: its objects, its CRD by name, the grants it makes, the owner's finalizers. */
function installerNeeds(): Set<string> {
  const objects = olmInstallObjects(bundle, INSTALL_NS, [''], 'v1');
  const needs = new Set<string>([`olm.operatorframework.io|clusterextensions/finalizers|update|${extension.metadata.name}`]);
  for (const o of objects) {
    if (o.kind === 'CustomResourceDefinition') {
      for (const v of ['create', 'list', 'watch']) needs.add(`apiextensions.k8s.io|customresourcedefinitions|${v}`);
      for (const v of ['get', 'update', 'patch', 'delete']) needs.add(`apiextensions.k8s.io|customresourcedefinitions|${v}|${o.metadata.name}`);
    } else {
      const [group, resource] = RESOURCE[o.kind];
      for (const v of ALL_VERBS) needs.add(`${group}|${resource}|${v}`);
    }
    // Kubernetes lets a role grant only what its creator holds.
    if (o.rules) for (const g of grants(o.rules)) needs.add(g);
  }
  return needs;
}

describe('examples/olm-v1', () => {
  test('validate against the CRDs in ../shared/crds and the built-in schemas', () => {
    validateAll([...rbac, extension, clusterCatalog]);
  });

  test('the ClusterCatalog serves the catalog image; the ClusterExtension picks the package, a channel of it, from that catalog', () => {
    expect(clusterCatalog.spec.source.image.ref).toBe(CATALOG_IMAGE);
    const catalog = extension.spec.source.catalog;
    expect(catalog.packageName).toBe(PACKAGE_NAME);
    const channels = catalogObjects(DEFAULT_QUAY_VERSION).filter((o) => o.schema === 'olm.channel').map((o) => o.name);
    for (const c of catalog.channels) expect(channels).toContain(c);
    expect(catalog.selector.matchLabels['olm.operatorframework.io/metadata.name']).toBe(clusterCatalog.metadata.name);
  });

  test('the installer ServiceAccount is the ClusterExtension\'s, in its namespace, bound to the installer ClusterRole', () => {
    expect(find('ServiceAccount').metadata).toEqual({ name: INSTALLER, namespace: INSTALL_NS });
    expect(find('Namespace').metadata.name).toBe(INSTALL_NS);
    expect(find('ClusterRoleBinding')).toMatchObject({ roleRef: { kind: 'ClusterRole', name: find('ClusterRole').metadata.name }, subjects: [{ kind: 'ServiceAccount', name: INSTALLER, namespace: INSTALL_NS }] });
  });

  test('the installer ClusterRole grants exactly what applying the bundle needs: nothing missing, nothing more', () => {
    const granted = grants(find('ClusterRole').rules);
    const needs = installerNeeds();
    expect(sorted([...needs].filter((g) => !granted.has(g) && !granted.has(g.split('|').slice(0, 3).join('|'))))).toEqual([]);
    expect(sorted([...granted].filter((g) => !needs.has(g)))).toEqual([]);
    // No escalate, bind or impersonate: the exact rules instead.
    for (const g of granted) expect(g.split('|')[2]).not.toMatch(/^(escalate|bind|impersonate|\*)$/);
  });
});

describe('what OLM v1 needs of a registry+v1 bundle', () => {
  test('AllNamespaces is supported (OLM v1 installs for all namespaces)', () => {
    expect(csv.spec.installModes).toContainEqual({ type: 'AllNamespaces', supported: true });
  });

  test('no webhooks, no API services', () => {
    expect(csv.spec.webhookdefinitions).toBeUndefined();
    expect(csv.spec.apiservicedefinitions).toBeUndefined();
  });

  test('no dependencies (metadata/dependencies.yaml) and no required packages or GVKs', () => {
    expect(Object.keys(files)).not.toContain('metadata/dependencies.yaml');
    expect(JSON.stringify(catalogObjects(DEFAULT_QUAY_VERSION))).not.toMatch(/olm\.(gvk|package)\.required|olm\.constraint/);
  });

  test('no OperatorCondition needed: the Deployment runs without OPERATOR_CONDITION_NAME, which OLM v1 does not set', () => {
    const env = csv.spec.install.spec.deployments[0].spec.template.spec.containers[0].env as Obj[];
    expect(env.map((e) => e.name)).not.toContain('OPERATOR_CONDITION_NAME');
  });
});

describe('installed as OLM v1 does it, as the installer ServiceAccount', () => {
  let server: FakeApiServer;
  let controller: Controller | undefined;
  let stopCluster: (() => void) | undefined;
  jest.setTimeout(30_000);

  beforeEach(async () => {
    server = await FakeApiServer.start();
    openshiftCluster(server);
  });

  afterEach(async () => {
    stopCluster?.();
    await controller?.stop();
    const leaks = leaksAfter(server, controller);
    await server.stop();
    expect(leaks).toEqual([]);
  });

  const typeOf = (o: Obj): ResourceType => {
    if (o.kind === 'CustomResourceDefinition') return { apiVersion: o.apiVersion, kind: o.kind, plural: 'customresourcedefinitions', namespaced: false };
    return { apiVersion: o.apiVersion, kind: o.kind, plural: RESOURCE[o.kind][1], namespaced: !['ClusterRole', 'ClusterRoleBinding'].includes(o.kind) };
  };

  test('every object applies without a refusal, and the operator reconciles a registry to Available', async () => {
    for (const o of rbac) server.apply(o, { fieldManager: 'kubectl', force: true });
    const owner = server.create(extension);
    const ownerReference = { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
    const installer = new KubeClient(server.serviceAccountKubeConfig(INSTALL_NS, INSTALLER));
    const objects = olmInstallObjects(bundle, INSTALL_NS, [''], 'v1');
    for (const o of objects) await installer.apply(typeOf(o), { ...o, metadata: { ...o.metadata, ownerReferences: [ownerReference] } } as never);
    expect(refusedWrites(server, `system:serviceaccount:${INSTALL_NS}:${INSTALLER}`, [])).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Role')).toEqual([]);
    expect(objects.find((o) => o.kind === 'ClusterRole' && o.rules.some((r: Obj) => r.resources.includes('jobs')))!.rules).toContainEqual(ALL_NAMESPACES_EXTRA_RULE);

    const env = podEnv(objects.find((o) => o.kind === 'Deployment')!);
    const { namespace } = watchNamespace(undefined, env);
    expect(namespace).toBeUndefined();
    controller = await startController(server.serviceAccountKubeConfig(INSTALL_NS, 'quay-operator'), { quayVersion: env.QUAY_VERSION, images: imagesFromEnv(env).images });
    createBundleSecret(server, 'SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com\n');
    server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'example-registry', namespace: 'quay-enterprise' }, spec: { configBundleSecret: 'config-bundle-secret' } });
    stopCluster = simulateCluster(server);
    await eventually(() => {
      const conditions = (server.get('quay.redhat.com/v1', 'QuayRegistry', 'quay-enterprise', 'example-registry') as Obj).status?.conditions ?? [];
      expect(conditions.find((c: Obj) => c.type === 'Available')).toMatchObject({ status: 'True' });
    }, 20_000);
    await controller.whenIdle();
    expect(refusedWrites(server, `system:serviceaccount:${INSTALL_NS}:quay-operator`)).toEqual([]);
  });

  test('without the operator\'s rules the installer is refused the operator\'s ClusterRole (no escalate): the rules are needed', async () => {
    const trimmed = rbac.map((o) => (o.kind === 'ClusterRole' ? { ...o, rules: o.rules.filter((r: Obj) => !r.resources.includes('jobs')) } : o));
    for (const o of trimmed) server.apply(o, { fieldManager: 'kubectl', force: true });
    const installer = new KubeClient(server.serviceAccountKubeConfig(INSTALL_NS, INSTALLER));
    const role = olmInstallObjects(bundle, INSTALL_NS, [''], 'v1').find((o) => o.kind === 'ClusterRole' && o.rules.some((r: Obj) => r.resources.includes('jobs')))!;
    await expect(installer.apply(typeOf(role), role as never)).rejects.toThrow(/forbidden|escalat/i);
  });
});
