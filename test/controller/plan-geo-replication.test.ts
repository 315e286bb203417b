// The planner's migration gate for a geo-replication site that does not migrate
// (spec.migrations.run: false), unit by unit: the schema check in place of the migration Job, Quay
// held until it succeeds, a check of another version replaced, the OLM condition left alone, and a
// migration under way never pruned when a site is switched to not migrating.
import { upgradeStateOf } from '../../lib/controller/operator-condition';
import { plan } from '../../lib/controller/plan';
import { computeStatus } from '../../lib/controller/status';
import { geoSite, liveGateJob, renderOwned } from '../support/plan';
import { UID, healthyCluster, keysOf, migrationJob, n, observe } from '../support/observed';

type Obj = Record<string, any>;
const CHECK = `Job/${n('quay-schema-check')}`;
const MIGRATION = `Job/${n('quay-app-upgrade')}`;


describe('a site that does not migrate', () => {
  const model = geoSite(false);
  const version = model.environment.quayVersion;
  const rendered = renderOwned(model);
  const healthy = healthyCluster(rendered, version).filter((o) => o.kind !== 'Job');

  test('a new site: the check is applied, never a migration Job; Quay and mirror held at 0; AwaitingMigration', () => {
    const p = plan(model, rendered, observe(healthy), undefined, UID);
    expect(keysOf(p.apply)).toContain(CHECK);
    expect(keysOf(p.apply)).not.toContain(MIGRATION);
    expect(p.migration).toEqual({ phase: 'waiting', elsewhere: true });
    expect((p.apply.find((o) => o.kind === 'Deployment' && o.metadata.name === n('quay-app')) as Obj).spec.replicas).toBe(0);
    const status = computeStatus({ previous: undefined, generation: 1, now: '2026-01-01T00:00:00Z', uid: UID, model, plan: p, observed: observe(healthy) });
    expect(status.conditions?.find((c) => c.type === 'ComponentsCreated')).toMatchObject({ status: 'False', reason: 'AwaitingMigration' });
    expect(status.currentVersion).toBeUndefined();
  });

  test('the check running: still waiting (the Job is not applied again); succeeded: migrated, this version becomes current', () => {
    const running = plan(model, rendered, observe(healthy, liveGateJob(rendered, version, { active: 1 })), undefined, UID);
    expect(running.migration).toEqual({ phase: 'running', elsewhere: true });
    expect(keysOf(running.apply)).not.toContain(CHECK);
    const done = plan(model, rendered, observe(healthy, liveGateJob(rendered, version, { succeeded: 1 })), undefined, UID);
    expect(done.migration).toEqual({ phase: 'succeeded', elsewhere: true });
    expect(done.currentVersion).toBe(version);
    expect((done.apply.find((o) => o.kind === 'Deployment' && o.metadata.name === n('quay-app')) as Obj).spec.replicas).toBeUndefined();
  });

  test("a check of another version is replaced once it ended; the OLM condition is not held by a site that only waits", () => {
    const old = liveGateJob(rendered, 'v3.98.4', { succeeded: 1 });
    const p = plan(model, rendered, observe(healthy, old), 'v3.98.4', UID);
    expect(keysOf(p.remove)).toContain(CHECK);
    expect(upgradeStateOf(p, 'v3.98.4', version).migration).toBe(false);
    // The site that migrates does hold it.
    const migrating = geoSite(true);
    const m = plan(migrating, renderOwned(migrating), observe(healthyCluster(renderOwned(migrating), version).filter((o) => o.kind !== 'Job')), 'v3.98.4', UID);
    expect(upgradeStateOf(m, 'v3.98.4', version).migration).toBe(true);
  });

  test('switched to not migrating while its migration runs: the running migration Job is not pruned (half a migration breaks the schema)', () => {
    const p = plan(model, rendered, observe(healthy, migrationJob(version, { active: 1 })), undefined, UID);
    expect(keysOf(p.remove)).not.toContain(MIGRATION);
    const finished = plan(model, rendered, observe(healthy, migrationJob(version, { succeeded: 1 })), undefined, UID);
    expect(keysOf(finished.remove)).toContain(MIGRATION);
  });
});
