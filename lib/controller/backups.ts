// status.backups and the BackupFailed condition, from what spec.backup's CronJobs did: their status
// (last schedule and success times), their last Job (outcome), and that Job's pod's termination
// message (the backup script writes the dump's metadata there; on failure the log's tail is there).
// Pure but for readTerminationMessage, which lists a Job's pods (the fake API server serves them too).
import { backupCronJobName } from '../../constructs/backup';
import { BackupComponent, BackupStatus, backupComponents } from '../api/backup';
import type { QuayRegistryStatus } from '../api/types';
import type { RegistryModel } from '../model';
import type { KubeObject } from '../synth';
import type { RegistryEvent } from './events';
import type { KubeClient } from './kube-client';
import { ObservedState, conditionOf, findObject, jobState } from './observed';
import { typeOf } from './resources';

type Obj = Record<string, any>;

/** The Jobs a CronJob created (its ownerReference), oldest first. */
export function jobsOf(observed: ObservedState, cronJob: string): KubeObject[] {
  return observed.owned
    .filter((o) => o.kind === 'Job' && (o.metadata.ownerReferences ?? []).some((r) => r.kind === 'CronJob' && r.name === cronJob))
    .sort((a, b) => String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')) || a.metadata.name.localeCompare(b.metadata.name));
}

/** What a pod of the Job said when its container ended: the termination message of the last one to finish. */
export interface PodReport {
  readonly message: string;
  readonly exitCode: number;
}

/**
 * The termination message of a Job's last finished container; undefined when none is known (pods
 * gone, or not readable). Init containers count: with object storage a dump that failed in the init
 * container leaves the pod's container waiting, and the init's log tail is the reason.
 */
export async function readTerminationMessage(client: KubeClient, namespace: string, job: string): Promise<PodReport | undefined> {
  let pods: KubeObject[];
  try {
    pods = (await client.list(typeOf('Pod'), { namespace, labelSelector: `job-name=${job}` })).items;
  } catch {
    return undefined;
  }
  const ended = pods
    // Init containers first: at a tie of finishedAt (seconds) the pod's own container is the last.
    .flatMap((p) => [...(((p as Obj).status?.initContainerStatuses ?? []) as Obj[]), ...(((p as Obj).status?.containerStatuses ?? []) as Obj[])].map((c) => c.state?.terminated as Obj | undefined))
    .filter((t): t is Obj => t !== undefined)
    .sort((a, b) => String(a.finishedAt ?? '').localeCompare(String(b.finishedAt ?? '')));
  const last = ended[ended.length - 1];
  return last ? { message: String(last.message ?? '').trim(), exitCode: Number(last.exitCode ?? 0) } : undefined;
}

/** The dump a backup wrote, from its metadata (the termination message). */
export function dumpFromReport(report: PodReport | undefined, model: RegistryModel, component: BackupComponent): { dump: string; size: number } | undefined {
  if (!report || report.exitCode !== 0) return undefined;
  try {
    const m = JSON.parse(report.message) as Obj;
    if (typeof m.dump !== 'string' || typeof m.size !== 'number' || m.registry !== model.name || m.component !== component) return undefined;
    return { dump: m.dump, size: m.size };
  } catch {
    return undefined;
  }
}

/** Finished backup Jobs whose result status.backups does not hold yet: their pods are read once. */
export function backupJobsToRead(model: RegistryModel, observed: ObservedState, previous: QuayRegistryStatus | undefined): string[] {
  const backup = model.registry.spec.backup;
  if (!backup) return [];
  const out: string[] = [];
  for (const kind of backupComponents(backup)) {
    const last = jobsOf(observed, backupCronJobName(model, kind)).pop();
    if (!last) continue;
    const state = jobState(last);
    const before = previous?.backups?.find((b) => b.component === kind);
    if ((state === 'succeeded' || state === 'failed') && (before?.lastJob !== last.metadata.name || before.outcome !== outcomeOf(state))) out.push(last.metadata.name);
  }
  return out;
}

function outcomeOf(state: ReturnType<typeof jobState>): BackupStatus['outcome'] {
  return state === 'succeeded' ? 'Succeeded' : state === 'failed' ? 'Failed' : 'Running';
}

/** At most this much of a failed backup's log tail in the status and the Event. */
const MESSAGE_MAX = 400;

export interface BackupReport {
  readonly backups?: BackupStatus[];
  readonly condition?: { status: boolean; reason: string; message: string };
  readonly events: RegistryEvent[];
}

/** status.backups, the BackupFailed condition and the Events for backups that ended since the last status. */
export function backupReport(model: RegistryModel, observed: ObservedState, previous: QuayRegistryStatus | undefined, reports: ReadonlyMap<string, PodReport>): BackupReport {
  const backup = model.registry.spec.backup;
  if (!backup) return { events: [] };
  const events: RegistryEvent[] = [];
  const backups: BackupStatus[] = [];
  for (const kind of backupComponents(backup)) {
    if (!model.components[kind].managed) continue;
    const cronJob = backupCronJobName(model, kind);
    const before = previous?.backups?.find((b) => b.component === kind);
    const cron = findObject(observed, 'CronJob', cronJob) as Obj | undefined;
    const last = jobsOf(observed, cronJob).pop();
    const state = last ? jobState(last) : undefined;
    const outcome: BackupStatus['outcome'] = last ? outcomeOf(state!) : (before?.outcome ?? 'None');
    // Nothing new: the Job the status reported, or none (deleted): what the status knew stays.
    const sameJob = last === undefined || (before?.lastJob === last.metadata.name && before.outcome === outcome);
    const report = last ? reports.get(last.metadata.name) : undefined;
    // The last successful dump: this Job's, if it just succeeded, else what the status knew.
    const wrote = outcome === 'Succeeded' && !sameJob ? dumpFromReport(report, model, kind) : undefined;
    const lastDump = wrote?.dump ?? (outcome === 'Succeeded' && !sameJob ? undefined : before?.lastDump);
    const lastSize = wrote?.size ?? (outcome === 'Succeeded' && !sameJob ? undefined : before?.lastSize);
    let message: string | undefined;
    if (outcome === 'Failed') {
      const why = conditionOf(last, 'Failed')?.message;
      const tail = (report?.message ?? '').slice(-MESSAGE_MAX);
      message = sameJob ? before?.message : [why, tail].filter(Boolean).join(': ') || 'the backup Job failed';
    }
    const status: BackupStatus = {
      component: kind,
      cronJob,
      ...(cron?.status?.lastScheduleTime ? { lastScheduleTime: cron.status.lastScheduleTime } : before?.lastScheduleTime ? { lastScheduleTime: before.lastScheduleTime } : {}),
      ...(cron?.status?.lastSuccessfulTime ? { lastSuccessfulTime: cron.status.lastSuccessfulTime } : before?.lastSuccessfulTime ? { lastSuccessfulTime: before.lastSuccessfulTime } : {}),
      ...(last ? { lastJob: last.metadata.name } : before?.lastJob ? { lastJob: before.lastJob } : {}),
      ...(lastDump ? { lastDump } : {}),
      ...(lastSize !== undefined ? { lastSize } : {}),
      outcome,
      ...(message ? { message } : {}),
    };
    backups.push(status);
    if (last && !sameJob && outcome === 'Failed') {
      events.push({ type: 'Warning', reason: 'BackupFailed', message: `backup of the ${kind} database failed (Job ${last.metadata.name}): ${message}` });
    } else if (last && !sameJob && outcome === 'Succeeded') {
      events.push({ type: 'Normal', reason: 'BackupSucceeded', message: `backed up the ${kind} database${wrote ? ` to ${wrote.dump} (${wrote.size} bytes)` : ''}` });
    }
  }
  const failed = backups.filter((b) => b.outcome === 'Failed');
  // A bucket's backup pod has two containers: the dump (init) and the upload.
  const logsOf = backup.destination?.objectStorage ? ' --all-containers' : '';
  const condition = failed.length
    ? {
        status: true,
        reason: 'BackupJobFailed',
        message: failed
          .map((b) => `the last backup of the ${b.component} database failed (Job ${b.lastJob}): ${b.message}; ${b.lastDump ? `the last good one is ${b.lastDump}` : 'no backup has succeeded yet'}; see \`kubectl logs -n ${model.namespace} job/${b.lastJob}${logsOf}\``)
          .join('; '),
      }
    : backups.some((b) => b.outcome === 'Succeeded')
      ? { status: false, reason: 'BackupSucceeded', message: 'the last backup of each database succeeded' }
      : { status: false, reason: 'NoBackupYet', message: `no backup has completed yet (schedule ${JSON.stringify(backup.schedule)})` };
  return { backups, condition, events };
}
