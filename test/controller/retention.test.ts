// Volumes that outlive a mistake: by default (the seeds) deleting a registry garbage-collects its
// database claims with it; with persistentVolumeClaimRetentionPolicy.whenDeleted: Retain, the claims
// and the managed keys Secret stay (no ownerReference, reported in an Event), and the registry
// created again with the same name runs on them with the same keys.
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { secretStrings } from '../../lib/secrets';
import { eventually, openshiftCluster, simulateCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { createBundleSecret, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const CLAIMS = [`${NAME}-clair-postgres-15`, `${NAME}-quay-postgres-13`];
const KEYS = `${NAME}-quay-registry-managed-secret-keys`;

jest.setTimeout(30_000);

let server: FakeApiServer;
let controller: Controller;
let stopSim: () => void;

const registry = () => server.get('quay.redhat.com/v1', 'QuayRegistry', NS, NAME) as Obj | undefined;
const available = () => (registry()?.status?.conditions ?? []).find((c: Obj) => c.type === 'Available')?.status;
const claims = () => (server.list('v1', 'PersistentVolumeClaim', NS) as Obj[]).map((c) => c.metadata.name).sort();
const keys = () => server.get('v1', 'Secret', NS, KEYS) as Obj | undefined;
const owners = (o: Obj | undefined) => (o?.metadata.ownerReferences ?? []).map((r: Obj) => r.kind);
const events = (reason: string) => (server.list('v1', 'Event', NS) as Obj[]).filter((e) => e.reason === reason);

async function create(spec: Obj = {}): Promise<void> {
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', ...spec } });
  await eventually(() => expect(available()).toBe('True'));
}

async function deleteRegistry(): Promise<void> {
  server.delete('quay.redhat.com/v1', 'QuayRegistry', NS, NAME);
  await eventually(() => {
    expect(registry()).toBeUndefined();
    expect(server.list('apps/v1', 'Deployment', NS)).toEqual([]);
  });
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
  stopSim = simulateCluster(server);
  controller = await startController(installOperator(server), { quayVersion: DEFAULT_QUAY_VERSION });
});

afterEach(async () => {
  stopSim();
  expect(await shutDown(server, controller, [409, 404])).toEqual([]);
});

test('by default (Delete, the seeds) deleting the registry takes its database claims and keys with it', async () => {
  await create();
  expect(claims()).toEqual(CLAIMS);
  expect(owners(keys())).toEqual(['QuayRegistry']);
  await deleteRegistry();
  expect(claims()).toEqual([]);
  expect(keys()).toBeUndefined();
});

test('Retain: claims and keys carry no ownerReference, survive the delete, and the registry created again uses them', async () => {
  await create({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } });
  for (const c of CLAIMS) expect(owners(server.get('v1', 'PersistentVolumeClaim', NS, c))).toEqual([]);
  expect(owners(keys())).toEqual([]);
  const claimUids = CLAIMS.map((c) => (server.get('v1', 'PersistentVolumeClaim', NS, c) as Obj).metadata.uid);
  const databaseKey = secretStrings(keys()!).DATABASE_SECRET_KEY;
  await deleteRegistry();
  expect(claims()).toEqual(CLAIMS);
  expect(secretStrings(keys()!).DATABASE_SECRET_KEY).toBe(databaseKey);
  expect(server.get('v1', 'Secret', NS, `${NAME}-quay-config-editor-credentials`)).toBeUndefined(); // the rest went

  await create({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } });
  expect(CLAIMS.map((c) => (server.get('v1', 'PersistentVolumeClaim', NS, c) as Obj).metadata.uid)).toEqual(claimUids);
  expect(secretStrings(keys()!).DATABASE_SECRET_KEY).toBe(databaseKey);
});

test('switching a live registry to Retain releases them with a DataRetained Event; back to Delete owns them again', async () => {
  await create();
  const live = registry()!;
  server.update({ ...live, spec: { ...live.spec, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } } });
  await eventually(() => {
    expect(owners(keys())).toEqual([]);
    for (const c of CLAIMS) expect(owners(server.get('v1', 'PersistentVolumeClaim', NS, c))).toEqual([]);
    expect(events('DataRetained').map((e) => e.message)).toEqual([
      `Secret ${KEYS}, PersistentVolumeClaim ${CLAIMS[0]}, PersistentVolumeClaim ${CLAIMS[1]} no longer owned by the registry: kept when it is deleted (persistentVolumeClaimRetentionPolicy.whenDeleted: Retain)`,
    ]);
  });
  const again = registry()!;
  server.update({ ...again, spec: { ...again.spec, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } } });
  await eventually(() => {
    expect(owners(keys())).toEqual(['QuayRegistry']);
    for (const c of CLAIMS) expect(owners(server.get('v1', 'PersistentVolumeClaim', NS, c))).toEqual(['QuayRegistry']);
  });
  expect(events('DataRetained')).toHaveLength(1);
});

test('a bad policy is refused by the API server (the CRD\'s enum), and nothing changes', async () => {
  await create();
  const live = registry()!;
  expect(() => server.update({ ...live, spec: { ...live.spec, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' } } })).toThrow(
    'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Delete", "Retain"',
  );
  expect(claims()).toEqual(CLAIMS);
  expect(owners(keys())).toEqual(['QuayRegistry']);
});
