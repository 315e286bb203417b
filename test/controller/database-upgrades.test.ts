// The decision itself (lib/controller/postgres-upgrade.ts), read from what was observed: which managed
// database runs an older PostgreSQL major than the operator's image, where its old data is, which
// phase its copy is in, what each phase applies, and the condition message the admin reads.
// (plan-database-upgrade.test.ts checks what the planner does with it.)
import { databaseUpgradeJobName, oldDatabaseName } from '../../constructs/postgres-upgrade';
import { DatabaseUpgrade, databaseUpgrades, postgresMajor, upgradeCondition, upgradePartsFor } from '../../lib/controller/postgres-upgrade';
import type { KubeObject } from '../../lib/synth';
import { n, observe } from '../support/observed';
import { bundled } from '../support/plan';

type Obj = Record<string, any>;
const model = bundled();

/** A live database Deployment (`workload`) on `image`, as the API server reports it. */
function liveDb(workload: string, image: string, opts: { volumes?: Obj[]; replicas?: number; status?: Obj; generation?: number } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: n(workload), namespace: 'quay-enterprise', generation: opts.generation ?? 1 },
    spec: { replicas: opts.replicas ?? 1, template: { spec: { containers: [{ name: 'postgres', image }], volumes: opts.volumes ?? [] } } },
    ...(opts.status === undefined ? {} : { status: opts.status }),
  } as KubeObject;
}

const stopped = { replicas: 0, observedGeneration: 2 };
const oldServer = (kind: 'postgres' | 'clairpostgres', available: number) =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: oldDatabaseName(model, kind), namespace: 'quay-enterprise' }, status: { availableReplicas: available } }) as KubeObject;
const copyJob = (kind: 'postgres' | 'clairpostgres', status: Obj) =>
  ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: databaseUpgradeJobName(model, kind), namespace: 'quay-enterprise' }, status }) as KubeObject;
const PG10 = 'centos/postgresql-10-centos7';

describe('postgresMajor: more image names', () => {
  test.each([
    ['postgresql-13', 13],
    ['postgresql-13:latest', 13],
    ['example.com/pg/postgresql15', 15],
    ['example.com/postgresql-12/redis:7', undefined],
  ])('%s → %s', (image, major) => expect(postgresMajor(image)).toBe(major));
});

describe('databaseUpgrades', () => {
  test('Quay\'s database on PostgreSQL 10: its old data where the live Deployment mounts it', () => {
    const live = liveDb('quay-database', PG10, { volumes: [{ name: 'certs', secret: {} }, { name: 'postgres-data', persistentVolumeClaim: { claimName: 'legacy-claim' } }] });
    expect(databaseUpgrades(model, observe(live))).toEqual([
      { kind: 'postgres', phase: 'scaling-down', fromMajor: 10, toMajor: 13, oldClaim: 'legacy-claim', oldImage: PG10, jobName: n('quay-postgres-upgrade') },
    ]);
  });

  test('no postgres-data volume (or one without a claim): upstream\'s claim name for the major', () => {
    for (const volumes of [[], [{ name: 'postgres-data', emptyDir: {} }], [{ name: 'other', persistentVolumeClaim: { claimName: 'x' } }]]) {
      expect(databaseUpgrades(model, observe(liveDb('quay-database', PG10, { volumes }))).map((u) => u.oldClaim)).toEqual([n('quay-database')]);
    }
    expect(databaseUpgrades(model, observe(liveDb('clair-postgres', 'quay.io/sclorg/postgresql-13-c9s'))).map((u) => [u.kind, u.fromMajor, u.toMajor, u.oldClaim])).toEqual([
      ['clairpostgres', 13, 15, n('clair-postgres-13')],
    ]);
  });

  test('each database against its own image: Clair\'s on 13 upgrades to 15, Quay\'s on 13 stays', () => {
    const upgrades = databaseUpgrades(model, observe(liveDb('quay-database', 'quay.io/sclorg/postgresql-13-c9s'), liveDb('clair-postgres', 'quay.io/sclorg/postgresql-13-c9s')));
    expect(upgrades.map((u) => u.kind)).toEqual(['clairpostgres']);
  });

  test('nothing to do: the same or a newer major, an image without a major, no live Deployment, or an unmanaged database', () => {
    for (const image of ['quay.io/sclorg/postgresql-13-c9s', 'quay.io/sclorg/postgresql-16-c9s', 'postgres:10']) {
      expect(databaseUpgrades(model, observe(liveDb('quay-database', image)))).toEqual([]);
    }
    expect(databaseUpgrades(model, observe())).toEqual([]);
    const unmanaged = bundled({ spec: { components: [{ kind: 'postgres', managed: false }] }, files: { 'config.yaml': 'DB_URI: postgresql://u:p@db.example.com/quay\n' } });
    expect(databaseUpgrades(unmanaged, observe(liveDb('quay-database', PG10))).map((u) => u.kind)).toEqual([]);
  });

  describe('phases', () => {
    const phase = (...objs: KubeObject[]) => databaseUpgrades(model, observe(objs)).map((u) => u.phase);

    test('scaling down until the Deployment asks for 0, has 0 pods and the controller has seen it', () => {
      expect(phase(liveDb('quay-database', PG10, { replicas: 1, status: { replicas: 1, observedGeneration: 1 } }))).toEqual(['scaling-down']);
      expect(phase(liveDb('quay-database', PG10, { replicas: 0, status: { replicas: 1, observedGeneration: 2 }, generation: 2 }))).toEqual(['scaling-down']);
      expect(phase(liveDb('quay-database', PG10, { replicas: 0, status: { replicas: 0, observedGeneration: 1 }, generation: 2 }))).toEqual(['scaling-down']);
      // Just scaled: the Deployment controller has not written a status yet.
      expect(phase(liveDb('quay-database', PG10, { replicas: 0, generation: 2 }))).toEqual(['scaling-down']);
      expect(phase(liveDb('quay-database', PG10, { replicas: 1, status: { replicas: 0, observedGeneration: 2 }, generation: 2 }))).toEqual(['scaling-down']);
    });

    test('stopped: the previous major starts on the old volume (also while its server is not yet available)', () => {
      expect(phase(liveDb('quay-database', PG10, { replicas: 0, status: stopped, generation: 2 }))).toEqual(['starting-old']);
      expect(phase(liveDb('quay-database', PG10, { replicas: 0, status: { observedGeneration: 2 }, generation: 2 }))).toEqual(['starting-old']);
      expect(phase(liveDb('quay-database', PG10, { replicas: 0, status: stopped, generation: 2 }), oldServer('postgres', 0))).toEqual(['starting-old']);
      // Once the old server exists the live database is not looked at again (its status may lag).
      expect(phase(liveDb('quay-database', PG10, { replicas: 1, status: { replicas: 1 } }), oldServer('postgres', 0))).toEqual(['starting-old']);
    });

    test('copying once the old server is available, or while the Job runs', () => {
      expect(phase(liveDb('quay-database', PG10, { replicas: 0, status: stopped, generation: 2 }), oldServer('postgres', 1))).toEqual(['copying']);
      expect(phase(liveDb('quay-database', PG10, { replicas: 0, status: stopped, generation: 2 }), copyJob('postgres', { active: 1 }))).toEqual(['copying']);
      expect(phase(liveDb('quay-database', PG10, { replicas: 0, status: stopped, generation: 2 }), oldServer('postgres', 0), copyJob('postgres', {}))).toEqual(['copying']);
    });

    test('done when the Job succeeded; failed with its message, or a plain one', () => {
      const live = liveDb('quay-database', PG10, { replicas: 0, status: stopped, generation: 2 });
      expect(phase(live, oldServer('postgres', 1), copyJob('postgres', { succeeded: 1 }))).toEqual(['done']);
      const failed = (conditions: Obj[]) => databaseUpgrades(model, observe(live, oldServer('postgres', 1), copyJob('postgres', { failed: 1, conditions })))[0];
      expect(failed([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }])).toMatchObject({
        phase: 'failed',
        message: 'Job has reached the specified backoff limit',
      });
      expect(failed([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }])).toMatchObject({ phase: 'failed', message: 'the copy failed' });
      expect(databaseUpgrades(model, observe(live, oldServer('postgres', 1)))[0]).not.toHaveProperty('message');
    });
  });
});

describe('upgradePartsFor', () => {
  const parts = [oldServer('postgres', 0), copyJob('postgres', {})];
  const u = (phase: DatabaseUpgrade['phase']): DatabaseUpgrade => ({ kind: 'postgres', phase, fromMajor: 10, toMajor: 13, oldClaim: 'c', oldImage: PG10, jobName: databaseUpgradeJobName(model, 'postgres') });
  const kinds = (phase: DatabaseUpgrade['phase'], ...live: KubeObject[]) => upgradePartsFor(u(phase), parts, observe(live)).map((o) => o.kind);

  test('nothing while scaling down or once done; the old server while it starts; the Job once copying, created once', () => {
    expect(kinds('scaling-down')).toEqual([]);
    expect(kinds('done')).toEqual([]);
    expect(kinds('starting-old')).toEqual(['Deployment']);
    expect(kinds('copying')).toEqual(['Deployment', 'Job']);
    expect(kinds('copying', copyJob('postgres', { active: 1 }))).toEqual(['Deployment']);
    // A failed Job stays until the admin deletes it (the retry): not re-created meanwhile.
    expect(kinds('failed', copyJob('postgres', { failed: 1 }))).toEqual(['Deployment']);
    expect(kinds('failed')).toEqual(['Deployment']);
  });
});

describe('upgradeCondition', () => {
  const base = { fromMajor: 10, toMajor: 13, oldClaim: n('quay-database'), oldImage: PG10 };
  const pg = (phase: DatabaseUpgrade['phase'], message?: string): DatabaseUpgrade => ({ kind: 'postgres', phase, ...base, jobName: n('quay-postgres-upgrade'), ...(message ? { message } : {}) });

  test('in progress, phase by phase, saying what is stopped meanwhile', () => {
    const what = 'upgrading the postgres database from PostgreSQL 10 to 13';
    expect(upgradeCondition(model, pg('scaling-down'))).toEqual({
      reason: 'PostgresUpgradeInProgress',
      message: `${what}: stopping the database cleanly; Quay and mirror are stopped meanwhile`,
    });
    expect(upgradeCondition(model, pg('starting-old')).message).toBe(`${what}: starting PostgreSQL 10 on ${n('quay-database')}; Quay and mirror are stopped meanwhile`);
    expect(upgradeCondition(model, pg('copying')).message).toBe(`${what}: copying the data (Job ${n('quay-postgres-upgrade')}); Quay and mirror are stopped meanwhile`);
    expect(upgradeCondition(model, pg('done')).message).toBe(`${what}: done; Quay and mirror are stopped meanwhile`);
    const clair: DatabaseUpgrade = { kind: 'clairpostgres', phase: 'copying', fromMajor: 13, toMajor: 15, oldClaim: 'c13', oldImage: 'x', jobName: 'j' };
    expect(upgradeCondition(model, clair)).toEqual({
      reason: 'PostgresUpgradeInProgress',
      message: 'upgrading the clairpostgres database from PostgreSQL 13 to 15: copying the data (Job j); Clair is stopped meanwhile',
    });
  });

  test('failed: why, where the old data is, how to read the logs and retry', () => {
    expect(upgradeCondition(model, pg('failed', 'Job has reached the specified backoff limit'))).toEqual({
      reason: 'PostgresUpgradeFailed',
      message:
        'upgrading the postgres database from PostgreSQL 10 to 13 failed: Job has reached the specified backoff limit; the old data is untouched on PersistentVolumeClaim ' +
        `${n('quay-database')}; see \`kubectl logs -n quay-enterprise job/${n('quay-postgres-upgrade')}\`, then delete the Job to retry`,
    });
  });
});
