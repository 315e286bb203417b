// spec.backup and the restore annotation in a reconcile, behind three hooks the reconciler calls:
// prepare (the few reads they need: termination messages of Jobs that just ended, the pods of the
// workloads a restore stops), adjust (the plan: Quay, mirror and Clair held at 0 and backups
// suspended while a restore runs, its Jobs applied and kept, the migration Job of before replaced
// after restoring an older dump), status (status.backups, status.restore, the BackupFailed and
// Restored conditions) and the Events.
import { MIRROR_COMPONENT } from '../../constructs/mirror';
import { QUAY_APP_COMPONENT } from '../../constructs/quay';
import { CLAIR_COMPONENT } from '../../constructs/clair';
import { SHARED_NAMES } from '../../constructs/shared/component';
import { restoreJobName } from '../../constructs/restore';
import { LABEL_COMPONENT, LABEL_REGISTRY, QuayRegistryStatus } from '../api/types';
import type { RegistryModel } from '../model';
import type { KubeObject } from '../synth';
import { Applier } from './applier';
import { PodReport, backupJobsToRead, backupReport, readTerminationMessage } from './backups';
import type { RegistryEvent } from './events';
import type { KubeClient } from './kube-client';
import { ObservedState, findObject, jobState } from './observed';
import type { Plan } from './plan';
import { ownerReference, typeOf } from './resources';
import { RESTORE_TERMINAL, decideRestore, restoreCondition } from './restore';
import { mergeConditions } from './status';

type Obj = Record<string, any>;
const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;

/** The workloads a restore stops: they read or write the databases. */
const STOPPED = [SHARED_NAMES.quayApp, SHARED_NAMES.mirror, SHARED_NAMES.clairApp];
const STOPPED_COMPONENTS = [QUAY_APP_COMPONENT, MIRROR_COMPONENT, CLAIR_COMPONENT];

export interface BackupRestore {
  /** The plan, with a restore's holds, Jobs and keeps. */
  adjust(plan: Plan): Plan;
  /** The status, with status.backups, status.restore and their conditions. */
  status(status: QuayRegistryStatus, now: string): QuayRegistryStatus;
  readonly events: RegistryEvent[];
  readonly requeueAfterMs?: number;
  /** A restore under way (Inspecting, ScalingDown, Restoring, Migrating): replacing the operator would interrupt it. */
  readonly restoreInProgress: boolean;
}

/** Whether Quay's, mirror's and Clair's Deployments are at 0 and their pods gone (none holds a connection to the database). */
async function workloadsStopped(client: KubeClient, model: RegistryModel, observed: ObservedState): Promise<boolean> {
  for (const suffix of STOPPED) {
    const d = findObject(observed, 'Deployment', `${model.name}-${suffix}`) as Obj | undefined;
    if (d && (d.spec?.replicas !== 0 || (d.status?.replicas ?? 0) !== 0)) return false;
  }
  try {
    const selector = `${LABEL_COMPONENT} in (${STOPPED_COMPONENTS.join(',')}),${LABEL_REGISTRY}=${model.name}`;
    return (await client.list(typeOf('Pod'), { namespace: model.namespace, labelSelector: selector })).items.length === 0;
  } catch {
    return false;
  }
}

export async function prepareBackupRestore(
  client: KubeClient,
  registry: KubeObject,
  model: RegistryModel,
  rendered: readonly KubeObject[],
  observed: ObservedState,
  previous: QuayRegistryStatus | undefined,
  now: Date,
): Promise<BackupRestore> {
  const reports = new Map<string, PodReport>();
  const read = async (job: string) => {
    const r = await readTerminationMessage(client, model.namespace, job);
    if (r) reports.set(job, r);
  };
  for (const job of backupJobsToRead(model, observed, previous)) await read(job);

  // What the restore under way needs read, by the phase the status says it is in.
  const prev = previous?.restore;
  let stopped = false;
  if (prev && !RESTORE_TERMINAL.includes(prev.phase)) {
    const request = { dump: prev.dump, ...(prev.id ? { id: prev.id } : {}), component: prev.component ?? ('postgres' as const) };
    const ended = (name: string, state: string) => {
      const j = findObject(observed, 'Job', name);
      return j !== undefined && jobState(j) === state;
    };
    const inspect = restoreJobName(model, request, 'inspect');
    const restore = restoreJobName(model, request, 'restore');
    if (prev.phase === 'Inspecting' && (ended(inspect, 'succeeded') || ended(inspect, 'failed'))) await read(inspect);
    if (prev.phase === 'ScalingDown') stopped = await workloadsStopped(client, model, observed);
    if (prev.phase === 'Restoring' && ended(restore, 'failed')) await read(restore);
  }

  const nowText = now.toISOString();
  const decision = decideRestore({ model, registry, observed, ...(prev ? { previous: prev } : {}), now: nowText, reports, workloadsStopped: stopped });
  const backups = backupReport(model, observed, previous, reports);
  const own = (o: KubeObject) => Applier.stamp({ ...o, metadata: { ...o.metadata, ownerReferences: [ownerReference(registry)] } });
  const renderedByKey = new Map(rendered.map((o) => [key(o), o]));
  const phase = decision.status?.phase;

  return {
    adjust(plan: Plan): Plan {
      let apply = [...plan.apply];
      if (decision.stopWorkloads) {
        const held = new Set(STOPPED.map((s) => `Deployment/${model.name}-${s}`));
        const autoscalers = new Set(STOPPED.map((s) => `HorizontalPodAutoscaler/${model.name}-${s}`));
        apply = apply.filter((o) => !autoscalers.has(key(o)) && !held.has(key(o)));
        // Also those the plan holds back (waiting for a dependency): a running one would keep its connections.
        for (const k of held) {
          const r = renderedByKey.get(k);
          if (r && (plan.apply.some((o) => key(o) === k) || findObject(observed, 'Deployment', r.metadata.name))) apply.push(Applier.stamp({ ...r, spec: { ...(r.spec as Obj), replicas: 0 } }));
        }
        apply = apply.map((o) => (o.kind === 'CronJob' ? Applier.stamp({ ...o, spec: { ...(o.spec as Obj), suspend: true } }) : o));
      }
      if (decision.holdMigration) apply = apply.filter((o) => key(o) !== `Job/${model.name}-quay-app-upgrade`);
      apply.push(...decision.jobs.map(own));
      const keep = new Set(decision.keep);
      const remove = plan.remove.filter((o) => !(o.kind === 'Job' && keep.has(o.metadata.name)));
      if (!decision.staleMigrationJob) return { ...plan, apply, remove };
      // The database is at the dump's version again: the migration Job of before goes, a new one migrates it.
      return {
        ...plan,
        apply: apply.filter((o) => key(o) !== `Job/${model.name}-quay-app-upgrade`),
        remove: [...remove, decision.staleMigrationJob],
        migration: { phase: 'waiting' },
        ...(decision.status?.dumpVersion ? { currentVersion: decision.status.dumpVersion } : {}),
      };
    },
    status(status: QuayRegistryStatus, now: string): QuayRegistryStatus {
      const mine = [
        ...(backups.condition ? [{ type: 'BackupFailed', status: backups.condition.status ? 'True' : 'False', reason: backups.condition.reason, message: backups.condition.message } as const] : []),
        ...(decision.status ? [(({ status: ok, reason, message }) => ({ type: 'Restored', status: ok ? 'True' : 'False', reason, message }) as const)(restoreCondition(decision.status))] : []),
      ];
      const types = new Set(['BackupFailed', 'Restored']);
      return {
        ...status,
        ...(backups.backups ? { backups: backups.backups } : {}),
        ...(decision.status ? { restore: decision.status } : {}),
        conditions: [...(status.conditions ?? []).filter((c) => !types.has(c.type)), ...mergeConditions(previous?.conditions, mine, now)],
      };
    },
    events: [...backups.events, ...(decision.event ? [decision.event] : [])],
    restoreInProgress: phase !== undefined && !RESTORE_TERMINAL.includes(phase),
    ...(phase && !RESTORE_TERMINAL.includes(phase) ? { requeueAfterMs: phase === 'ScalingDown' ? 5_000 : 10_000 } : {}),
  };
}
