// The planner's migration gate, the cases the sequencing table of plan.test.ts leaves out: the
// admin's retry of a failed migration, the Failed condition read among others, the message of a site
// that does not migrate, Jobs that are not the gate, and the previous version serving read-only
// during an upgrade (never on a new install, never once migrated).
import { plan } from '../../lib/controller/plan';
import type { KubeObject } from '../../lib/synth';
import { UID, deploymentNamed, find, keysOf, liveDeployment, migrationJob, n, observe, owned } from '../support/observed';
import { JOB, MIRROR, QUAY_APP, applied, bundled, dependenciesUp, geoSite, liveGateJob, planFor, renderOwned } from '../support/plan';

type Obj = Record<string, any>;
const VERSION = bundled().environment.quayVersion;
const OLD_VERSION = 'v3.8.0';
const RETRY = 'quay-operator/retry-migration';

/** The registry with `annotations` (as the admin set them). */
function annotated(annotations: Record<string, string>) {
  const model = bundled();
  return { ...model, registry: { ...model.registry, metadata: { ...model.registry.metadata, annotations } } };
}

/** A migration Job of this version that failed; `retry` is the retry annotation it was created with. */
function failedJob(retry?: string, conditions?: Obj[]): KubeObject {
  const job = migrationJob(VERSION, { failed: 6, failedMessage: 'Job has reached the specified backoff limit' }) as Obj;
  if (retry !== undefined) job.metadata.annotations[RETRY] = retry;
  if (conditions) job.status.conditions = conditions;
  return job as KubeObject;
}

describe('the retry of a failed migration (quay-operator/retry-migration)', () => {
  test('a new value on the registry: the failed Job is removed and the migration waits for the next one', () => {
    const job = failedJob();
    const { result } = planFor({ model: annotated({ [RETRY]: '1' }), observed: observe(dependenciesUp(), job) });
    expect(result.migration).toEqual({ phase: 'waiting' });
    expect(result.remove).toEqual([job]);
    expect(keysOf(result.apply)).not.toContain(JOB);
    expect(applied(result, QUAY_APP)!.spec.replicas).toBe(0);
  });

  test('the value the failed Job was created with: no retry, still failed, nothing removed', () => {
    const { result } = planFor({ model: annotated({ [RETRY]: '1' }), observed: observe(dependenciesUp(), failedJob('1')) });
    expect(result.migration.phase).toBe('failed');
    expect(result.remove).toEqual([]);
  });

  test('a new value while the Job still runs: it is not stopped', () => {
    const running = migrationJob(VERSION, { active: 1 });
    const { result } = planFor({ model: annotated({ [RETRY]: '2' }), observed: observe(dependenciesUp(), running) });
    expect(result.migration).toEqual({ phase: 'running' });
    expect(result.remove).toEqual([]);
  });

  test('no annotation: a failed Job stays failed', () => {
    const { result } = planFor({ observed: observe(dependenciesUp(), failedJob('1')) });
    expect(result.migration.phase).toBe('failed');
    expect(result.remove).toEqual([]);
  });
});

test("the Failed condition's message, not the first condition's (Kubernetes 1.31 adds FailureTarget before it)", () => {
  const job = failedJob(undefined, [
    { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit (target)' },
    { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
  ]);
  const { result } = planFor({ observed: observe(dependenciesUp(), job) });
  expect(result.migration.message).toMatch(/^Job has reached the specified backoff limit; see /);
});

test('a site that does not migrate: a failed schema check says so, names its Job and the retry', () => {
  const model = geoSite(false);
  const rendered = renderOwned(model);
  const failed = liveGateJob(rendered, VERSION, { failed: 1, conditions: [{ type: 'Failed', status: 'True', message: 'Job has reached the specified backoff limit' }] });
  const p = plan(model, rendered, observe(dependenciesUp(), failed), undefined, UID);
  expect(p.migration).toEqual({
    phase: 'failed',
    elsewhere: true,
    message:
      'Job has reached the specified backoff limit; the schema check of the shared database failed (spec.migrations.run is false): see `kubectl logs -n quay-enterprise job/example-registry-quay-schema-check` (e.g. a site with a newer Quay migrated it); once the cause is fixed, retry with `kubectl annotate quayregistry -n quay-enterprise example-registry --overwrite quay-operator/retry-migration=<a new value>`',
  });
});

test('a Job that is not the migration gate (e.g. an import) is applied as rendered, before and after the migration', () => {
  const model = bundled();
  const other = owned({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: n('clair-import-0123abcd'), namespace: 'quay-enterprise' }, spec: { template: { spec: { containers: [] } } } } as KubeObject);
  for (const [job, current] of [[undefined, undefined], [migrationJob(VERSION, { succeeded: 1 }), undefined], [undefined, VERSION]] as const) {
    const p = plan(model, [...renderOwned(model), other], observe(dependenciesUp(), ...(job ? [job] : [])), current, UID);
    expect(p.apply).toContainEqual(other);
  }
});

describe('during an upgrade the previous version serves, read-only', () => {
  const model = bundled();
  /** The live quay-app of the previous version (its image), as the reconciler reads it in full. */
  const previous = () => {
    const d = liveDeployment(find(renderOwned(model), 'Deployment', n('quay-app'))) as Obj;
    d.spec.template.spec.containers = d.spec.template.spec.containers.map((c: Obj) => ({ ...c, image: `quay.io/projectquay/quay:${OLD_VERSION}` }));
    return d as KubeObject;
  };
  const quayEnv = (d: Obj) => d.spec.template.spec.containers.find((c: Obj) => c.name === 'quay-app').env as Obj[];
  const cluster = (job: KubeObject) => ({ ...observe(dependenciesUp(), job, deploymentNamed(n('quay-app'))), previousQuayApp: previous() });

  test('migrating from the previous version: its Deployment applied as it is, REGISTRY_STATE readonly; mirror held at 0', () => {
    const { result } = planFor({ model, observed: cluster(migrationJob(VERSION, { active: 1 })), currentVersion: OLD_VERSION });
    const quayApp = applied(result, QUAY_APP)!;
    expect(quayApp.spec.template.spec.containers[0].image).toBe(`quay.io/projectquay/quay:${OLD_VERSION}`);
    expect(quayEnv(quayApp)).toContainEqual({ name: 'QUAY_OVERRIDE_CONFIG', value: '{"REGISTRY_STATE":"readonly"}' });
    expect(applied(result, MIRROR)!.spec.replicas).toBe(0);
  });

  test('a new install (no version served before): quay-app held at 0, not the live one read-only', () => {
    const { rendered, result } = planFor({ model, observed: cluster(migrationJob(VERSION, { active: 1 })) });
    const quayApp = applied(result, QUAY_APP)!;
    expect(quayApp.spec.replicas).toBe(0);
    expect(quayApp.spec.template).toEqual((find(rendered, 'Deployment', n('quay-app')) as Obj).spec.template);
  });

  test('once migrated: the new version as rendered', () => {
    const { rendered, result } = planFor({ model, observed: cluster(migrationJob(VERSION, { succeeded: 1 })), currentVersion: OLD_VERSION });
    expect(applied(result, QUAY_APP)).toEqual(find(rendered, 'Deployment', n('quay-app')));
  });

  test('the same version served (a reconcile, no upgrade): as rendered', () => {
    const { rendered, result } = planFor({ model, observed: cluster(migrationJob(VERSION, { succeeded: 1 })), currentVersion: VERSION });
    expect(applied(result, QUAY_APP)).toEqual(find(rendered, 'Deployment', n('quay-app')));
    expect(result.scaleDown).toEqual([]);
    expect(result.replace).toEqual([]);
    expect(result.databaseUpgrades).toEqual([]);
  });
});
