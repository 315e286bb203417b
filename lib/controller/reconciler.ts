// One reconcile of one QuayRegistry: observe, synthesize, plan, apply, prune, report. Every decision
// is made by the pure functions it calls (buildModel, renderRegistry, plan, computeStatus); this
// file only gathers inputs and performs the writes they ask for.
import { objectBucketFromProvisioner } from '../../constructs/object-storage';
import { SHARED_NAMES } from '../../constructs/shared/component';
import { API_VERSION, KIND, LABEL_REGISTRY, QuayRegistryStatus } from '../api/types';
import { bundleFromSecret, ConfigBundle } from '../bundle/bundle';
import { parseQuayRegistry } from '../api/validate';
import { Environment, RegistryModel, buildModel } from '../model';
import { Problem, problem } from '../problems';
import { decideUpgrade } from '../upgrade/versions';
import { KubeObject, renderCredentials, renderPostgresUpgrade, renderRegistry, sortObjects } from '../synth';
import type { DatabaseUpgrade } from './postgres-upgrade';
import { Applier } from './applier';
import { prepareBackupRestore } from './backup-restore';
import { prepareClairImport } from './clair-import';
import { managedKeysSecretName } from '../keys';
import { holdsData, keysOwnerReferencesPatch, releasedByApply, retainsData } from './retention';
import type { RegistryEvent } from './events';
import type { KubeClient } from './kube-client';
import { FINALIZER, finalizeRegistry, removeDashboard } from './finalizer';
import { MonitoringLabel } from './monitoring-label';
import { RegistryWrites, transitions } from './registry-writes';
import { RegistryUpgradeState, upgradeStateOf } from './operator-condition';
import { readOrCreateManagedKeys } from './managed-keys';
import type { InputCache } from './inputs';
import { ObservedState } from './observed';
import { configPruneCandidates, plan as makePlan } from './plan';
import type { RefusalReporter } from './refusals';
import { OWNED_KINDS, ownerReference, typeOf } from './resources';
import { computeStatus, mergeConditions } from './status';
import { InitialUserDeps, InitialUserResult, reconcileInitialUser, withInitialUser } from './initial-user';
import { Logger } from './runtime/logger';
import { dropManagedFields } from './runtime/store';

/** Marks a PVC the operator no longer renders and has reported as kept. */
export const KEPT_ANNOTATION = 'quay-operator/kept';
/** How soon old config objects still mounted by a pod are looked at again. */
export const CONFIG_PRUNE_RECHECK_MS = 15_000;

/** Read access to the informers' caches. */
export interface ReadCache {
  get(namespace: string | undefined, name: string): KubeObject | undefined;
  list(namespace?: string): KubeObject[];
}

export interface ReconcilerDeps {
  readonly client: KubeClient;
  readonly registries: ReadCache;
  /** One cache per owned kind, holding objects labelled quay-operator/quayregistry. */
  readonly owned: ReadonlyMap<string, ReadCache>;
  /** The registries' Secret and ConfigMap inputs (bundle, certificate, keys, bucket), from the caches. */
  readonly inputs: InputCache;
  readonly environment: () => Environment;
  /** Starts watching kinds not watched yet (only some registries render them) before they are applied. */
  readonly watchKinds?: (kinds: Iterable<string>) => Promise<void>;
  readonly applier: Applier;
  readonly logger: Logger;
  /** Where refused writes are reported (log, Event, metric). */
  readonly refusals: RefusalReporter;
  readonly now?: () => Date;
  /** Told, once planned, whether a migration or a PostgreSQL upgrade runs (OperatorCondition under OLM). */
  readonly onUpgradeState?: (namespace: string, name: string, state: RegistryUpgradeState) => void;
  /** How the first user (spec.initialUser) is created through Quay's API. */
  readonly initialUser: InitialUserDeps;
}

export interface ReconcileResult {
  readonly requeueAfterMs?: number;
  /** Writes made (applies, deletes, status), for metrics and tests. */
  readonly writes: number;
}

type Obj = Record<string, any>;


export class Reconciler {
  private readonly monitoringLabel: MonitoringLabel;
  /**
   * Objects deleted by this process, with the resourceVersion the cache had: hidden from observe()
   * until the watch tells, so the next reconcile does not delete them again (a 404) meanwhile.
   */
  private readonly deleted = new Map<string, string | undefined>();

  private readonly writes: RegistryWrites;

  constructor(private readonly deps: ReconcilerDeps) {
    this.writes = new RegistryWrites({ ...deps, now: () => this.now() });
    this.monitoringLabel = new MonitoringLabel({ ...deps, guarded: (registry, target, write) => this.writes.guarded(registry, target, write) });
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const registry = this.deps.registries.get(namespace, name);
    if (!registry) return { writes: 0 }; // deleted: ownerReferences let the garbage collector clean up
    if (registry.metadata.deletionTimestamp) return { writes: await finalizeRegistry({ ...this.deps, writes: this.writes, monitoringLabel: this.monitoringLabel }, registry) };

    const { inputs } = this.deps;
    const env = this.deps.environment();
    const spec = (registry.spec ?? {}) as Obj;
    let writes = 0;

    // The registry itself is checked before anything is written for it: the keys Secret is named and
    // labelled after it (a name too long for a label was a refused create, retried forever).
    // Its inputs are read only once it is valid (their names may not be names), as the CLI does.
    const problems: Problem[] = [...parseQuayRegistry({ ...registry, apiVersion: API_VERSION, kind: KIND }).problems];
    const valid = problems.length === 0;
    // Inputs from the Secret and ConfigMap caches, which keep data only for what registries read.
    let bundle: ConfigBundle | undefined;
    if (valid && typeof spec.configBundleSecret === 'string') {
      const secret = await inputs.get('Secret', namespace, spec.configBundleSecret, true);
      if (!secret) problems.push(problem('spec.configBundleSecret', `unable to get \`configBundleSecret\`: Secret ${spec.configBundleSecret} not found`));
      else {
        const result = bundleFromSecret(secret as Obj);
        if (result.bundle) bundle = result.bundle;
        else problems.push(...result.problems.map((p) => ({ ...p, path: `configBundleSecret ${spec.configBundleSecret}: ${p.path}` })));
      }
    }
    // The certificate's Secret (spec.tlsSecret), read like the bundle: the user's, not labelled.
    const tlsSecret = valid && typeof spec.tlsSecret === 'string' ? await inputs.get('Secret', namespace, spec.tlsSecret, true) : undefined;
    const datastore = `${name}-${SHARED_NAMES.datastore}`;
    const [datastoreSecret, datastoreConfigMap] = valid && env.capabilities.objectBucketClaims
      ? await Promise.all([inputs.get('Secret', namespace, datastore), inputs.get('ConfigMap', namespace, datastore)])
      : [undefined, undefined];

    const registryObj = { ...registry, apiVersion: API_VERSION, kind: KIND };
    if (problems.length === 0) {
      const keys = await readOrCreateManagedKeys(this.deps, registryObj);
      writes += keys.created ? 1 : 0;
      const objectBucket = objectBucketFromProvisioner(datastoreSecret, datastoreConfigMap);
      const result = buildModel({
        registry: registryObj,
        ...(bundle ? { bundle } : {}),
        existingKeys: keys.values,
        ...(objectBucket ? { objectBucket } : {}),
        ...(tlsSecret ? { tlsSecret } : {}),
        environment: env,
      });
      problems.push(...result.problems);
      // The seeds' rules: a version this registry cannot be upgraded from is left alone, whole.
      const decision = decideUpgrade((registry.status as QuayRegistryStatus | undefined)?.currentVersion, env.quayVersion);
      if (result.model && decision.kind === 'unsupported') problems.push(problem('status.currentVersion', decision.message, 'UpgradeUnsupported'));
      else if (result.model) return this.rollout(registryObj, result.model, writes);
    }
    return this.blocked(registryObj, problems, writes);
  }

  private observe(registry: KubeObject): ObservedState {
    const { namespace, name } = registry.metadata as { namespace: string; name: string };
    const owned: KubeObject[] = [];
    const stillCached = new Set<string>();
    for (const kind of OWNED_KINDS) {
      const cache = this.deps.owned.get(kind);
      if (!cache) continue;
      for (const o of cache.list(namespace)) {
        if (o.metadata.labels?.[LABEL_REGISTRY] !== name) continue;
        const k = deletedKey(o);
        if (this.deleted.has(k) && this.deleted.get(k) === o.metadata.resourceVersion) {
          stillCached.add(k);
          continue;
        }
        owned.push(o);
      }
    }
    for (const k of this.deleted.keys()) if (k.startsWith(`${namespace}/`) && !stillCached.has(k)) this.deleted.delete(k);
    return { owned };
  }

  /** During an upgrade, the live quay-app in full (the cache keeps no template): the previous version serves read-only from it. */
  private async withPreviousQuay(registry: KubeObject, model: RegistryModel, previous: QuayRegistryStatus | undefined, observed: ObservedState): Promise<ObservedState> {
    const current = previous?.currentVersion;
    if (current === undefined || current === model.environment.quayVersion) return observed;
    const name = `${model.name}-${SHARED_NAMES.quayApp}`;
    if (!this.deps.owned.get('Deployment')?.get(model.namespace, name)) return observed;
    const live = await this.deps.client.get(typeOf('Deployment'), model.namespace, name);
    return live ? { ...observed, previousQuayApp: dropManagedFields(live) } : observed;
  }

  /** Lists the registry's pods when old config objects wait to be pruned: they may still mount them. */
  private async withPods(registry: KubeObject, model: RegistryModel, rendered: readonly KubeObject[], observed: ObservedState): Promise<ObservedState> {
    if (configPruneCandidates(model, rendered, observed, registry.metadata.uid).length === 0) return observed;
    try {
      const { items } = await this.deps.client.list(typeOf('Pod'), { namespace: registry.metadata.namespace, labelSelector: `${LABEL_REGISTRY}=${registry.metadata.name}` });
      return { ...observed, pods: items };
    } catch (err) {
      // Not known: nothing is pruned this time.
      this.deps.logger.warn('could not list pods; old config objects are kept for now', { registry: registry.metadata.name, err: (err as Error).message });
      return observed;
    }
  }

  private async rollout(registry: KubeObject, model: NonNullable<ReturnType<typeof buildModel>['model']>, writesSoFar: number): Promise<ReconcileResult> {
    const { client, applier } = this.deps;
    let writes = writesSoFar;
    // Stamped before planning, so the plan can tell which objects are about to change.
    // The render references the credential Secrets; the controller applies them too (what `keys` prints).
    const rendered = sortObjects([...renderRegistry(model).objects, ...renderCredentials(model)]).map((o) => Applier.stamp(withOwner(o, registry)));
    await this.deps.watchKinds?.(new Set(rendered.map((o) => o.kind)));
    const previous = registry.status as QuayRegistryStatus | undefined;
    const observed = await this.withPreviousQuay(registry, model, previous, await this.withPods(registry, model, rendered, this.observe(registry)));
    // A managed database on an older PostgreSQL major: its upgrade's objects, owned like the render.
    const renderUpgrade = (u: DatabaseUpgrade) => renderPostgresUpgrade(model, u.kind, u.oldClaim, u.oldImage).map((o) => Applier.stamp(withOwner(o, registry)));
    // spec.backup and the restore annotation: their reads, then their holds and Jobs in the plan (backup-restore.ts).
    const day2 = await prepareBackupRestore(this.deps.client, registry, model, rendered, observed, previous, this.now());
    // The quay-operator/clair-import-updaters annotation: its Job and status (clair-import.ts).
    const clairImport = await prepareClairImport(this.deps.client, registry, model, observed, previous, this.now());
    const thePlan = clairImport.adjust(day2.adjust(makePlan(model, rendered, observed, previous?.currentVersion, registry.metadata.uid, renderUpgrade)));
    this.deps.onUpgradeState?.(model.namespace, model.name, upgradeStateOf(thePlan, previous?.currentVersion, model.environment.quayVersion, day2.restoreInProgress));
    const events: RegistryEvent[] = [];

    let applyError: string | undefined;
    // The first refused write: the reconcile still does what it can, then is retried with backoff.
    let failure: unknown;
    const live = (o: KubeObject) => this.deps.owned.get(o.kind)?.get(o.metadata.namespace, o.metadata.name);
    const released = releasedByApply(thePlan.apply, registry, live);
    for (const obj of thePlan.apply) {
      let wrote = false;
      const err = await this.writes.guarded(registry, { verb: 'apply', kind: obj.kind, name: obj.metadata.name }, async () => {
        wrote = await applier.apply(obj, live(obj));
      });
      if (err) {
        applyError = `error creating/updating object ${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`;
        failure = err;
        break; // later objects may depend on this one
      }
      if (wrote) writes++;
    }
    if (!applyError) {
      // Taken over with another selector: deleted orphaning its ReplicaSets (pods keep serving), created next time.
      for (const obj of thePlan.replace) {
        const err = await this.deleteOwned(registry, obj, 'Orphan', 'replacing a Deployment whose selector differs (immutable)');
        if (err) failure ??= err;
        else writes++;
      }
      // A database on its old major stops as it is: its template is what says an upgrade is due.
      for (const name of thePlan.scaleDown) {
        const err = await this.writes.guarded(registry, { verb: 'patch', kind: 'Deployment', name }, () =>
          client.mergePatch(typeOf('Deployment'), registry.metadata.namespace, name, { spec: { replicas: 0 } }),
        );
        if (err) failure ??= err;
        else writes++;
      }
      const keysSecret = { kind: 'Secret', metadata: { name: managedKeysSecretName(registry.metadata.name), namespace: registry.metadata.namespace } } as KubeObject;
      const release = keysOwnerReferencesPatch(registry, live(keysSecret));
      if (release) {
        const err = await this.writes.guarded(registry, { verb: 'patch', kind: 'Secret', name: keysSecret.metadata.name }, () =>
          client.mergePatch(typeOf('Secret'), registry.metadata.namespace, keysSecret.metadata.name, release),
        );
        if (err) failure ??= err;
        else writes++;
      }
      for (const obj of thePlan.remove) {
        // A Job's pods go with it (Jobs orphan them by default).
        const err = await this.deleteOwned(registry, obj, obj.kind === 'Job' ? 'Foreground' : 'Background', 'pruned');
        if (err) failure ??= err;
        else writes++;
      }
      if (!model.components.monitoring.managed) {
        const removed = await removeDashboard({ ...this.deps, writes: this.writes }, registry);
        writes += removed.writes;
        failure ??= removed.error;
      }
      const previouslyMonitored = (previous?.components ?? []).some((c) => c.kind === 'monitoring' && c.managed);
      const labelled = await this.monitoringLabel.reconcile(registry, model.components.monitoring.managed, previouslyMonitored);
      writes += labelled.writes;
      failure ??= labelled.error;
      if (model.components.monitoring.managed && !(registry.metadata.finalizers ?? []).includes(FINALIZER)) {
        // The dashboard lives in another namespace, out of reach of ownerReferences.
        const err = await this.writes.guarded(registry, { verb: 'patch', kind: 'QuayRegistry', name: registry.metadata.name }, () =>
          client.mergePatch(typeOf('QuayRegistry'), registry.metadata.namespace, registry.metadata.name, {
            metadata: { finalizers: [...(registry.metadata.finalizers ?? []), FINALIZER], resourceVersion: registry.metadata.resourceVersion },
          }),
        );
        if (err) failure ??= err;
        else writes++;
      }
    }

    const computed = computeStatus({
      previous,
      generation: registry.metadata.generation,
      now: this.now().toISOString(),
      uid: registry.metadata.uid,
      ...(applyError ? { applyError } : {}),
      model,
      plan: thePlan,
      observed,
    });
    // The first user (spec.initialUser), once Quay is Available.
    let firstUser: InitialUserResult = { writes: 0 };
    try {
      firstUser = await reconcileInitialUser(this.deps.initialUser, registry, model, previous, computed.conditions?.find((c) => c.type === 'Available')?.status === 'True', this.now());
    } catch (err) {
      failure ??= err;
    }
    writes += firstUser.writes;
    if (firstUser.event) events.push(firstUser.event);
    const status = clairImport.status(day2.status(withInitialUser(computed, previous, firstUser, mergeConditions, this.now().toISOString()), this.now().toISOString()), this.now().toISOString());
    events.push(...transitions(previous, status), ...day2.events, ...clairImport.events);
    if (released.length > 0 && !applyError) {
      events.push({ type: 'Normal', reason: 'DataRetained', message: `${released.join(', ')} no longer owned by the registry: kept when it is deleted (persistentVolumeClaimRetentionPolicy.whenDeleted: Retain)` });
    }
    // A PVC no longer rendered keeps its data: reported once, and marked so it is not reported again.
    for (const pvc of thePlan.keptVolumes) {
      const claim = this.deps.owned.get('PersistentVolumeClaim')?.get(registry.metadata.namespace, pvc);
      if (!claim || claim.metadata.annotations?.[KEPT_ANNOTATION]) continue;
      const err = await this.writes.guarded(registry, { verb: 'patch', kind: 'PersistentVolumeClaim', name: pvc }, () =>
        client.mergePatch(typeOf('PersistentVolumeClaim'), registry.metadata.namespace, pvc, { metadata: { annotations: { [KEPT_ANNOTATION]: 'true' } } }),
      );
      if (err) {
        failure ??= err;
        continue;
      }
      writes++;
      events.push({ type: 'Warning', reason: 'PersistentVolumeClaimKept', message: `PersistentVolumeClaim ${pvc} is no longer used and was kept with its data; delete it yourself when you no longer need it` });
    }
    const statusWrite = await this.writes.writeStatus(registry, previous, status, events);
    writes += statusWrite.writes;
    failure ??= statusWrite.error;
    if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
    const dbUpgrading = thePlan.databaseUpgrades.some((u) => u.phase !== 'done' && u.phase !== 'failed');
    const waiting = dbUpgrading || thePlan.waitingFor.length > 0 || thePlan.migration.phase === 'running' || thePlan.migration.phase === 'waiting';
    // Pods are not watched: old config still mounted by a stopping pod is looked at again shortly.
    const configWaits = thePlan.configInUse.length > 0;
    const requeues = [waiting ? 30_000 : undefined, configWaits ? CONFIG_PRUNE_RECHECK_MS : undefined, firstUser.requeueAfterMs, day2.requeueAfterMs, clairImport.requeueAfterMs].filter((ms): ms is number => ms !== undefined);
    return { writes, ...(requeues.length > 0 ? { requeueAfterMs: Math.min(...requeues) } : {}) };
  }

  /** Deletes an object of the registry; the applier forgets it. Returns the refusal, if any. */
  private async deleteOwned(registry: KubeObject, obj: KubeObject, propagation: 'Background' | 'Foreground' | 'Orphan', what: string): Promise<unknown> {
    const err = await this.writes.guarded(registry, { verb: 'delete', kind: obj.kind, name: obj.metadata.name }, () =>
      this.deps.client.delete(typeOf(obj.kind), obj.metadata.namespace, obj.metadata.name, propagation),
    );
    if (!err) {
      this.deleted.set(deletedKey(obj), obj.metadata.resourceVersion);
      this.deps.applier.forget(obj);
      this.deps.logger.info(what, { registry: registry.metadata.name, kind: obj.kind, name: obj.metadata.name });
    }
    return err;
  }

  private async blocked(registry: KubeObject, problems: Problem[], writesSoFar: number): Promise<ReconcileResult> {
    const previous = registry.status as QuayRegistryStatus | undefined;
    const status = computeStatus({ previous, generation: registry.metadata.generation, now: this.now().toISOString(), uid: registry.metadata.uid, problems });
    const { writes, error } = await this.writes.writeStatus(registry, previous, status, transitions(previous, status));
    this.deps.logger.warn('rollout blocked', { registry: registry.metadata.name, namespace: registry.metadata.namespace, problems: problems.map((p) => `${p.path}: ${p.message}`) });
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return { writes: writesSoFar + writes };
  }
}


function deletedKey(o: KubeObject): string {
  return `${o.metadata.namespace}/${o.kind}/${o.metadata.name}`;
}

/** Objects in the registry's namespace are owned by it, so deleting the registry removes them (its data only with whenDeleted: Delete). */
function withOwner(obj: KubeObject, registry: KubeObject): KubeObject {
  if (obj.metadata.namespace !== registry.metadata.namespace) return obj;
  if (retainsData(registry) && holdsData(obj, registry.metadata.name)) return obj;
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: [ownerReference(registry)] } };
}
