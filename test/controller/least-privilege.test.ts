// Least privilege, derived: the operator runs as its ServiceAccount, with exactly the RBAC
// `quay-operator manifests` grants, through the scenarios below against the fake API server; every
// request it makes is mapped to what RBAC checks (apiGroup, resource, verb, namespace). Then:
//   - everything it used is granted where it used it (the server would have refused it anyway);
//   - everything granted was used by some scenario, or is listed in UNEXERCISED with the reason
//     (and the list holds nothing that is used or not granted, so it cannot rot);
//   - watching one namespace, it makes no cluster-wide request and needs no ClusterRole at all.
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import { LeaderElector } from '../../lib/controller/runtime/leader-election';
import { silentLogger } from '../../lib/controller/runtime/logger';
import { startReconfigureServer } from '../../lib/controller/runtime/reconfigure-server';
import type { ProbeServer } from '../../lib/controller/runtime/http-server';
import { secretStrings } from '../../lib/secrets';
import { DEFAULT_IMAGES } from '../../lib/images';
import { eventually, openshiftCluster, simulateCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { basicAuth, httpPost } from '../support/http-post';
import { installManifests, installOperator } from '../support/operator-install';
import { createBundleSecret, leaksAfter, refusedOperatorWrites, startController } from '../support/controller-harness';
import { Grant, Use, grantsByScope, operatorRequests, ungranted } from '../support/rbac-usage';
import { tlsFixture } from '../support/model';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const OPERATOR_NS = 'quay-operator';
const OLD = 'v3.98.4';
const NEW = 'v3.99.0';
const STORAGE = [
  'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, s3_access_key: a, s3_secret_key: b, storage_path: /registry}]}',
  'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
  'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: []',
].join('\n');

jest.setTimeout(120_000);

/**
 * Granted, and called by no scenario here: the reason for each. Keys are "group|resource|verb".
 * (What RBAC checks outside the requests themselves is derived below: see admissionNeeds.)
 */
const UNEXERCISED: Readonly<Record<Grant, string>> = {
  '|configmaps|get':
    "the bucket's ConfigMap read by name when the informer holds it without data (it existed before the registry that reads it, e.g. at an operator restart); lib/controller/inputs.ts",
  'route.openshift.io|routes/custom-host|update': "OpenShift's check when an existing Route's spec.host changes (a new SERVER_HOSTNAME); the fake API server does not make it",
};

/** Refused and tolerated: a cluster-wide read the code tries in namespace mode and does without. */
const TOLERATED_REFUSALS: Readonly<Record<Grant, string>> = {
  'config.openshift.io|ingresses|get': 'the apps domain, read when granted (OLM grants it); else QUAY_APPS_DOMAIN or SERVER_HOSTNAME (lib/controller/discovery.ts)',
};

/** Discovery, which every authenticated user may read (system:discovery). */
const DISCOVERY = /^\/(api|apis)(\/[^/]+){0,2}$|^\/version$/;

/**
 * What the API server checks beyond the verb of a request, derived from what the operator wrote:
 * a Role may grant only what its writer holds (escalation prevention); an ownerReference with
 * blockOwnerDeletion needs update on the owner's finalizers; OpenShift checks routes/custom-host
 * (create) for a new Route with spec.host.
 */
function admissionNeeds(server: FakeApiServer): Set<Grant> {
  const needs = new Set<Grant>();
  for (const role of server.list('rbac.authorization.k8s.io/v1', 'Role', NS) as Obj[]) {
    for (const rule of role.rules ?? []) for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) needs.add(`${g}|${r}|${v}`);
  }
  const kinds: [string, string][] = [['v1', 'Secret'], ['v1', 'Service'], ['apps/v1', 'Deployment'], ['v1', 'PersistentVolumeClaim']];
  const owned = kinds.flatMap(([v, k]) => server.list(v, k, NS) as Obj[]);
  if (owned.some((o) => (o.metadata.ownerReferences ?? []).some((r: Obj) => r.kind === 'QuayRegistry' && r.blockOwnerDeletion))) needs.add('quay.redhat.com|quayregistries/finalizers|update');
  if ((server.list('route.openshift.io/v1', 'Route', NS) as Obj[]).some((r) => r.spec?.host)) needs.add('route.openshift.io|routes/custom-host|create');
  return needs;
}

interface Run {
  server: FakeApiServer;
  controller?: Controller;
  stopSim: () => void;
}

async function startRun(options: { watchNamespace?: string } = {}): Promise<Run & { kubeConfig: ReturnType<typeof installOperator> }> {
  const server = await FakeApiServer.start();
  openshiftCluster(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  const stopSim = simulateCluster(server);
  const kubeConfig = installOperator(server, options);
  return { server, stopSim, kubeConfig };
}

const registryOf = (server: FakeApiServer, name = NAME) => server.get('quay.redhat.com/v1', 'QuayRegistry', NS, name) as Obj | undefined;
const condition = (server: FakeApiServer, type: string, name = NAME) => (registryOf(server, name)?.status?.conditions ?? []).find((c: Obj) => c.type === type);

async function settled(run: Run, check: () => void = () => undefined): Promise<void> {
  await eventually(() => {
    expect([condition(run.server, 'Available')?.status, registryOf(run.server)?.status?.conditions]).toEqual(['True', expect.anything()]);
    check();
  }, 20_000);
  await run.controller!.whenIdle();
}

function setSpec(server: FakeApiServer, spec: Obj, name = NAME): void {
  const live = registryOf(server, name)!;
  server.update({ ...live, spec: { ...live.spec, ...spec } });
}

const at = (version: string) => ({ images: { ...DEFAULT_IMAGES, quay: `quay.io/projectquay/quay:${version}` }, quayVersion: version });
const names = (server: FakeApiServer, apiVersion: string, kind: string) => (server.list(apiVersion, kind, NS) as Obj[]).map((o) => o.metadata.name);

describe('all namespaces (the default install)', () => {
  let uses: Use[] = [];
  let nonResource: string[] = [];
  let refused: string[] = [];
  const needs = new Set<Grant>();

  beforeAll(async () => {
    const run = await startRun();
    const { server, kubeConfig } = run;
    try {
      // Leader election, in the operator's namespace: take the lease, then hand it back.
      const client = new KubeClient(kubeConfig);
      let leading = false;
      const elector = new LeaderElector({ client, namespace: OPERATOR_NS, name: 'quay-operator-leader', identity: 'least-privilege', onStartedLeading: () => (leading = true) });
      elector.start();
      await eventually(() => expect(leading).toBe(true));
      await elector.stop({ release: true });

      run.controller = await startController(kubeConfig, at(OLD));
      const endpoint: ProbeServer = await startReconfigureServer({ client, logger: silentLogger, environment: () => run.controller!.discoveredEnvironment() }, 0, '127.0.0.1');
      try {
        // 1. A registry, every component managed (monitoring labels the namespace).
        server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', backup: { schedule: '@daily' } } });
        await settled(run, () => expect(names(server, 'batch/v1', 'CronJob')).toHaveLength(1));
        for (const g of admissionNeeds(server)) needs.add(g);
        // 2. The config editor commits a new config.yaml: the bundle Secret is replaced.
        const token = secretStrings(server.get('v1', 'Secret', NS, `${NAME}-quay-config-editor-credentials`) as Obj)['reconfigure-token'];
        const body = JSON.stringify({ quayRegistryName: NAME, namespace: NS, 'config.yaml': { FEATURE_USER_INITIALIZE: true, FEATURE_PROXY_CACHE: true }, certs: {} });
        expect((await httpPost(endpoint.port, '/reconfigure', body, basicAuth('quayconfig', token))).status).toBe(200);
        await settled(run);
        // 3. Retain, then Delete again: claims and keys released and owned again.
        setSpec(server, { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } });
        await settled(run, () => expect(server.get('v1', 'PersistentVolumeClaim', NS, `${NAME}-quay-postgres-13`)!.metadata.ownerReferences ?? []).toEqual([]));
        setSpec(server, { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } });
        await settled(run, () => expect(server.get('v1', 'PersistentVolumeClaim', NS, `${NAME}-quay-postgres-13`)!.metadata.ownerReferences).toHaveLength(1));
        // 4. Exposure: an Ingress with a cert-manager Certificate, a Gateway's HTTPRoute, its TLSRoutes
        //    passing your certificate through, then the Route again: each step prunes the last one's.
        setSpec(server, { exposure: { type: 'Ingress', issuer: { name: 'letsencrypt', kind: 'ClusterIssuer' } } });
        await settled(run, () => expect(names(server, 'route.openshift.io/v1', 'Route')).toEqual([]));
        setSpec(server, { exposure: { type: 'Gateway', gateway: { name: 'public', namespace: 'gateways' } } });
        await settled(run, () => expect([names(server, 'networking.k8s.io/v1', 'Ingress'), names(server, 'gateway.networking.k8s.io/v1', 'HTTPRoute').length]).toEqual([[], 2]));
        server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'registry-tls', namespace: NS }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': tlsFixture('leaf-chain.crt'), 'tls.key': tlsFixture('leaf.key') } });
        setSpec(server, { tlsSecret: 'registry-tls' });
        await settled(run, () => expect([names(server, 'gateway.networking.k8s.io/v1', 'HTTPRoute'), names(server, 'gateway.networking.k8s.io/v1', 'TLSRoute').length > 0]).toEqual([[], true]));
        setSpec(server, { exposure: undefined, tlsSecret: undefined });
        await settled(run, () => expect([names(server, 'gateway.networking.k8s.io/v1', 'TLSRoute'), names(server, 'route.openshift.io/v1', 'Route').length]).toEqual([[], 3]));
        // 5. Components unmanaged and the NetworkPolicies off: their objects pruned.
        const off = ['clair', 'clairpostgres', 'mirror', 'monitoring', 'horizontalpodautoscaler', 'objectstorage'].map((kind) => ({ kind, managed: false }));
        const bundle = server.get('v1', 'Secret', NS, 'config-bundle-secret') as Obj;
        const config = `${secretStrings(bundle)['config.yaml']}\n${STORAGE}\n`;
        server.update({ ...bundle, data: { ...bundle.data, 'config.yaml': Buffer.from(config).toString('base64') } });
        setSpec(server, { components: off, networkPolicies: { enabled: false }, backup: undefined });
        await settled(run, () => expect([names(server, 'monitoring.coreos.com/v1', 'ServiceMonitor'), names(server, 'batch/v1', 'CronJob')]).toEqual([[], []]));
        // 6. A new Quay version: the previous migration Job is replaced.
        await run.controller.stop();
        run.controller = await startController(kubeConfig, at(NEW));
        await settled(run, () => expect(registryOf(server)!.status?.currentVersion).toBe(NEW));
        // 7. The registry deleted: its finalizer removed.
        server.delete('quay.redhat.com/v1', 'QuayRegistry', NS, NAME);
        await eventually(() => expect(registryOf(server)).toBeUndefined(), 20_000);
      } finally {
        await endpoint.close();
      }
    } finally {
      run.stopSim();
      await run.controller?.stop();
      ({ uses, nonResource } = operatorRequests(server));
      refused = [...refusedOperatorWrites(server, [409, 404]), ...leaksAfter(server, run.controller)];
      await server.stop();
    }
  });

  test('the operator\'s writes were all accepted, and it read nothing outside the resource tree but discovery', () => {
    expect(refused).toEqual([]);
    expect([...new Set(nonResource)].filter((p) => !DISCOVERY.test(p))).toEqual([]);
  });

  test('everything it called is granted where it called it', () => {
    expect(ungranted(uses, grantsByScope(installManifests())).map((u) => u.request)).toEqual([]);
  });

  test('everything granted is called, checked by the API server on a write, or listed with its reason', () => {
    const scopes = grantsByScope(installManifests());
    const all = new Set([...scopes.cluster, ...[...scopes.namespaced.values()].flatMap((s) => [...s])]);
    const used = new Set([...uses.map((u) => u.grant), ...needs]);
    expect([...all].filter((g) => !used.has(g) && !(g in UNEXERCISED)).sort()).toEqual([]);
    // The list cannot rot: each entry is granted and still unused.
    for (const g of Object.keys(UNEXERCISED)) expect({ g, granted: all.has(g), used: used.has(g) }).toEqual({ g, granted: true, used: false });
  });

  test('the writes that need more than their verb were made (so the derivation above is not empty)', () => {
    expect([...needs].sort()).toEqual(
      expect.arrayContaining(['|endpoints|list', '|pods|watch', '|services|get', 'monitoring.coreos.com|prometheusrules|get', 'quay.redhat.com|quayregistries/finalizers|update', 'route.openshift.io|routes/custom-host|create']),
    );
  });
});

describe('one watched namespace (manifests --watch-namespace)', () => {
  let uses: Use[] = [];
  let refused: string[] = [];
  const install = installManifests({ watchNamespace: NS });

  beforeAll(async () => {
    const run = await startRun({ watchNamespace: NS });
    const { server, kubeConfig } = run;
    try {
      run.controller = await startController(kubeConfig, { ...at(OLD), namespace: NS, appsDomain: 'apps.example.com' });
      server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', backup: { schedule: '@daily' } } });
      await settled(run);
      setSpec(server, { components: [{ kind: 'mirror', managed: false }], networkPolicies: { enabled: false } });
      await settled(run, () => expect(names(server, 'networking.k8s.io/v1', 'NetworkPolicy')).toEqual([]));
      server.delete('quay.redhat.com/v1', 'QuayRegistry', NS, NAME);
      await eventually(() => expect(registryOf(server)).toBeUndefined(), 20_000);
    } finally {
      run.stopSim();
      await run.controller?.stop();
      ({ uses } = operatorRequests(server));
      refused = [...refusedOperatorWrites(server, [409, 404]), ...leaksAfter(server, run.controller)];
      await server.stop();
    }
  });

  test('the install holds no ClusterRole: a Role in the watched namespace, the leader-election Role in its own', () => {
    expect(install.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
    expect(install.filter((o) => o.kind === 'Role').map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([`${NS}/quay-operator`, `${OPERATOR_NS}/quay-operator-leader-election`]);
    // The same rules as the all-namespaces ClusterRole, less the cluster-scoped ones.
    const all = grantsByScope(installManifests()).cluster;
    const one = grantsByScope(install).namespaced.get(NS)!;
    expect([...all].filter((g) => !one.has(g)).sort()).toEqual(['config.openshift.io|ingresses|get', '|namespaces|get', '|namespaces|patch']);
  });

  test('it asked for nothing cluster-wide but the apps domain, which it was refused and did without', () => {
    expect(refused).toEqual([]);
    const clusterWide = uses.filter((u) => u.namespace === undefined);
    expect([...new Set(clusterWide.map((u) => u.grant))]).toEqual(Object.keys(TOLERATED_REFUSALS));
    expect(clusterWide.every((u) => u.request.endsWith('→ 403'))).toBe(true);
    // Everything else in the watched namespace, and granted there.
    expect([...new Set(uses.filter((u) => u.namespace !== undefined).map((u) => u.namespace))]).toEqual([NS]);
    expect(ungranted(uses, grantsByScope(install)).filter((u) => u.namespace !== undefined)).toEqual([]);
  });
});
