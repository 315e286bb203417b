// A registry the upstream Go operator created, taken over in place (fixtures as reference §3 shows
// upstream's objects): its quay-app selects on `app: quay` too (immutable), so the Deployment is
// deleted orphaning its ReplicaSet (the pods keep serving) and created again with ours; its objects
// were applied by upstream under the same field manager, `quay-operator`, so what upstream set and
// we do not is dropped by our apply, not left behind; its keys Secret has the hashed name of
// operators before 3.6.4, and its keys are kept (the database password, DATABASE_SECRET_KEY); its
// spec.components as upstream wrote them back (all 11) are accepted as they are.
import { Controller } from '../../lib/controller/controller';
import { secretStrings } from '../../lib/secrets';
import { eventually, openshiftCluster, simulateCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const VERSION = 'v3.99.0';
const UPSTREAM_KEYS = {
  DATABASE_SECRET_KEY: 'upstream-database-secret-key',
  SECRET_KEY: 'upstream-secret-key',
  DB_URI: `postgresql://${NAME}-quay-database:upstreampassword@${NAME}-quay-database:5432/${NAME}-quay-database`,
  DB_ROOT_PW: 'upstreamrootpw',
  CONFIG_EDITOR_PW: 'upstreameditorpw',
  SECURITY_SCANNER_V4_PSK: Buffer.from('upstream-psk-32-characters-long!!').toString('base64'),
};

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller;

afterEach(async () => {
  const refused = await shutDown(server, controller, [409, 404]);
  expect(refused).toEqual([]);
});

test('an upstream 3.x registry: quay-app replaced without stopping its pods, leftovers dropped, keys kept, spec untouched', async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  // Upstream writes every component back into the spec.
  const components = ['quay', 'postgres', 'clair', 'redis', 'horizontalpodautoscaler', 'objectstorage', 'route', 'mirror', 'monitoring', 'tls', 'clairpostgres'].map((kind) => ({ kind, managed: true }));
  const registry = server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', components } });
  server.updateStatus('quay.redhat.com/v1', 'QuayRegistry', NS, NAME, { currentVersion: VERSION });
  const owner = [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: NAME, uid: registry.metadata.uid, controller: true, blockOwnerDeletion: true }];
  const upstream = { fieldManager: 'quay-operator', force: true };
  const annotations = { 'quay-registry-hostname': `${NAME}-quay-${NS}.apps.example.com`, 'quay-buildmanager-hostname': '', 'quay-operator-service-endpoint': 'http://quay-operator.openshift-operators.svc.cluster.local:7071' };

  // The keys Secret as operators before 3.6.4 named it.
  const legacyKeys = `${NAME}-quay-registry-managed-secret-keys-5h7k9g8b2m`;
  server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: legacyKeys, namespace: NS, labels: { 'quay-operator/quayregistry': NAME }, ownerReferences: owner }, stringData: UPSTREAM_KEYS });

  // quay-app: upstream's selector has app: quay (reference §3: commonLabels and the base's app label).
  const quayLabels = { app: 'quay', 'quay-component': 'quay-app', 'quay-operator/quayregistry': NAME };
  const quayApp = server.apply(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${NAME}-quay-app`, namespace: NS, labels: { ...quayLabels, 'quay-component': 'quay' }, annotations, ownerReferences: owner },
      spec: {
        replicas: 2,
        selector: { matchLabels: quayLabels },
        template: { metadata: { labels: quayLabels }, spec: { containers: [{ name: 'quay-app', image: 'quay.io/projectquay/quay:v3.99.0', args: ['registry-nomigrate'] }] } },
      },
    },
    upstream,
  );
  // Its ReplicaSet, whose pods serve the registry.
  const rsName = `${NAME}-quay-app-7d9f8c6b5`;
  server.create({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: rsName, namespace: NS, labels: { ...quayLabels, 'pod-template-hash': '7d9f8c6b5' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: `${NAME}-quay-app`, uid: quayApp.metadata.uid, controller: true, blockOwnerDeletion: true }] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { ...quayLabels, 'pod-template-hash': '7d9f8c6b5' } },
      template: { metadata: { labels: { ...quayLabels, 'pod-template-hash': '7d9f8c6b5' } }, spec: { containers: [{ name: 'quay-app', image: 'quay.io/projectquay/quay:v3.99.0' }] } },
    },
  });
  // quay-redis: the same selector as ours; upstream's annotations and an env var we do not set.
  const redisLabels = { 'quay-component': 'quay-redis', 'quay-operator/quayregistry': NAME };
  server.apply(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${NAME}-quay-redis`, namespace: NS, labels: redisLabels, annotations, ownerReferences: owner },
      spec: {
        replicas: 1,
        selector: { matchLabels: redisLabels },
        template: { metadata: { labels: redisLabels }, spec: { containers: [{ name: 'redis-master', image: 'quay.io/sclorg/redis-7-c9s:latest', env: [{ name: 'UPSTREAM_ONLY', value: 'x' }] }] } },
      },
    },
    upstream,
  );

  controller = await startController(installOperator(server), { quayVersion: VERSION });
  // The cluster's own controllers: volumes bind, pods become ready, the bucket is provisioned.
  const stopCluster = simulateCluster(server);

  // quay-app comes back with our selector; its ReplicaSet was orphaned, not deleted (the pods kept serving).
  await eventually(() => expect(server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-app`)?.spec.selector.matchLabels).toEqual({ 'quay-component': 'quay-app', 'quay-operator/quayregistry': NAME }));
  const rs = server.get('apps/v1', 'ReplicaSet', NS, rsName) as Obj;
  expect(rs).toBeDefined();
  expect(rs.metadata.ownerReferences ?? []).toEqual([]);
  // Its labels still match the new selector: the Deployment controller adopts it and rolls it.
  expect(rs.metadata.labels).toMatchObject({ 'quay-component': 'quay-app', 'quay-operator/quayregistry': NAME });

  // The same field manager: what upstream set and we do not is gone.
  await eventually(() => expect(server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-redis`)!.metadata.annotations ?? {}).not.toHaveProperty('quay-registry-hostname'));
  const redis = server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-redis`) as Obj;
  expect(JSON.stringify(redis.spec.template.spec.containers[0].env ?? [])).not.toContain('UPSTREAM_ONLY');

  // The keys: upstream's, under today's name; the hashed Secret is kept (never pruned).
  await eventually(() => expect(server.get('v1', 'Secret', NS, `${NAME}-quay-registry-managed-secret-keys`)).toBeDefined());
  expect(secretStrings(server.get('v1', 'Secret', NS, `${NAME}-quay-registry-managed-secret-keys`) as Obj)).toMatchObject(UPSTREAM_KEYS);
  await controller.whenIdle();
  expect(server.get('v1', 'Secret', NS, legacyKeys)).toBeDefined();

  // The spec as upstream left it: read, never rewritten; no condition blocks the rollout.
  expect(server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME)!.spec.components).toEqual(components);
  await eventually(() => expect(((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj).status.conditions as Obj[]).find((c) => c.type === 'RolloutBlocked')).toMatchObject({ status: 'False' }));
  stopCluster();
});
