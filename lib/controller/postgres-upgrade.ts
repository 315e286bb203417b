// When a managed database's live Deployment runs an older PostgreSQL major than the operator's image
// (a registry from before Quay 3.6, or Clair's database before 3.10), its data is copied to the new
// major's volume first: the database scaled down cleanly, the previous major started again from the
// old volume, a Job of the new image initializing the new volume from it. Pure: decided from what
// was observed; the planner applies the parts (renderPostgresUpgrade) and holds what uses the database.
import { DATABASE_UPGRADE, UpgradedDatabase, databaseUpgradeJobName, oldDatabaseName } from '../../constructs/postgres-upgrade';
import type { RegistryModel } from '../model';
import type { KubeObject } from '../synth';
import { ObservedState, conditionOf, deploymentAvailable, findObject, jobState } from './observed';

export type DatabaseUpgradePhase = 'scaling-down' | 'starting-old' | 'copying' | 'failed' | 'done';

export interface DatabaseUpgrade {
  readonly kind: UpgradedDatabase;
  readonly phase: DatabaseUpgradePhase;
  readonly fromMajor: number;
  readonly toMajor: number;
  /** Where the previous major's data is (kept afterwards). */
  readonly oldClaim: string;
  /** The image the database ran: what serves the old data during the copy (unless overridden). */
  readonly oldImage: string;
  readonly jobName: string;
  readonly message?: string;
}

type Obj = Record<string, any>;

/** The PostgreSQL major an image runs, from its name (`postgresql-13-c9s`, `postgresql-10-centos7`, `rhel8/postgresql-13@sha256:...`). */
export function postgresMajor(image: string | undefined): number | undefined {
  const name = (image ?? '').split('@')[0];
  const last = name.slice(name.lastIndexOf('/') + 1).split(':')[0];
  const m = /postgresql-?(\d+)/.exec(last);
  return m ? Number(m[1]) : undefined;
}

/** Upstream's volumes of the previous majors, when the live Deployment does not say. */
const OLD_CLAIMS: Record<UpgradedDatabase, string> = { postgres: 'quay-database', clairpostgres: 'clair-postgres-13' };

export function databaseUpgrades(model: RegistryModel, observed: ObservedState): DatabaseUpgrade[] {
  const out: DatabaseUpgrade[] = [];
  for (const kind of ['postgres', 'clairpostgres'] as const) {
    if (!model.components[kind].managed) continue;
    const live = findObject(observed, 'Deployment', `${model.name}-${DATABASE_UPGRADE[kind].workload}`) as Obj | undefined;
    const podSpec = live?.spec?.template?.spec;
    const oldImage = podSpec?.containers?.[0]?.image as string | undefined;
    const fromMajor = postgresMajor(oldImage);
    const toMajor = postgresMajor(kind === 'postgres' ? model.environment.images.postgres : model.environment.images.clairpostgres);
    if (!live || fromMajor === undefined || toMajor === undefined || fromMajor >= toMajor) continue;
    const oldClaim =
      ((podSpec?.volumes ?? []) as Obj[]).find((v) => v.name === 'postgres-data')?.persistentVolumeClaim?.claimName ?? `${model.name}-${OLD_CLAIMS[kind]}`;
    const jobName = databaseUpgradeJobName(model, kind);
    const base = { kind, fromMajor, toMajor, oldClaim, oldImage: oldImage as string, jobName };
    const job = findObject(observed, 'Job', jobName);
    const state = job ? jobState(job) : undefined;
    const old = findObject(observed, 'Deployment', oldDatabaseName(model, kind));
    let phase: DatabaseUpgradePhase;
    let message: string | undefined;
    if (state === 'succeeded') phase = 'done';
    else if (state === 'failed') {
      phase = 'failed';
      message = conditionOf(job, 'Failed')?.message ?? 'the copy failed';
    } else if (job || (old && deploymentAvailable(old))) phase = 'copying';
    else if (old || scaledDown(live)) phase = 'starting-old';
    else phase = 'scaling-down';
    out.push({ ...base, phase, ...(message ? { message } : {}) });
  }
  return out;
}

/** The old major's pods are gone: the volume is free for `<db>-old` (ReadWriteOnce). */
function scaledDown(live: Obj): boolean {
  return live.spec?.replicas === 0 && (live.status?.replicas ?? 0) === 0 && (live.status?.observedGeneration ?? 0) >= (live.metadata.generation ?? 0);
}

/** What a phase applies of the upgrade's objects: the old server once the volume is free, the Job once it serves. */
export function upgradePartsFor(u: DatabaseUpgrade, objects: readonly KubeObject[], observed: ObservedState): KubeObject[] {
  if (u.phase === 'scaling-down' || u.phase === 'done') return [];
  // A Job is immutable and is created once; a failed one stays until deleted (the retry).
  const jobLive = findObject(observed, 'Job', u.jobName) !== undefined;
  return objects.filter((o) => o.kind !== 'Job' || (u.phase === 'copying' && !jobLive));
}

/** ComponentsCreated while an upgrade is not done. */
export function upgradeCondition(model: RegistryModel, u: DatabaseUpgrade): { reason: string; message: string } {
  const what = `the ${u.kind} database from PostgreSQL ${u.fromMajor} to ${u.toMajor}`;
  if (u.phase === 'failed') {
    return {
      reason: 'PostgresUpgradeFailed',
      message: `upgrading ${what} failed: ${u.message}; the old data is untouched on PersistentVolumeClaim ${u.oldClaim}; see \`kubectl logs -n ${model.namespace} job/${u.jobName}\`, then delete the Job to retry`,
    };
  }
  const steps: Record<DatabaseUpgradePhase, string> = {
    'scaling-down': 'stopping the database cleanly',
    'starting-old': `starting PostgreSQL ${u.fromMajor} on ${u.oldClaim}`,
    copying: `copying the data (Job ${u.jobName})`,
    failed: '',
    done: 'done',
  };
  return { reason: 'PostgresUpgradeInProgress', message: `upgrading ${what}: ${steps[u.phase]}; ${u.kind === 'postgres' ? 'Quay and mirror are' : 'Clair is'} stopped meanwhile` };
}
