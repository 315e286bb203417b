// Planning: from what synthesis rendered and what the cluster holds, decide what to apply now, what
// to delete and what waits. Pure, so every sequencing rule is a table-driven unit test.
//
// Sequencing ("Day 2 operations": no crash loops on first deploy):
//   1. Databases, redis, the bucket claim and every non-workload object go first.
//   2. Quay, Clair, mirror and the config editor (and the migration Job) only once the managed
//      databases and redis have an available pod and the bucket claim is bound.
//   3. The migration Job runs before Quay serves: quay-app and mirror are held at 0 replicas until
//      the Job for this Quay version has succeeded. A succeeded Job is never re-run for the same
//      version; a Job of another version is replaced, never while it runs. A geo-replication site
//      that does not migrate (spec.migrations.run: false) waits the same way for its schema check
//      Job, which succeeds once another site has migrated the shared database to this version.
import { quayConfigReady, SHARED_NAMES } from '../../constructs/shared/component';
import { QUAY_VERSION_ANNOTATION, migrationGateJobName, quayUpgradeJobName } from '../../constructs/quay';
import { runsMigrations } from '../api/geo-replication';
import type { RegistryModel } from '../model';
import { APPLIED_HASH, Applier } from './applier';
import { QUAY_OVERRIDE_CONFIG_ENV, RETRY_MIGRATION_ANNOTATION } from '../names';
import { configReferences, podHoldsMounts, templateSpec } from './references';
import { DatabaseUpgrade, databaseUpgrades, upgradePartsFor } from './postgres-upgrade';
import { parseQuantity } from '../quantity';
import type { KubeObject } from '../synth';
import { ObservedState, annotation, deploymentAvailable, findObject, jobState, ownedBy } from './observed';

export type MigrationPhase = 'waiting' | 'running' | 'succeeded' | 'failed' | 'done';

export interface Plan {
  /** Objects to server-side apply, in order. */
  readonly apply: KubeObject[];
  /** Objects to delete. */
  readonly remove: KubeObject[];
  /** PersistentVolumeClaims no longer rendered: kept, and reported. */
  readonly keptVolumes: string[];
  /** Dependencies not ready yet (component names), holding Quay's workloads back. */
  readonly waitingFor: string[];
  /** `elsewhere`: this site does not migrate (spec.migrations.run: false); it waits for the site that does. */
  readonly migration: { readonly phase: MigrationPhase; readonly message?: string; readonly elsewhere?: boolean };
  /** Set when the migration for this version has succeeded. */
  readonly currentVersion?: string;
  /** Old Secrets and ConfigMaps kept because a pod or template still reads them (or pods are not known yet). */
  readonly configInUse: string[];
  /** Managed databases moving to a newer PostgreSQL major (lib/controller/postgres-upgrade.ts). */
  readonly databaseUpgrades: DatabaseUpgrade[];
  /**
   * Deployments whose live selector differs from the rendered one (immutable: a registry another
   * operator created, e.g. upstream's quay-app selecting on `app: quay`): deleted orphaning their
   * ReplicaSets, so the pods keep serving, and created again at the next reconcile, when the new
   * Deployment adopts the running ReplicaSet (its labels match) and rolls it as any change.
   */
  readonly replace: KubeObject[];
  /**
   * Deployments to scale to 0 as they are (a merge patch of replicas): a database on its old major,
   * whose template must stay the old one until its data is copied (the upgrade is decided from it).
   */
  readonly scaleDown: string[];
}

/** Workloads that need the databases, redis and the bucket before they start. */
export function dependentWorkloads(model: RegistryModel): Set<string> {
  const n = (s: string) => `${model.name}-${s}`;
  return new Set([
    `Deployment/${n(SHARED_NAMES.quayApp)}`,
    `Deployment/${n(SHARED_NAMES.mirror)}`,
    `Deployment/${n(SHARED_NAMES.configEditor)}`,
    `Deployment/${n(SHARED_NAMES.clairApp)}`,
    `Job/${migrationGateJobName(model)}`,
    `HorizontalPodAutoscaler/${n(SHARED_NAMES.quayApp)}`,
    `HorizontalPodAutoscaler/${n(SHARED_NAMES.mirror)}`,
    `HorizontalPodAutoscaler/${n(SHARED_NAMES.clairApp)}`,
  ]);
}

const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;

const isConfig = (o: KubeObject) => o.kind === 'Secret' || o.kind === 'ConfigMap';

/** Owned Secrets and ConfigMaps no longer rendered: pruned once nothing reads them. */
export function configPruneCandidates(model: RegistryModel, rendered: readonly KubeObject[], observed: ObservedState, uid: string | undefined): KubeObject[] {
  const wanted = new Set(rendered.map(key));
  return observed.owned.filter((o) => isConfig(o) && o.metadata.namespace === model.namespace && ownedBy(o, uid) && !wanted.has(key(o)));
}

/** Which managed dependencies are not ready, by the names the seeds use for their components. */
export function unreadyDependencies(model: RegistryModel, observed: ObservedState): string[] {
  const c = model.components;
  const waiting: string[] = [];
  const deployment = (suffix: string) => findObject(observed, 'Deployment', `${model.name}-${suffix}`);
  if (c.postgres.managed && !deploymentAvailable(deployment(SHARED_NAMES.quayDatabase))) waiting.push('postgres');
  if (c.clairpostgres.managed && c.clair.managed && !deploymentAvailable(deployment(SHARED_NAMES.clairPostgres))) waiting.push('clairpostgres');
  if (c.redis.managed && !deploymentAvailable(deployment(SHARED_NAMES.redis))) waiting.push('redis');
  if (c.objectstorage.managed) {
    const claim = findObject(observed, 'ObjectBucketClaim', `${model.name}-${SHARED_NAMES.datastore}`) as Record<string, any> | undefined;
    if (claim?.status?.phase !== 'Bound' || !quayConfigReady(model)) waiting.push('objectstorage');
  }
  return waiting;
}

/**
 * What the API server will not change on a claim, kept as it is: a volume can grow but never shrink
 * (a smaller volumeSize keeps the live size), and its storageClassName is immutable (a changed
 * storageClassName override applies to new claims only).
 */
function claimAsItCanBe(claim: KubeObject, live: KubeObject | undefined): KubeObject {
  const spec = claim.spec as Record<string, any>;
  const liveSpec = (live as Record<string, any> | undefined)?.spec;
  const wanted = spec?.resources?.requests?.storage as string | undefined;
  const current = liveSpec?.resources?.requests?.storage as string | undefined;
  const shrink = wanted !== undefined && current !== undefined && parseQuantity(current) > parseQuantity(wanted);
  const liveClass = liveSpec?.storageClassName as string | undefined;
  const otherClass = spec.storageClassName !== undefined && liveClass !== undefined && liveClass !== spec.storageClassName;
  if (!shrink && !otherClass) return claim;
  return Applier.stamp({
    ...claim,
    spec: {
      ...spec,
      ...(otherClass ? { storageClassName: liveClass } : {}),
      ...(shrink ? { resources: { ...spec.resources, requests: { ...spec.resources.requests, storage: current } } } : {}),
    },
  });
}

/** Annotations the API server or kubectl put on a Deployment: not the operator's to apply. */
const FOREIGN_ANNOTATIONS = ['deployment.kubernetes.io/revision', 'kubectl.kubernetes.io/last-applied-configuration', APPLIED_HASH];

/** Quay's registry state while migrations run: reads (pulls) served, writes refused with Quay's read-only message. */
export const READ_ONLY_OVERRIDE = { REGISTRY_STATE: 'readonly' };

/**
 * During an upgrade the previous version keeps serving, read-only: its live Deployment as it is,
 * with QUAY_OVERRIDE_CONFIG (which Quay applies over config.yaml) setting REGISTRY_STATE readonly.
 * replicas only where the operator sets them (HPA unmanaged): an HPA keeps scaling it otherwise.
 */
export function readOnlyPrevious(live: KubeObject, rendered: KubeObject): KubeObject {
  const o = live as Record<string, any>;
  const annotations = Object.fromEntries(Object.entries((o.metadata.annotations ?? {}) as Record<string, string>).filter(([k]) => !FOREIGN_ANNOTATIONS.includes(k)));
  const { replicas, ...spec } = o.spec;
  const wantsReplicas = (rendered.spec as Record<string, any>)?.replicas !== undefined;
  const containers = (spec.template.spec.containers as Record<string, any>[]).map((c) => {
    if (c.name !== SHARED_NAMES.quayApp) return c;
    const env = ((c.env ?? []) as Record<string, any>[]).filter((e) => e.name !== QUAY_OVERRIDE_CONFIG_ENV);
    const existing = ((c.env ?? []) as Record<string, any>[]).find((e) => e.name === QUAY_OVERRIDE_CONFIG_ENV)?.value;
    let override: Record<string, unknown> = {};
    try {
      override = existing ? (JSON.parse(existing) as Record<string, unknown>) : {};
    } catch {
      override = {};
    }
    return { ...c, env: [...env, { name: QUAY_OVERRIDE_CONFIG_ENV, value: JSON.stringify({ ...override, ...READ_ONLY_OVERRIDE }) }] };
  });
  return Applier.stamp({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      ...(o.metadata.labels ? { labels: o.metadata.labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(o.metadata.ownerReferences ? { ownerReferences: o.metadata.ownerReferences } : {}),
    },
    spec: { ...spec, ...(wantsReplicas && replicas !== undefined ? { replicas } : {}), template: { ...spec.template, spec: { ...spec.template.spec, containers } } },
  });
}

/** Label selectors compared as the API server stores them (key order aside). */
function sameSelector(a: unknown, b: unknown): boolean {
  const norm = (s: any) => JSON.stringify({ matchLabels: Object.entries(s?.matchLabels ?? {}).sort(), matchExpressions: s?.matchExpressions ?? [] });
  return norm(a) === norm(b);
}

/** Holds a Deployment at 0 replicas (an HPA does not scale a Deployment at 0); re-stamped, as it differs from the rendered one. */
function heldAtZero(d: KubeObject): KubeObject {
  return Applier.stamp({ ...d, spec: { ...(d.spec as object), replicas: 0 } });
}

/**
 * `renderUpgrade`: the objects of a database's major upgrade (renderPostgresUpgrade, owned and
 * stamped like `rendered`), for a database whose live Deployment runs an older PostgreSQL major.
 */
export function plan(
  model: RegistryModel,
  rendered: readonly KubeObject[],
  observed: ObservedState,
  currentVersion: string | undefined,
  uid: string | undefined,
  renderUpgrade: (u: DatabaseUpgrade) => readonly KubeObject[] = () => [],
): Plan {
  const version = model.environment.quayVersion;
  // A database major upgrade first: the database, and what uses it, held at 0 until the data is copied.
  const dbUpgrades = databaseUpgrades(model, observed);
  const pendingDb = new Set(dbUpgrades.filter((u) => u.phase !== 'done').map((u) => u.kind));
  const d = (suffix: string) => `Deployment/${model.name}-${suffix}`;
  const oldDatabases = new Set<string>([...(pendingDb.has('postgres') ? [d(SHARED_NAMES.quayDatabase)] : []), ...(pendingDb.has('clairpostgres') ? [d(SHARED_NAMES.clairPostgres)] : [])]);
  const heldForDb = new Set<string>([
    ...(pendingDb.has('postgres') ? [d(SHARED_NAMES.quayApp), d(SHARED_NAMES.mirror)] : []),
    ...(pendingDb.has('clairpostgres') ? [d(SHARED_NAMES.clairApp)] : []),
  ]);
  const scaleDown: string[] = [];
  // The Job Quay waits for: the migration Job, or the schema check of a site that does not migrate.
  const jobName = migrationGateJobName(model);
  const elsewhere = !runsMigrations(model.registry.spec);
  const skippedForDb = new Set<string>([
    ...(pendingDb.has('postgres') ? [`Job/${jobName}`, `HorizontalPodAutoscaler/${model.name}-${SHARED_NAMES.quayApp}`, `HorizontalPodAutoscaler/${model.name}-${SHARED_NAMES.mirror}`] : []),
    ...(pendingDb.has('clairpostgres') ? [`HorizontalPodAutoscaler/${model.name}-${SHARED_NAMES.clairApp}`] : []),
  ]);
  const waitingFor = unreadyDependencies(model, observed);
  const dependents = dependentWorkloads(model);

  // Migration state: done when status says this version migrated, else read from the Job.
  const liveJob = findObject(observed, 'Job', jobName);
  let migration: Plan['migration'];
  let replaceJob = false;
  if (currentVersion === version) {
    migration = { phase: 'done' };
  } else if (!liveJob) {
    migration = { phase: 'waiting' };
  } else if (annotation(liveJob, QUAY_VERSION_ANNOTATION) !== version) {
    // A Job from another version: replace it once it is not running (PROJQUAY-11189).
    migration = { phase: jobState(liveJob) === 'active' ? 'running' : 'waiting' };
    replaceJob = jobState(liveJob) !== 'active';
  } else {
    const state = jobState(liveJob);
    const retry = model.registry.metadata.annotations?.[RETRY_MIGRATION_ANNOTATION];
    if (state === 'failed' && retry !== undefined && retry !== annotation(liveJob, RETRY_MIGRATION_ANNOTATION)) {
      // The admin asked for another run: the failed Job goes, a new one is created next.
      migration = { phase: 'waiting' };
      replaceJob = true;
    } else if (state === 'failed') {
      const why = (liveJob as any).status?.conditions?.find((c: any) => c.type === 'Failed')?.message ?? 'failed to run migrations';
      const retryHint = `retry with \`kubectl annotate quayregistry -n ${model.namespace} ${model.name} --overwrite ${RETRY_MIGRATION_ANNOTATION}=<a new value>\``;
      const hint = elsewhere
        ? `the schema check of the shared database failed (spec.migrations.run is false): see \`kubectl logs -n ${model.namespace} job/${jobName}\` (e.g. a site with a newer Quay migrated it); once the cause is fixed, ${retryHint}`
        : `see \`kubectl logs -n ${model.namespace} job/${jobName}\`; once the cause is fixed, ${retryHint}`;
      migration = { phase: 'failed', message: `${why}; ${hint}` };
    } else {
      migration = state === 'succeeded' ? { phase: 'succeeded' } : { phase: 'running' };
    }
  }
  if (elsewhere) migration = { ...migration, elsewhere: true };
  const migrated = migration.phase === 'done' || migration.phase === 'succeeded';
  // An upgrade of a registry that served a previous version (not a new install): that version keeps serving, read-only.
  const upgrading = currentVersion !== undefined && currentVersion !== version;

  const apply: KubeObject[] = [];
  const replace: KubeObject[] = [];
  for (const obj of rendered) {
    const k = key(obj);
    const liveSelector = obj.kind === 'Deployment' ? ((findObject(observed, 'Deployment', obj.metadata.name) as Record<string, any> | undefined)?.spec?.selector as unknown) : undefined;
    if (liveSelector !== undefined && !sameSelector(liveSelector, (obj.spec as Record<string, any>).selector)) {
      replace.push(findObject(observed, 'Deployment', obj.metadata.name)!);
      continue;
    }
    if (oldDatabases.has(k)) {
      const live = findObject(observed, 'Deployment', obj.metadata.name) as Record<string, any> | undefined;
      if (live && live.spec?.replicas !== 0) scaleDown.push(obj.metadata.name);
      continue;
    }
    if (heldForDb.has(k)) {
      apply.push(heldAtZero(obj));
      continue;
    }
    if (skippedForDb.has(k)) continue;
    if (waitingFor.length > 0 && dependents.has(k)) continue;
    if (obj.kind === 'Job' && obj.metadata.name === jobName) {
      // Jobs are immutable and migrations not idempotent: create it only when this version needs
      // migrating and no Job for it exists yet.
      if (!migrated && !liveJob) apply.push(obj);
      continue;
    }
    if (!migrated && k === `Deployment/${model.name}-${SHARED_NAMES.quayApp}` && upgrading && observed.previousQuayApp) {
      apply.push(readOnlyPrevious(observed.previousQuayApp, obj));
      continue;
    }
    if (!migrated && (k === `Deployment/${model.name}-${SHARED_NAMES.quayApp}` || k === `Deployment/${model.name}-${SHARED_NAMES.mirror}`)) {
      apply.push(heldAtZero(obj));
      continue;
    }
    if (!migrated && (k === `HorizontalPodAutoscaler/${model.name}-${SHARED_NAMES.quayApp}` || k === `HorizontalPodAutoscaler/${model.name}-${SHARED_NAMES.mirror}`)) continue;
    if (obj.kind === 'PersistentVolumeClaim') {
      apply.push(claimAsItCanBe(obj, findObject(observed, 'PersistentVolumeClaim', obj.metadata.name)));
      continue;
    }
    apply.push(obj);
  }

  const protectedKeys = new Set<string>();
  const claimsInUse = new Set<string>();
  for (const u of dbUpgrades) {
    const objects = renderUpgrade(u);
    apply.push(...upgradePartsFor(u, objects, observed));
    // Not pruned while the upgrade runs; its Job not before the new major runs (it records the copy).
    for (const o of objects) if (u.phase !== 'done' || o.kind === 'Job') protectedKeys.add(key(o));
    if (u.phase !== 'done') claimsInUse.add(u.oldClaim);
  }

  // Prune what we own and no longer render. Nothing while rendering is incomplete (a bucket that
  // lost its credentials must not delete Quay); PVCs never. A Secret or ConfigMap only once nothing
  // reads it: no rendered pod template (applied above) and no pod of the registry still running,
  // whatever the state of other Deployments (an editor that is not ready holds nothing back).
  // While dependents are held back their live templates are the old ones, so config waits too.
  const wanted = new Set([...rendered.map(key), ...protectedKeys]);
  const remove: KubeObject[] = [];
  const keptVolumes: string[] = [];
  const configInUse: string[] = [];
  const complete = quayConfigReady(model);
  const read = new Set<string>();
  for (const o of rendered) for (const r of configReferences(templateSpec(o as Record<string, any>))) read.add(r);
  for (const pod of observed.pods ?? []) if (podHoldsMounts(pod as Record<string, any>)) for (const r of configReferences((pod as Record<string, any>).spec)) read.add(r);
  for (const obj of observed.owned) {
    if (obj.metadata.namespace !== model.namespace || !ownedBy(obj, uid) || wanted.has(key(obj))) continue;
    if (obj.kind === 'PersistentVolumeClaim') {
      if (!claimsInUse.has(obj.metadata.name)) keptVolumes.push(obj.metadata.name);
    } else if (obj.kind === 'Job' && obj.metadata.name === quayUpgradeJobName(model) && jobState(obj) === 'active') {
      // A migration under way (the site was just told not to migrate): stopped halfway, the schema would be broken.
      continue;
    } else if (obj.kind === 'Secret' && obj.metadata.name.startsWith(`${model.name}-${SHARED_NAMES.managedKeys}`)) {
      // An older keys Secret (upstream's hashed name before 3.6.4): the only copy of keys that encrypt data. Never pruned.
      continue;
    }
    else if (isConfig(obj) && (observed.pods === undefined || waitingFor.length > 0 || read.has(key(obj)))) configInUse.push(key(obj));
    else if (complete) remove.push(obj);
  }
  if (replaceJob && liveJob) remove.push(liveJob);

  return {
    apply,
    remove,
    keptVolumes,
    waitingFor,
    migration,
    configInUse,
    databaseUpgrades: dbUpgrades,
    scaleDown,
    replace,
    ...(migrated ? { currentVersion: version } : currentVersion !== undefined ? { currentVersion } : {}),
  };
}
