// Upgradeability under OLM, against the fake API server: with OPERATOR_CONDITION_NAME the operator
// keeps the Upgradeable condition of its OperatorCondition (spec.conditions, written with the RBAC
// OLM grants: get/update/patch on that one object) False while a registry's migration Job or a
// PostgreSQL major upgrade runs and True otherwise, writing only on a change; without it nothing
// touches OperatorConditions; a missing OperatorCondition or a refusal does not hold registries back.
// A restore under way (the quay-operator/restore annotation, until it ends) holds upgrades too.
// The pure parts (a registry's state, the aggregated condition, the environment) and the reporter's
// rules one by one are in operator-condition-decisions.test.ts.
import type { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import {
  OperatorConditionReporter,
  REASON_DATABASE_UPGRADE,
  REASON_MIGRATION,
  REASON_NONE,
  REASON_RESTORE,
  RegistryUpgradeState,
} from '../../lib/controller/operator-condition';
import { Logger } from '../../lib/controller/runtime/logger';
import { admitRoutes, bindBucket, completeJob, eventually, openshiftCluster, settleDeployments } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { OPERATOR_USER, createBundleSecret, reconcileCount, shutDown, startController } from '../support/controller-harness';
import { Registry } from '../../lib/controller/runtime/metrics';

type Obj = Record<string, any>;
const NS = 'quay-enterprise';
const NAME = 'example-registry';
const VERSION = 'v3.99.0';
const JOB = `${NAME}-quay-app-upgrade`;
/** Where `installOperator` runs the operator, and the name OLM gives its OperatorCondition (the CSV's). */
const OPERATOR_NS = 'quay-operator';
const CONDITION = 'quay-operator.v3.99.0';
const REF = { namespace: OPERATOR_NS, name: CONDITION };

jest.setTimeout(30_000);

let server: FakeApiServer;
let kubeConfig: KubeConfig;
let controller: Controller | undefined;
let logLines: string[];

const get = (apiVersion: string, kind: string, name: string) => server.get(apiVersion, kind, NS, name) as Obj | undefined;
const registry = () => get('quay.redhat.com/v1', 'QuayRegistry', NAME)!;
const cond = (type: string) => ((registry().status?.conditions ?? []) as Obj[]).find((c) => c.type === type);
const operatorCondition = () => server.get('operators.coreos.com/v2', 'OperatorCondition', OPERATOR_NS, CONDITION) as Obj | undefined;
const upgradeable = () => ((operatorCondition()?.spec?.conditions ?? []) as Obj[]).find((c) => c.type === 'Upgradeable');
/** Every request the operator made about OperatorConditions. */
const conditionRequests = () => server.requests.filter((r) => r.path.includes('/operatorconditions'));
/** Reconciles the running controller finished (the bundle is read from a cache: no request to count). */
let metrics = new Registry();
const reconciles = () => reconcileCount(metrics);
const conditionWrites = () => conditionRequests().filter((r) => r.method !== 'GET' && r.user === OPERATOR_USER);
const logger = () => new Logger({ level: 'info', stream: { write: (line: string) => logLines.push(line) } });
const warnings = () => logLines.map((l) => JSON.parse(l) as Obj).filter((l) => l.level === 'warn');

/** What OLM v0 creates when it installs the CSV: the OperatorCondition and the Role/RoleBinding for the operator's ServiceAccount. */
function olmInstall(options: { condition?: boolean; rbac?: boolean; conditions?: Obj[] } = {}): void {
  if (options.condition ?? true) {
    server.create({
      apiVersion: 'operators.coreos.com/v2',
      kind: 'OperatorCondition',
      metadata: { name: CONDITION, namespace: OPERATOR_NS, labels: { 'operators.coreos.com/quay-operator.quay-operator': '' } },
      spec: { deployments: ['quay-operator'], serviceAccounts: ['quay-operator'], ...(options.conditions ? { conditions: options.conditions } : {}) },
    });
  }
  if (options.rbac ?? true) {
    server.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: CONDITION, namespace: OPERATOR_NS },
      rules: [{ apiGroups: ['operators.coreos.com'], resources: ['operatorconditions'], resourceNames: [CONDITION], verbs: ['get', 'update', 'patch'] }],
    });
    server.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: CONDITION, namespace: OPERATOR_NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: CONDITION },
      subjects: [{ kind: 'ServiceAccount', name: 'quay-operator', namespace: OPERATOR_NS }],
    });
  }
}

async function runOperator(underOlm: boolean): Promise<void> {
  await controller?.stop();
  metrics = new Registry();
  controller = await startController(kubeConfig, { quayVersion: VERSION, logger: logger(), metrics, ...(underOlm ? { operatorCondition: REF } : {}) });
}

function createRegistry(components: Obj[] = []): void {
  server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', ...(components.length ? { components } : {}) } });
}

/** A new registry's dependencies come up until its migration Job exists (not finished). */
async function untilMigrationJob(): Promise<void> {
  await eventually(() => {
    settleDeployments(server, NS);
    bindBucket(server, NS, NAME);
    expect(get('batch/v1', 'Job', JOB)).toBeDefined();
  });
}

/** The migration succeeds, then every component comes up. */
async function untilAvailable(): Promise<void> {
  completeJob(server, NS, JOB);
  await eventually(() => {
    settleDeployments(server, NS);
    admitRoutes(server, NS);
    expect(cond('Available')).toMatchObject({ status: 'True' });
  });
  await controller!.whenIdle();
}

describe('against the fake API server', () => {
  async function setUp(options: { gc?: boolean } = {}): Promise<void> {
    server = await FakeApiServer.start(options);
    openshiftCluster(server);
    createBundleSecret(server, 'FEATURE_USER_INITIALIZE: true\n');
    kubeConfig = installOperator(server);
    logLines = [];
  }

  beforeEach(() => setUp());

  afterEach(async () => {
    const refused = await shutDown(server, controller, [409, 404]);
    controller = undefined;
    expect(refused).toEqual([]);
  });

  describe('under OLM (OPERATOR_CONDITION_NAME set)', () => {
    test('Upgradeable=False with MigrationInProgress while the migration Job runs, True after; one write per change, none at a restart', async () => {
      // Another writer's condition in spec.conditions (an atomic list): kept.
      const other = { type: 'example.com/Other', status: 'True', reason: 'Fine', message: 'kept', lastTransitionTime: '2024-01-01T00:00:00Z' };
      olmInstall({ conditions: [other] });
      await runOperator(true);
      // No registry at start: nothing runs, said once.
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'True', reason: REASON_NONE }));
      expect(conditionWrites()).toHaveLength(1);

      createRegistry();
      await untilMigrationJob();
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'False', reason: REASON_MIGRATION }));
      expect(upgradeable()!.message).toBe(`database migration running in QuayRegistry ${NS}/${NAME}; the operator must not be replaced until it finishes`);
      expect(upgradeable()!.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(operatorCondition()!.spec.conditions).toContainEqual(other);
      // OLM's fields are left alone.
      expect(operatorCondition()!.spec.deployments).toEqual(['quay-operator']);

      // More reconciles while it runs (a status change of what the registry owns, a metadata change): no more requests.
      await controller!.whenIdle();
      const requests = conditionRequests().length;
      const before = reconciles();
      completeJob(server, NS, JOB, 'active');
      await eventually(() => expect(reconciles()).toBeGreaterThan(before));
      server.update({ ...registry(), metadata: { ...registry().metadata, labels: { touched: 'yes' } } });
      await eventually(() => expect(reconciles()).toBeGreaterThan(before + 1));
      await controller!.whenIdle();
      expect(conditionRequests()).toHaveLength(requests);
      expect(conditionWrites()).toHaveLength(2);

      // An operator restart mid-migration: the live value is already right, so no write (and never a True first).
      await runOperator(true);
      await controller!.whenIdle();
      expect(upgradeable()).toMatchObject({ status: 'False', reason: REASON_MIGRATION });
      expect(conditionWrites()).toHaveLength(2);

      await untilAvailable();
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'True', reason: REASON_NONE }));
      expect(upgradeable()!.message).toBe('No QuayRegistry is running a database migration, a PostgreSQL upgrade or a restore');
      await controller!.whenIdle();
      expect(conditionWrites()).toHaveLength(3);
      // One read before each write, and one at the restart.
      expect(conditionRequests().filter((r) => r.method === 'GET')).toHaveLength(4);
      // Every write a server-side apply of the operator's one field manager, accepted.
      expect(conditionWrites().map((w) => [w.method, w.contentType, w.fieldManager, w.code])).toEqual(Array(3).fill(['PATCH', 'application/apply-patch+yaml', 'quay-operator', 200]));
      expect(operatorCondition()!.spec.conditions).toContainEqual(other);
      expect(warnings()).toEqual([]);
    });

    test('a PostgreSQL major upgrade: DatabaseUpgradeInProgress naming the registry and the database, True once copied', async () => {
      olmInstall();
      createRegistry();
      server.updateStatus('quay.redhat.com/v1', 'QuayRegistry', NS, NAME, { currentVersion: VERSION });
      // What a registry from before Quay 3.6 runs: PostgreSQL 10 on PVC <name>-quay-database (as in postgres-upgrade.test.ts).
      const db = `${NAME}-quay-database`;
      const owner = [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: NAME, uid: registry().metadata.uid, controller: true, blockOwnerDeletion: true }];
      const labels = { 'quay-component': 'postgres', 'quay-operator/quayregistry': NAME };
      server.create({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: db, namespace: NS, labels, ownerReferences: owner }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } });
      server.apply(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: db, namespace: NS, labels, ownerReferences: owner },
          spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: { containers: [{ name: 'postgres', image: 'centos/postgresql-10-centos7' }], volumes: [{ name: 'postgres-data', persistentVolumeClaim: { claimName: db } }] } },
          },
        },
        { fieldManager: 'quay-operator', force: true },
      );
      settleDeployments(server, NS);

      await runOperator(true);
      // The registry exists at start: its first reconcile decides the first write (no True before it).
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'False', reason: REASON_DATABASE_UPGRADE }));
      expect(upgradeable()!.message).toBe(`PostgreSQL major upgrade running in QuayRegistry ${NS}/${NAME} (postgres); the operator must not be replaced until it finishes`);
      expect(conditionWrites()).toHaveLength(1);

      // Stopped, the old major started on the old volume, the copy Job created: still the same, no write.
      bindBucket(server, NS, NAME);
      const copyJob = `${NAME}-quay-postgres-upgrade`;
      await eventually(() => {
        settleDeployments(server, NS);
        expect(get('batch/v1', 'Job', copyJob)).toBeDefined();
      });
      await controller!.whenIdle();
      expect(upgradeable()).toMatchObject({ status: 'False', reason: REASON_DATABASE_UPGRADE });
      expect(conditionWrites()).toHaveLength(1);

      completeJob(server, NS, copyJob);
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'True', reason: REASON_NONE }));
      await eventually(() => {
        settleDeployments(server, NS);
        admitRoutes(server, NS);
        expect(cond('Available')).toMatchObject({ status: 'True' });
      });
      await controller!.whenIdle();
      expect(conditionWrites()).toHaveLength(2);
    });

    test('a restore: RestoreInProgress naming the registry from the request until it ends (here: its inspection fails)', async () => {
      olmInstall();
      await runOperator(true);
      server.create({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS }, spec: { configBundleSecret: 'config-bundle-secret', backup: { schedule: '0 3 * * *' } } });
      await untilMigrationJob();
      await untilAvailable();
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'True', reason: REASON_NONE }));
      const writes = conditionWrites().length;

      server.apply(
        { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS, annotations: { 'quay-operator/restore': `${NAME}-postgres-20260102T030000Z-${VERSION}.dump` } } },
        { fieldManager: 'kubectl', force: true },
      );
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'False', reason: REASON_RESTORE }));
      expect(upgradeable()!.message).toBe(`restore running in QuayRegistry ${NS}/${NAME}; the operator must not be replaced until it finishes`);
      expect(registry().status.restore.phase).toBe('Inspecting');
      const inspect = (server.list('batch/v1', 'Job', NS) as Obj[]).find((j) => j.metadata.name.startsWith(`${NAME}-restore-inspect-`))!;
      completeJob(server, NS, inspect.metadata.name, 'failed');
      await eventually(() => expect(registry().status.restore.phase).toBe('Failed'));
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'True', reason: REASON_NONE }));
      await controller!.whenIdle();
      expect(conditionWrites()).toHaveLength(writes + 2);
    });

    test.each([
      ['with its finalizer (monitoring managed): gone once finalized', { monitoring: true }],
      // Told by the reconcile that sees deletionTimestamp: what it ran is being deleted with it.
      ["held by another's finalizer: from the deletionTimestamp on", { monitoring: true, held: true }],
      // Told by the informer alone: no garbage collector, so no owned object's event reconciles it.
      ['without a finalizer, no garbage collector: the informer sees it go', { monitoring: false, gc: false }],
    ] as [string, { monitoring: boolean; held?: boolean; gc?: boolean }][])('a registry deleted during its migration no longer holds upgrades back, %s', async (_what, c) => {
      if (c.gc === false) {
        await server.stop();
        await setUp({ gc: false });
      }
      olmInstall();
      await runOperator(true);
      createRegistry(c.monitoring ? [] : [{ kind: 'monitoring', managed: false }]);
      await untilMigrationJob();
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'False', reason: REASON_MIGRATION }));
      await eventually(() => expect((registry().metadata.finalizers ?? []).length > 0).toBe(c.monitoring));
      if (c.held) server.update({ ...registry(), metadata: { ...registry().metadata, finalizers: [...registry().metadata.finalizers, 'example.com/hold'] } });
      server.delete('quay.redhat.com/v1', 'QuayRegistry', NS, NAME);
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'True', reason: REASON_NONE }));
      if (c.held) expect(registry().metadata.deletionTimestamp).toBeDefined();
      else expect(get('quay.redhat.com/v1', 'QuayRegistry', NAME)).toBeUndefined();
    });

    test.each([
      ['no OperatorCondition (404)', { condition: false }],
      ['no RBAC for it (403)', { rbac: false }],
    ] as [string, { condition?: boolean; rbac?: boolean }][])('%s: logged once, and the registry still becomes Available', async (_what, install) => {
      olmInstall(install);
      await runOperator(true);
      createRegistry();
      await untilMigrationJob();
      await untilAvailable();
      // Never created by the operator; asked about once per change, not at every reconcile.
      expect(conditionWrites()).toEqual([]);
      const reads = conditionRequests().filter((r) => r.user === OPERATOR_USER);
      expect(reads.length).toBeGreaterThanOrEqual(1);
      expect(reads.length).toBeLessThanOrEqual(3);
      expect(reads.every((r) => r.code === (install.condition === false ? 404 : 403))).toBe(true);
      const logged = warnings().filter((w) => w.msg.startsWith('could not set the OperatorCondition'));
      expect(logged.length).toBeGreaterThanOrEqual(1);
      expect(logged[0]).toMatchObject({ namespace: OPERATOR_NS, name: CONDITION });
      if (install.condition === false) expect(operatorCondition()).toBeUndefined();
    });
  });

  test('not under OLM (no OPERATOR_CONDITION_NAME): no request touches OperatorConditions', async () => {
    olmInstall();
    await runOperator(false);
    createRegistry();
    await untilMigrationJob();
    await controller!.whenIdle();
    await untilAvailable();
    expect(conditionRequests()).toEqual([]);
    expect(upgradeable()).toBeUndefined();
  });

  describe('OperatorConditionReporter', () => {
    const running: RegistryUpgradeState = { migration: true, databases: [], restore: false };
    const idle: RegistryUpgradeState = { migration: false, databases: [], restore: false };

    test('an OperatorCondition created after a refusal is written at the next retry', async () => {
      const reporter = new OperatorConditionReporter({ client: new KubeClient(server.kubeConfig()), condition: REF, logger: logger(), retryMs: 50 });
      reporter.start([`${NS}/a`]);
      reporter.report(`${NS}/a`, running);
      reporter.reconciled(`${NS}/a`);
      await eventually(() => expect(warnings()).toHaveLength(1));
      // That reconciles in between send nothing until the retry is checked with fake timers in
      // operator-condition-decisions.test.ts: here a 50 ms timer on a loaded machine could fire first.
      olmInstall({ rbac: false });
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'False', reason: REASON_MIGRATION }));
      expect(warnings()).toHaveLength(1);
      reporter.report(`${NS}/a`, idle);
      reporter.reconciled(`${NS}/a`);
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'True' }));
      // The fake server holds the write before its answer reaches the reporter, which counts it then.
      await reporter.idle();
      expect(reporter.writes).toBe(2);
      await reporter.stop();
    });

    test('the registries listed at start are all reconciled before the first write; forgotten ones stop counting', async () => {
      olmInstall({ rbac: false });
      const reporter = new OperatorConditionReporter({ client: new KubeClient(server.kubeConfig()), condition: REF, logger: logger() });
      reporter.start([`${NS}/a`, `${NS}/b`]);
      reporter.report(`${NS}/a`, idle);
      reporter.reconciled(`${NS}/a`);
      await reporter.idle();
      expect(conditionRequests()).toEqual([]);
      reporter.report(`${NS}/b`, { migration: false, databases: ['postgres', 'clairpostgres'], restore: false });
      reporter.reconciled(`${NS}/b`);
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'False', reason: REASON_DATABASE_UPGRADE }));
      expect(upgradeable()!.message).toContain(`${NS}/b (postgres, clairpostgres)`);
      reporter.forget(`${NS}/b`);
      await eventually(() => expect(upgradeable()).toMatchObject({ status: 'True', reason: REASON_NONE }));
      // The fake server holds the write before its answer reaches the reporter, which counts it then.
      await reporter.idle();
      expect(reporter.writes).toBe(2);
      await reporter.stop();
    });
  });
});
