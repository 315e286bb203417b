// The planner during a managed database's PostgreSQL major upgrade (lib/controller/postgres-upgrade.ts),
// phase by phase: the database scaled down as it is (never re-rendered on the new major before its
// data is copied), what uses it held at 0 with its migration Job and HPAs left out, the upgrade's
// objects applied by phase and never pruned while it runs, the old volume not reported as left over.
import { Applier } from '../../lib/controller/applier';
import { oldDatabaseName, databaseUpgradeJobName } from '../../constructs/postgres-upgrade';
import { plan } from '../../lib/controller/plan';
import type { DatabaseUpgrade } from '../../lib/controller/postgres-upgrade';
import { KubeObject, renderPostgresUpgrade } from '../../lib/synth';
import { UID, deploymentNamed, find, keysOf, liveDeployment, n, objectBucketClaim, observe, owned, pvc } from '../support/observed';
import { CLAIR, HPA_CLAIR, HPA_MIRROR, HPA_QUAY, JOB, MIRROR, QUAY_APP, applied, bundled, renderOwned } from '../support/plan';

type Obj = Record<string, any>;
const model = bundled();
const rendered = renderOwned(model);
const OLD_IMAGE = 'centos/postgresql-10-centos7';
const DB = `Deployment/${n('quay-database')}`;
const CLAIR_DB = `Deployment/${n('clair-postgres')}`;

/** The live database Deployment of `workload`, still on PostgreSQL 10 (its data on `claim`), with `replicas`. */
function onOldMajor(workload: string, replicas: number, claim: string): KubeObject {
  const d = liveDeployment(find(rendered, 'Deployment', n(workload)), { replicas, available: replicas, current: replicas }) as Obj;
  const spec = d.spec.template.spec;
  spec.containers = spec.containers.map((c: Obj, i: number) => (i === 0 ? { ...c, image: OLD_IMAGE } : c));
  spec.volumes = [{ name: 'postgres-data', persistentVolumeClaim: { claimName: claim } }];
  return d as KubeObject;
}

/** The upgrade's objects, as the reconciler renders them (owned, stamped). */
const renderUpgrade = (u: DatabaseUpgrade) => renderPostgresUpgrade(model, u.kind, u.oldClaim, u.oldImage).map((o) => Applier.stamp(owned(o)));

/** Every other dependency up: redis, the bucket, and the database not being upgraded. */
const others = (but: string) => [
  ...['quay-database', 'clair-postgres', 'quay-redis'].filter((w) => w !== but).map((w) => deploymentNamed(n(w), { replicas: 1 })),
  objectBucketClaim('Bound'),
];

const planWith = (...objs: KubeObject[]) => plan(model, rendered, { ...observe(objs), pods: [] }, model.environment.quayVersion, UID, renderUpgrade);

describe('Quay\'s database on PostgreSQL 10', () => {
  const OLD_CLAIM = n('quay-database');

  /** Scaled down, its previous major serving from the old volume, and the copy Job live with `jobStatus`. */
  function upgradeRunning(jobStatus: Record<string, number>) {
    const upgrade = renderUpgrade({ kind: 'postgres', oldClaim: OLD_CLAIM, oldImage: OLD_IMAGE } as DatabaseUpgrade);
    const old = liveDeployment(find(upgrade, 'Deployment', oldDatabaseName(model, 'postgres')), { replicas: 1 });
    const job = { ...find(upgrade, 'Job', databaseUpgradeJobName(model, 'postgres')), status: jobStatus } as KubeObject;
    return { job, p: planWith(...others('quay-database'), onOldMajor('quay-database', 0, OLD_CLAIM), old, job, pvc(OLD_CLAIM, 'Bound')) };
  }

  test('first: the database scaled down as it is; Quay and mirror held at 0; their migration Job and HPAs not applied; Clair untouched', () => {
    const p = planWith(...others('quay-database'), onOldMajor('quay-database', 1, OLD_CLAIM));
    expect(p.databaseUpgrades).toEqual([expect.objectContaining({ kind: 'postgres', phase: 'scaling-down', fromMajor: 10, toMajor: 13, oldClaim: OLD_CLAIM, oldImage: OLD_IMAGE })]);
    expect(p.scaleDown).toEqual([n('quay-database')]);
    expect(keysOf(p.apply)).not.toContain(DB);
    expect(applied(p, QUAY_APP)!.spec.replicas).toBe(0);
    expect(applied(p, MIRROR)!.spec.replicas).toBe(0);
    for (const k of [JOB, HPA_QUAY, HPA_MIRROR]) expect(keysOf(p.apply)).not.toContain(k);
    expect(applied(p, CLAIR)).toEqual(find(rendered, 'Deployment', n('clair-app')));
    expect(keysOf(p.apply)).toContain(HPA_CLAIR);
    // Nothing of the upgrade yet: the old volume is still mounted.
    expect(keysOf(p.apply)).not.toContain(`Deployment/${oldDatabaseName(model, 'postgres')}`);
  });

  test('with a Quay upgrade pending too (3.5 → now): the migration Job waits for the new major, it never migrates the old database', () => {
    const p = plan(model, rendered, { ...observe([...others('quay-database'), onOldMajor('quay-database', 1, OLD_CLAIM)]), pods: [] }, 'v3.5.7', UID, renderUpgrade);
    expect(p.migration).toEqual({ phase: 'waiting' });
    expect(keysOf(p.apply)).not.toContain(JOB);
    expect(applied(p, QUAY_APP)!.spec.replicas).toBe(0);
  });

  test('scaled down: not scaled again; the previous major started on the old volume; the Job not yet', () => {
    const p = planWith(...others('quay-database'), onOldMajor('quay-database', 0, OLD_CLAIM));
    expect(p.databaseUpgrades.map((u) => u.phase)).toEqual(['starting-old']);
    expect(p.scaleDown).toEqual([]);
    expect(keysOf(p.apply)).toContain(`Deployment/${oldDatabaseName(model, 'postgres')}`);
    expect(keysOf(p.apply)).not.toContain(`Job/${databaseUpgradeJobName(model, 'postgres')}`);
  });

  test('copying: the upgrade\'s objects live are neither pruned nor the old volume reported as left over', () => {
    const { job, p } = upgradeRunning({ active: 1 });
    expect(p.databaseUpgrades.map((u) => u.phase)).toEqual(['copying']);
    expect(p.remove).toEqual([]);
    expect(p.keptVolumes).toEqual([]);
    // The Job exists: not applied again (immutable).
    expect(keysOf(p.apply)).not.toContain(keysOf([job])[0]);
  });

  test('done (the Job succeeded): the database rendered on the new major, Quay waits for it as on a first deploy; the previous major goes, its Job and volume stay', () => {
    const { p } = upgradeRunning({ succeeded: 1 });
    expect(p.databaseUpgrades.map((u) => u.phase)).toEqual(['done']);
    expect(applied(p, DB)).toEqual(find(rendered, 'Deployment', n('quay-database')));
    expect(p.scaleDown).toEqual([]);
    expect(p.waitingFor).toEqual(['postgres']);
    for (const k of [QUAY_APP, MIRROR, JOB, HPA_QUAY, HPA_MIRROR]) expect(keysOf(p.apply)).not.toContain(k);
    expect(keysOf(p.remove)).toEqual([`Deployment/${oldDatabaseName(model, 'postgres')}`]);
    expect(p.keptVolumes).toEqual([OLD_CLAIM]);
  });
});

test("Clair's database on PostgreSQL 10: Clair held at 0 and its HPA left out; Quay, mirror and their migration not held", () => {
  const p = planWith(...others('clair-postgres'), onOldMajor('clair-postgres', 1, n('clair-postgres-13')));
  expect(p.databaseUpgrades.map((u) => [u.kind, u.phase])).toEqual([['clairpostgres', 'scaling-down']]);
  expect(p.scaleDown).toEqual([n('clair-postgres')]);
  expect(keysOf(p.apply)).not.toContain(CLAIR_DB);
  expect(applied(p, CLAIR)!.spec.replicas).toBe(0);
  expect(keysOf(p.apply)).not.toContain(HPA_CLAIR);
  expect(keysOf(p.apply)).toEqual(expect.arrayContaining([DB, HPA_QUAY, HPA_MIRROR]));
  expect(applied(p, QUAY_APP)).toEqual(find(rendered, 'Deployment', n('quay-app')));
});
