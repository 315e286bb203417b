// The geo-replication migration gate against the fake API server: the three sites of
// examples/geo-replication (one operator here, one namespace per site, standing for three clusters)
// share one database, which this test plays: the migration Job sets its version; a schema check Job
// succeeds only once the database is at the check's version, and fails when it is at a newer one.
// Exactly one site migrates; the others wait (AwaitingMigration), then roll out; on an upgrade the
// waiting sites serve the previous version read-only meanwhile.
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../../lib/controller/controller';
import { DEFAULT_IMAGES } from '../../lib/images';
import { compareQuayVersions, parseQuayVersion } from '../../lib/upgrade/versions';
import { admitRoutes, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { kustomizeBuild } from '../support/kustomize';
import { OPERATOR_USER, shutDown, startController } from '../support/controller-harness';

type Obj = Record<string, any>;
const NAME = 'example-registry';
const SITES = ['us', 'eu', 'ap'] as const;
type Site = (typeof SITES)[number];
const ns = (site: Site) => `quay-${site}`;
const OLD = 'v3.98.4';
const NEW = 'v3.99.0';
const VERSION_ANNOTATION = 'quay-operator/quay-version';
const MIGRATION = `${NAME}-quay-app-upgrade`;
const CHECK = `${NAME}-quay-schema-check`;

jest.setTimeout(60_000);

let server: FakeApiServer;
let kubeConfig: KubeConfig;
let controller: Controller | undefined;
let stopSim: (() => void) | undefined;
/** The shared database: the Quay version it is migrated to. */
let database: string | undefined;
/** Migration Jobs run only when the test says so, to look at the sites waiting meanwhile. */
let migrationsMayRun = false;

const get = (site: Site, apiVersion: string, kind: string, name: string) => server.get(apiVersion, kind, ns(site), name) as Obj | undefined;
const registry = (site: Site) => get(site, 'quay.redhat.com/v1', 'QuayRegistry', NAME)!;
const cond = (site: Site, type: string) => ((registry(site).status?.conditions ?? []) as Obj[]).find((c) => c.type === type);
const quayApp = (site: Site) => get(site, 'apps/v1', 'Deployment', `${NAME}-quay-app`);
const quayContainer = (site: Site) => quayApp(site)!.spec.template.spec.containers.find((c: Obj) => c.name === 'quay-app');
const overrideEnv = (site: Site) => (quayContainer(site).env ?? []).find((e: Obj) => e.name === 'QUAY_OVERRIDE_CONFIG')?.value;

/** Every operator write that created or changed a migration Job, by namespace. */
const migrationWrites = () =>
  server
    .writes()
    .filter((w) => w.user === OPERATOR_USER && w.method !== 'DELETE' && w.path.includes('/jobs/') && w.path.endsWith(`/${MIGRATION}`))
    .map((w) => w.path.split('/namespaces/')[1].split('/')[0]);

/** Whether Quay version `a` is newer than `b`, as versions (v3.100.0 is newer than v3.99.0), not as text. */
const newer = (a: string, b: string) => compareQuayVersions(parseQuayVersion(a)!, parseQuayVersion(b)!) > 0;

/** The other clusters' controllers, and the shared database. */
function simulate(): () => void {
  const timer = setInterval(() => {
    for (const site of SITES) {
      try {
        settleDeployments(server, ns(site));
        admitRoutes(server, ns(site));
        for (const job of server.list('batch/v1', 'Job', ns(site)) as Obj[]) {
          if (job.status?.succeeded || job.status?.failed) continue;
          const version = job.metadata.annotations?.[VERSION_ANNOTATION];
          if (job.metadata.name === MIGRATION && migrationsMayRun) {
            database = version;
            completeJob(server, ns(site), MIGRATION);
          } else if (job.metadata.name === CHECK) {
            // The check's outcome is the database's: at its version, newer (a version it does not know), or behind.
            if (database === version) completeJob(server, ns(site), CHECK);
            else if (database !== undefined && newer(database, version)) completeJob(server, ns(site), CHECK, 'failed');
            else if (!job.status?.active) completeJob(server, ns(site), CHECK, 'active');
          }
        }
      } catch {
        // deleted meanwhile: next tick
      }
    }
  }, 40);
  return () => clearInterval(timer);
}

async function runOperator(version: string): Promise<void> {
  await controller?.stop();
  controller = await startController(kubeConfig, { images: { ...DEFAULT_IMAGES, quay: `quay.io/projectquay/quay:${version}` }, quayVersion: version });
}

/** Each site's QuayRegistry and config bundle, as its overlay builds them, in the site's namespace. */
function createSites(sites: readonly Site[] = SITES): void {
  for (const site of sites) {
    for (const o of kustomizeBuild(path.resolve(__dirname, '../../examples/geo-replication/sites', site))) {
      const metadata = { ...o.metadata, namespace: ns(site) };
      if (o.kind === 'Secret') {
        server.create({ apiVersion: 'v1', kind: 'Secret', metadata, data: Object.fromEntries(Object.entries(o.stringData as Record<string, string>).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) });
      } else server.create({ ...o, metadata });
    }
  }
}

beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
  kubeConfig = installOperator(server);
  database = undefined;
  migrationsMayRun = false;
  stopSim = simulate();
});

afterEach(async () => {
  stopSim?.();
  const refused = await shutDown(server, controller, [409, 404]);
  controller = undefined;
  expect(refused).toEqual([]);
});

test('a new three-site install: only us migrates; eu and ap wait at 0 with AwaitingMigration, then start once the shared database is migrated', async () => {
  await runOperator(NEW);
  createSites();
  await eventually(() => {
    expect(get('us', 'batch/v1', 'Job', MIGRATION)).toBeDefined();
    for (const site of ['eu', 'ap'] as const) {
      expect(get(site, 'batch/v1', 'Job', CHECK)?.status?.active).toBe(1);
      expect(cond(site, 'ComponentsCreated')).toMatchObject({ status: 'False', reason: 'AwaitingMigration' });
    }
  });
  for (const site of ['eu', 'ap'] as const) {
    expect(cond(site, 'ComponentsCreated')!.message).toBe(
      `spec.migrations.run is false: waiting for another site to migrate the shared database to Quay ${NEW}; Job ${CHECK} compares its alembic revision with this Quay's`,
    );
    expect(cond(site, 'Available')).toMatchObject({ status: 'False', reason: 'AwaitingMigration' });
    expect(cond(site, 'ComponentQuayReady')).toMatchObject({ status: 'False', reason: 'AwaitingMigration' });
    expect(get(site, 'batch/v1', 'Job', MIGRATION)).toBeUndefined();
    // A new site serves nothing before the schema is this version's.
    expect(quayApp(site)!.spec.replicas).toBe(0);
    expect(registry(site).status.currentVersion).toBeUndefined();
  }
  expect(cond('us', 'ComponentsCreated')).toMatchObject({ status: 'False', reason: 'MigrationsInProgress' });
  await controller!.whenIdle();
  expect(registry('eu').status.currentVersion).toBeUndefined();

  migrationsMayRun = true;
  await eventually(() => {
    for (const site of SITES) {
      expect(registry(site).status?.currentVersion).toBe(NEW);
      expect(cond(site, 'Available')).toMatchObject({ status: 'True' });
    }
  }, 20_000);
  for (const site of SITES) {
    expect(registry(site).status.registryEndpoint).toBe('https://georep.example.com');
    expect(get(site, 'route.openshift.io/v1', 'Route', `${NAME}-quay`)!.spec.host).toBe('georep.example.com');
  }
  // Exactly one site migrated, from the first reconcile to the last.
  expect([...new Set(migrationWrites())]).toEqual([ns('us')]);
});

test('an upgrade: us migrates, eu and ap serve the previous version read-only until the shared database is at the new one, then roll', async () => {
  await runOperator(OLD);
  migrationsMayRun = true;
  createSites();
  await eventually(() => {
    for (const site of SITES) expect(cond(site, 'Available')).toMatchObject({ status: 'True' });
  }, 20_000);
  migrationsMayRun = false;
  await runOperator(NEW);

  await eventually(() => {
    expect(get('us', 'batch/v1', 'Job', MIGRATION)?.metadata.annotations[VERSION_ANNOTATION]).toBe(NEW);
    for (const site of ['eu', 'ap'] as const) {
      // The check of the old version replaced by one of the new.
      expect(get(site, 'batch/v1', 'Job', CHECK)?.metadata.annotations[VERSION_ANNOTATION]).toBe(NEW);
      expect(overrideEnv(site)).toBe('{"REGISTRY_STATE":"readonly"}');
      expect(cond(site, 'ComponentsCreated')).toMatchObject({ status: 'False', reason: 'AwaitingMigration' });
    }
  });
  for (const site of ['eu', 'ap'] as const) {
    expect(quayContainer(site).image).toBe(`quay.io/projectquay/quay:${OLD}`);
    expect(quayApp(site)!.spec.replicas).not.toBe(0);
    expect(registry(site).status.currentVersion).toBe(OLD);
  }

  migrationsMayRun = true;
  await eventually(() => {
    for (const site of SITES) {
      expect(registry(site).status?.currentVersion).toBe(NEW);
      expect(quayContainer(site).image).toBe(`quay.io/projectquay/quay:${NEW}`);
      expect(overrideEnv(site)).toBeUndefined();
    }
  }, 20_000);
  expect([...new Set(migrationWrites())]).toEqual([ns('us')]);
});

test("a site whose shared database a newer Quay migrated: MigrationsFailed, saying where to look; the retry annotation checks again", async () => {
  // v3.100.0: newer than v3.99.0, though it sorts before it as text.
  database = 'v3.100.0';
  await runOperator(NEW);
  createSites(['eu']);
  await eventually(() => expect(cond('eu', 'ComponentsCreated')).toMatchObject({ status: 'False', reason: 'MigrationsFailed' }));
  expect(cond('eu', 'ComponentsCreated')!.message).toBe(
    `Job has reached the specified backoff limit; the schema check of the shared database failed (spec.migrations.run is false): see \`kubectl logs -n quay-eu job/${CHECK}\` (e.g. a site with a newer Quay migrated it); once the cause is fixed, retry with \`kubectl annotate quayregistry -n quay-eu ${NAME} --overwrite quay-operator/retry-migration=<a new value>\``,
  );
  expect(quayApp('eu')!.spec.replicas).toBe(0);
  const failed = get('eu', 'batch/v1', 'Job', CHECK)!.metadata.uid;

  // This site's operator is upgraded to the database's version: the retry checks again and succeeds.
  database = NEW;
  server.update({ ...registry('eu'), metadata: { ...registry('eu').metadata, annotations: { 'quay-operator/retry-migration': '1' } } });
  await eventually(() => expect(get('eu', 'batch/v1', 'Job', CHECK)?.metadata.uid).not.toBe(failed));
  await eventually(() => expect(registry('eu').status?.currentVersion).toBe(NEW));
  expect(migrationWrites()).toEqual([]);
});
