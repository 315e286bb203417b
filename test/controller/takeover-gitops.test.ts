// A registry the operator deployed before the GitOps change (credentials inlined in rendered
// Secrets: test/fixtures/pre-gitops/rendered.yaml, made by commit 8b1861e) reconciled by this one:
// the databases are not restarted (their pod templates stay byte for byte), Quay rolls with no pod
// down, the migration is not run again, the keys are kept, the old credential copies are pruned
// once the rollout is done, and then nothing the operator applied holds a credential.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import { createLogger } from '../../lib/controller/runtime/logger';
import { leaksOf } from '../support/controller-harness';
import { Registry } from '../../lib/controller/runtime/metrics';
import { DEFAULT_IMAGES } from '../../lib/images';
import { secretStrings } from '../../lib/secrets';
import { admitRoutes, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { credentialLeaks } from '../support/credential-scan';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const VERSION = 'v3.99.0-dev';
const FIXTURES = path.resolve(__dirname, '../fixtures/pre-gitops');
const ROOT = path.resolve(__dirname, '../..');

const load = (file: string) => (yaml.loadAll(fs.readFileSync(file, 'utf8')) as Obj[]).filter(Boolean);

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller | undefined;

let said: { logs: string[]; metrics: Registry } = { logs: [], metrics: new Registry() };

afterEach(async () => {
  await controller?.stop();
  const leaks = leaksOf(server, said);
  said = { logs: [], metrics: new Registry() };
  await server.stop();
  expect(leaks).toEqual([]);
});

test('a registry rendered the old way, reconciled the new way: no database restart, no Quay outage, no credential left in what the operator renders', async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  const [registryDoc, bundle] = load(path.join(ROOT, 'examples/quayregistry.yaml'));
  const inputs = load(path.join(FIXTURES, 'inputs.yaml'));
  for (const o of [bundle, ...inputs]) server.create(o);
  const registry = server.create(registryDoc);
  const owner = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: NAME, uid: registry.metadata.uid, controller: true, blockOwnerDeletion: true };
  // What the old operator left: its objects, owned, applied by its field manager, running and migrated.
  const old = load(path.join(FIXTURES, 'rendered.yaml')).filter((o) => o.metadata.namespace === NS);
  for (const o of old) {
    const owned = { ...o, metadata: { ...o.metadata, ownerReferences: [owner] } };
    if (o.kind === 'Secret' && o.metadata.name.endsWith('managed-secret-keys')) continue; // from inputs.yaml, as in the cluster
    server.apply(owned, { fieldManager: 'quay-operator', force: true });
  }
  server.updateStatus('objectbucket.io/v1alpha1', 'ObjectBucketClaim', NS, `${NAME}-quay-datastore`, { phase: 'Bound' });
  server.updateStatus('batch/v1', 'Job', NS, `${NAME}-quay-app-upgrade`, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
  server.updateStatus('quay.redhat.com/v1', 'QuayRegistry', NS, NAME, { currentVersion: VERSION });
  settleDeployments(server, NS);
  admitRoutes(server, NS);

  const template = (name: string) => JSON.stringify((server.get('apps/v1', 'Deployment', NS, `${NAME}-${name}`) as Obj).spec.template);
  const before = { db: template('quay-database'), clairDb: template('clair-postgres'), quay: template('quay-app') };
  const keysBefore = secretStrings(server.get('v1', 'Secret', NS, `${NAME}-quay-registry-managed-secret-keys`) as Obj);
  const replicasBefore = (server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-app`) as Obj).spec.replicas;
  expect(replicasBefore).toBeGreaterThan(0);
  const jobUid = (server.get('batch/v1', 'Job', NS, `${NAME}-quay-app-upgrade`) as Obj).metadata.uid;
  server.clearRequests();

  controller = new Controller({
    client: new KubeClient(installOperator(server)),
    environment: { images: DEFAULT_IMAGES, quayVersion: VERSION },
    logger: createLogger({ level: 'debug', stream: { write: (line: string) => said.logs.push(line) } }),
    metrics: said.metrics,
    discoveryIntervalMs: 3_600_000,
  });
  await controller.start();

  // Quay rolls to the assembled config; the operator's old Secrets go once the rollout is done.
  await eventually(() => expect(template('quay-app')).not.toBe(before.quay));
  const quayApp = server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-app`) as Obj;
  expect(quayApp.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  expect(quayApp.spec.template.spec.initContainers.map((c: Obj) => c.name)).toEqual(['quay-config-init']);
  await eventually(() => {
    settleDeployments(server, NS);
    admitRoutes(server, NS);
    const cond = ((server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj).status?.conditions ?? []).find((c: Obj) => c.type === 'Available');
    expect(cond).toMatchObject({ status: 'True' });
    const secrets = (server.list('v1', 'Secret', NS) as Obj[]).map((s) => s.metadata.name);
    expect(secrets.filter((n) => /quay-config-secret-|clair-config-secret-|extra-ca-certs-|editor-credentials-[0-9a-f]{10}$/.test(n))).toEqual([]);
  }, 20_000);
  await controller.whenIdle();

  // The databases kept their pod templates (the same credentials digest): never restarted.
  expect(template('quay-database')).toBe(before.db);
  expect(template('clair-postgres')).toBe(before.clairDb);
  // quay-app kept its replicas (the HPA's) through the rollout: not held at 0 for a migration.
  expect((server.get('apps/v1', 'Deployment', NS, `${NAME}-quay-app`) as Obj).spec.replicas).toBe(replicasBefore);
  // The migration Job of this version is not run again; the keys are the cluster's.
  expect((server.get('batch/v1', 'Job', NS, `${NAME}-quay-app-upgrade`) as Obj).metadata.uid).toBe(jobUid);
  expect(secretStrings(server.get('v1', 'Secret', NS, `${NAME}-quay-registry-managed-secret-keys`) as Obj)).toEqual(keysBefore);

  // Nothing the operator renders holds a credential; only the credential Secrets do.
  const credentials = new Set([
    `${NAME}-quay-registry-managed-secret-keys`,
    `${NAME}-postgres-config-secret`,
    `${NAME}-clairpostgres-config-secret`,
    `${NAME}-clair-auth`,
    `${NAME}-quay-config-editor-credentials`,
    // The seeds' airgap steps read Clair's whole config, login included, from it.
    `${NAME}-clair-config-secret`,
  ]);
  const forbidden = new Map<string, string>();
  for (const [k, v] of Object.entries(keysBefore)) if (!['CLAIR_DB_USER', 'CLAIR_DB_NAME'].includes(k)) forbidden.set(v, `generated key ${k}`);
  for (const [k, v] of Object.entries(secretStrings(inputs[1]))) forbidden.set(v, `bucket ${k}`);
  const applied = ['Secret', 'ConfigMap', 'Deployment', 'Service'].flatMap((kind) => server.list(kind === 'Deployment' ? 'apps/v1' : 'v1', kind, NS) as Obj[]);
  const operatorsOwn = applied.filter((o) => (o.metadata.ownerReferences ?? []).some((r: Obj) => r.uid === registry.metadata.uid) && !credentials.has(o.metadata.name));
  expect(operatorsOwn.length).toBeGreaterThan(15);
  expect(credentialLeaks([...operatorsOwn, ...(server.list('batch/v1', 'Job', NS) as Obj[])], forbidden)).toEqual([]);
});
