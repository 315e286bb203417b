// A restore, asked for with the quay-operator/restore annotation (what `quay-operator restore` sets),
// as a sequence of phases recorded in status.restore, decided here from what was observed (pure):
//   Inspecting   a Job reads the dump's metadata from the backup volume or bucket; the dump is refused (Refused,
//                nothing stopped) unless it is this registry's (namespace, name, uid or keys) and of a
//                Quay version this operator can run (the same, or older on a supported upgrade path);
//   ScalingDown  Quay, mirror and Clair held at 0, backups suspended, no migration started, until
//                their pods are gone;
//   Restoring    a Job restores the dump in one transaction (constructs/restore.ts);
//   Migrating    (a dump of an older Quay) the migration Job of before is replaced, so the restored
//                database is migrated to this version before Quay serves again;
//   Succeeded or Failed: Quay, mirror and Clair started again.
// The request is the annotation's value and the quay-operator/restore-id annotation: the same pair is
// done once; another value (or id) is a new restore.
import { keysDigest, backupClaimName } from '../../constructs/backup';
import { objectStoreDescription } from '../../constructs/backup-object-storage';
import { RestoreRequest, renderRestoreJob, restoreJobName } from '../../constructs/restore';
import { BackupComponent, RESTORE_ANNOTATION, RESTORE_ID_ANNOTATION, RestorePhase, RestoreStatus, parseDumpName } from '../api/backup';
import type { RegistryModel } from '../model';
import type { KubeObject } from '../synth';
import { decideUpgrade, parseQuayVersion } from '../upgrade/versions';
import type { PodReport } from './backups';
import type { RegistryEvent } from './events';
import { ObservedState, conditionOf, findObject, jobState } from './observed';

export const RESTORE_TERMINAL: readonly RestorePhase[] = ['Succeeded', 'Refused', 'Failed'];
const MESSAGE_MAX = 400;

type Obj = Record<string, any>;

/** The restore the registry's annotations ask for, if any. */
export function restoreRequested(registry: KubeObject): { dump: string; id?: string } | undefined {
  const a = registry.metadata.annotations ?? {};
  const dump = a[RESTORE_ANNOTATION]?.trim();
  if (!dump) return undefined;
  return { dump, ...(a[RESTORE_ID_ANNOTATION] ? { id: a[RESTORE_ID_ANNOTATION] } : {}) };
}

/** What the inspect Job reports. */
export type InspectReport =
  | { readonly found: true; readonly actualSize: number; readonly metadata: Readonly<Record<string, unknown>> }
  | { readonly found: false; readonly available: readonly string[] };

export function parseInspectReport(text: string | undefined): InspectReport | undefined {
  try {
    const r = JSON.parse(text ?? '') as Obj;
    if (r.found === true && typeof r.metadata === 'object' && r.metadata !== null) return { found: true, actualSize: Number(r.actualSize), metadata: r.metadata };
    if (r.found === false) return { found: false, available: Array.isArray(r.available) ? r.available.map(String) : [] };
  } catch {
    // not a report: the caller says so
  }
  return undefined;
}

export interface Verdict {
  readonly refused?: string;
  readonly dumpVersion?: string;
  readonly dumpCreated?: string;
  readonly dumpSize?: number;
}

/**
 * Where the dumps are, for messages: `on PersistentVolumeClaim <claim>`, or `in the ... bucket
 * under <prefix>/<namespace>/<registry>/` (the bucket named by what holds it, not by its name).
 */
export function dumpsWhere(model: RegistryModel): string {
  const bucket = objectStoreDescription(model);
  return bucket ? `in ${bucket}` : `on PersistentVolumeClaim ${backupClaimName(model)}`;
}

/** Whether the dump may be restored into this registry, and if not, why (the condition's message, the CLI's error). */
export function judgeDump(model: RegistryModel, dump: string, component: BackupComponent, report: InspectReport): Verdict {
  const where = dumpsWhere(model);
  if (!report.found) {
    const mine = report.available.filter((n) => n.startsWith(`${model.name}-`));
    return { refused: `dump ${dump} is not ${where}; ${mine.length ? `this registry's newest there: ${mine.slice(0, 5).join(', ')}` : 'this registry has no dump there'}` };
  }
  const m = report.metadata as Obj;
  const str = (k: string) => (typeof m[k] === 'string' ? (m[k] as string) : '');
  if (str('namespace') !== model.namespace || str('registry') !== model.name) {
    return { refused: `dump ${dump} belongs to QuayRegistry ${str('namespace') || '?'}/${str('registry') || '?'}, not ${model.namespace}/${model.name}: a registry restores only its own dumps` };
  }
  if (str('component') !== component) return { refused: `dump ${dump} holds the ${str('component') || 'unknown'} database by its metadata, not ${component} as its name says` };
  const ours = keysDigest(model);
  const uid = model.registry.metadata.uid;
  if (ours && str('keysDigest') && str('keysDigest') !== ours) {
    return {
      refused: `dump ${dump} was made with other keys (DATABASE_SECRET_KEY) than this registry has: Quay could not decrypt what it encrypted. Restore the keys Secret ${model.name}-quay-registry-managed-secret-keys of the registry that made it first`,
    };
  }
  if (uid && str('uid') && str('uid') !== uid && !(ours && str('keysDigest') === ours)) {
    return { refused: `dump ${dump} was made by another QuayRegistry named ${model.name} (uid ${str('uid')}; this one is ${uid}), and records no keys to tell whether Quay could read it` };
  }
  if (typeof m.size === 'number' && report.actualSize !== m.size) {
    return { refused: `dump ${dump} is ${report.actualSize} bytes ${where} but was ${m.size} when written: truncated or changed since` };
  }
  const version = str('quayVersion');
  const operator = model.environment.quayVersion;
  const from = parseQuayVersion(version);
  const to = parseQuayVersion(operator);
  if (!from) return { refused: `dump ${dump} records no Quay version this operator can read (${JSON.stringify(version)})` };
  const decision = decideUpgrade(version, operator);
  if (to && (from.major > to.major || (from.major === to.major && (from.minor > to.minor || (from.minor === to.minor && from.patch > to.patch))))) {
    return { refused: `dump ${dump} was taken with Quay ${version}, newer than this operator's ${operator}: its database schema is ahead of what this Quay runs; restore it with an operator of ${version} or later` };
  }
  if (decision.kind === 'unsupported') return { refused: `dump ${dump} was taken with Quay ${version}: ${decision.message}` };
  return { dumpVersion: version, ...(str('created') ? { dumpCreated: str('created') } : {}), ...(typeof m.size === 'number' ? { dumpSize: m.size } : {}) };
}

/** Whether Quay's database, restored from a dump of `version`, must be migrated to the operator's version. */
export function needsMigration(model: RegistryModel, status: RestoreStatus): boolean {
  if (status.component !== 'postgres' || !status.dumpVersion) return false;
  const a = parseQuayVersion(status.dumpVersion);
  const b = parseQuayVersion(model.environment.quayVersion);
  return !a || !b || a.major !== b.major || a.minor !== b.minor || a.patch !== b.patch || a.prerelease !== b.prerelease;
}

export interface RestoreInputs {
  readonly model: RegistryModel;
  readonly registry: KubeObject;
  readonly observed: ObservedState;
  readonly previous?: RestoreStatus;
  readonly now: string;
  /** Termination messages read this reconcile, by Job name. */
  readonly reports: ReadonlyMap<string, PodReport>;
  /** Quay's, mirror's and Clair's pods are gone (looked at only while ScalingDown). */
  readonly workloadsStopped: boolean;
}

export interface RestoreDecision {
  /** status.restore: undefined when no restore was ever asked for. */
  readonly status?: RestoreStatus;
  /** Quay, mirror and Clair held at 0 and backups suspended. */
  readonly stopWorkloads: boolean;
  /** No migration Job started (the database is about to be replaced). */
  readonly holdMigration: boolean;
  /** A restore Job to apply (not yet owned nor stamped). */
  readonly jobs: KubeObject[];
  /** The current request's Jobs: never pruned (their logs explain the outcome). */
  readonly keep: string[];
  /** The migration Job of before the restore, replaced while Migrating. */
  readonly staleMigrationJob?: KubeObject;
  readonly event?: RegistryEvent;
}

const migrationJobName = (model: RegistryModel) => `${model.name}-quay-app-upgrade`;

function tail(report: PodReport | undefined): string {
  return (report?.message ?? '').slice(-MESSAGE_MAX).trim();
}

export function decideRestore(inputs: RestoreInputs): RestoreDecision {
  const { model, observed, previous: prev, now } = inputs;
  const req = restoreRequested(inputs.registry);
  const same = req !== undefined && prev !== undefined && prev.dump === req.dump && (prev.id ?? '') === (req.id ?? '');
  let s: RestoreStatus | undefined = prev;
  // A restore that has begun replacing the database finishes, whatever the annotations say now.
  const committed = prev !== undefined && (prev.phase === 'Restoring' || prev.phase === 'Migrating');
  if (!committed && req && !same) s = start(model, req, now);
  else if (!committed && !req && prev && !RESTORE_TERMINAL.includes(prev.phase)) {
    s = { ...prev, phase: 'Failed', completionTime: now, message: `cancelled: the ${RESTORE_ANNOTATION} annotation was removed before the database was touched; nothing was changed` };
  }
  if (!s) return { stopWorkloads: false, holdMigration: false, jobs: [], keep: [] };

  const request: RestoreRequest = { dump: s.dump, ...(s.id ? { id: s.id } : {}), component: s.component ?? 'postgres' };
  const inspectName = restoreJobName(model, request, 'inspect');
  const restoreName = restoreJobName(model, request, 'restore');
  const jobs: KubeObject[] = [];
  let stale: KubeObject | undefined;
  const job = (name: string) => findObject(observed, 'Job', name);
  const done = (phase: RestorePhase, message: string): RestoreStatus => ({ ...s!, phase, message, completionTime: now });

  if (s.phase === 'Inspecting') {
    const live = job(inspectName);
    const report = inputs.reports.get(inspectName);
    if (!live) {
      jobs.push(...renderRestoreJob(model, request, 'inspect'));
      s = { ...s, message: `reading the metadata of ${s.dump} ${dumpsWhere(model)} (Job ${inspectName})` };
    } else if (jobState(live) === 'failed') {
      s = done('Failed', `could not read ${objectStoreDescription(model) ? 'the bucket' : 'the backup volume'} (Job ${inspectName}): ${[conditionOf(live, 'Failed')?.message, tail(report)].filter(Boolean).join(': ')}; nothing was changed`);
    } else if (jobState(live) === 'succeeded') {
      const parsed = parseInspectReport(report?.message);
      if (!parsed) s = { ...s, message: `waiting for the report of Job ${inspectName}` };
      else {
        const verdict = judgeDump(model, s.dump, request.component, parsed);
        if (verdict.refused) s = done('Refused', verdict.refused);
        else {
          const { refused: _r, ...facts } = verdict;
          void _r;
          s = { ...s, ...facts, phase: 'ScalingDown' };
        }
      }
    }
  }
  if (s.phase === 'ScalingDown') {
    if (inputs.workloadsStopped && !backupRunning(model, observed)) s = { ...s, phase: 'Restoring' };
    else s = { ...s, message: `stopping Quay, mirror, Clair and any backup running before restoring ${s.dump} (taken ${s.dumpCreated ?? '?'} with Quay ${s.dumpVersion ?? '?'})` };
  }
  if (s.phase === 'Restoring') {
    const live = job(restoreName);
    if (!live) {
      jobs.push(...renderRestoreJob(model, request, 'restore'));
      s = { ...s, message: `restoring ${s.dump} into the ${request.component} database (Job ${restoreName}); Quay, mirror and Clair are stopped meanwhile` };
    } else if (jobState(live) === 'failed') {
      const why = tail(inputs.reports.get(restoreName)) || conditionOf(live, 'Failed')?.message || 'the restore Job failed';
      s = done('Failed', `restoring ${s.dump} failed: ${why}; the database is as it was (the restore is one transaction); see \`kubectl logs -n ${model.namespace} job/${restoreName}\``);
    } else if (jobState(live) === 'succeeded') {
      if (needsMigration(model, s)) {
        const old = job(migrationJobName(model));
        s = { ...s, phase: 'Migrating', ...(old?.metadata.uid ? { staleMigrationJob: old.metadata.uid } : {}) };
      } else s = done('Succeeded', restoredMessage(s));
    }
  }
  if (s.phase === 'Migrating') {
    const live = job(migrationJobName(model));
    if (live && s.staleMigrationJob && live.metadata.uid === s.staleMigrationJob) {
      stale = live;
      s = { ...s, message: `restored ${s.dump}; migrating its database from Quay ${s.dumpVersion} to ${model.environment.quayVersion}: replacing the migration Job of before` };
    } else if (live && jobState(live) === 'succeeded') {
      const { staleMigrationJob: _x, ...rest } = s;
      void _x;
      s = { ...rest, phase: 'Succeeded', message: `${restoredMessage(s)}, and migrated to ${model.environment.quayVersion}`, completionTime: now };
    } else if (live && jobState(live) === 'failed') {
      s = done('Failed', `restored ${s.dump}, but migrating its database from Quay ${s.dumpVersion} to ${model.environment.quayVersion} failed: see ComponentsCreated and \`kubectl logs -n ${model.namespace} job/${live.metadata.name}\``);
    } else s = { ...s, message: `restored ${s.dump}; migrating its database from Quay ${s.dumpVersion} to ${model.environment.quayVersion}` };
  }

  const phase = s.phase;
  const changed = !prev || prev.phase !== phase || prev.dump !== s.dump || (prev.id ?? '') !== (s.id ?? '');
  const warning = phase === 'Refused' || phase === 'Failed';
  return {
    status: s,
    stopWorkloads: ['ScalingDown', 'Restoring', 'Migrating'].includes(phase),
    holdMigration: ['ScalingDown', 'Restoring'].includes(phase),
    jobs,
    keep: [inspectName, restoreName],
    ...(stale ? { staleMigrationJob: stale } : {}),
    ...(changed ? { event: { type: warning ? 'Warning' : 'Normal', reason: phase === 'Inspecting' ? 'RestoreStarted' : `Restore${phase}`, message: s.message ?? phase } } : {}),
  };
}

function start(model: RegistryModel, req: { dump: string; id?: string }, now: string): RestoreStatus {
  const base = { dump: req.dump, ...(req.id ? { id: req.id } : {}), startTime: now };
  const refuse = (message: string): RestoreStatus => ({ ...base, phase: 'Refused', message, completionTime: now });
  const name = parseDumpName(req.dump);
  if (!name) return refuse(`${JSON.stringify(req.dump)} is not a dump's name (<registry>-<postgres|clairpostgres>-<YYYYMMDDTHHMMSSZ>-<Quay version>.dump, as status.backups[].lastDump shows)`);
  const withComponent = { ...base, component: name.component };
  if (name.registry !== model.name) return { ...refuse(`dump ${req.dump} is registry ${name.registry}'s, not ${model.name}'s: a registry restores only its own dumps`), component: name.component };
  if (!model.registry.spec.backup) return { ...refuse('spec.backup is not set: the operator restores from the backup volume spec.backup names'), component: name.component };
  if (!model.components[name.component].managed) return { ...refuse(`the ${name.component} component is unmanaged: restore your own database with your provider's tools`), component: name.component };
  return { ...withComponent, phase: 'Inspecting', message: `reading the metadata of ${req.dump}` };
}

function restoredMessage(s: RestoreStatus): string {
  return `restored ${s.dump} (taken ${s.dumpCreated ?? '?'} with Quay ${s.dumpVersion ?? '?'}) into the ${s.component} database; Quay, mirror and Clair run again`;
}

/** A backup Job of the registry still running (it would dump a database being replaced). */
function backupRunning(model: RegistryModel, observed: ObservedState): boolean {
  return observed.owned.some((o) => o.kind === 'Job' && (o.metadata.ownerReferences ?? []).some((r) => r.kind === 'CronJob') && o.metadata.labels?.['quay-component']?.endsWith('-backup') && jobState(o) === 'active');
}

/** The Restored condition for a status.restore. */
export function restoreCondition(s: RestoreStatus): { status: boolean; reason: string; message: string } {
  const message = s.message ?? s.phase;
  switch (s.phase) {
    case 'Succeeded':
      return { status: true, reason: 'RestoreSucceeded', message };
    case 'Refused':
      return { status: false, reason: 'RestoreRefused', message };
    case 'Failed':
      return { status: false, reason: 'RestoreFailed', message };
    default:
      return { status: false, reason: 'RestoreInProgress', message };
  }
}
