// An updaters bundle import into the managed Clair's database, asked for with the
// quay-operator/clair-import-updaters annotation (and its -id), recorded in status.clairUpdatersImport:
//   Waiting    until Clair is available (it creates its database schema when it starts; the import
//              writes into it);
//   Importing  a Job runs `clairctl import-updaters` (constructs/clair-import.ts);
//   Succeeded, Failed (the log's tail in the message) or Refused (a value that is no source, or
//   clair unmanaged). The same request (source and id) is done once; the Job is kept until the next.
// decideClairImport is pure; prepareClairImport adds the one read it needs (a failed Job's pod).
import { ClairImportRequest, clairImportJobName, renderClairImportJob } from '../../constructs/clair-import';
import { SHARED_NAMES } from '../../constructs/shared/component';
import { CLAIR_IMPORT_ANNOTATION, CLAIR_IMPORT_ID_ANNOTATION, ClairImportPhase, ClairImportStatus, parseImportSource } from '../api/clair-disconnected';
import type { QuayRegistryStatus } from '../api/types';
import type { RegistryModel } from '../model';
import type { KubeObject } from '../synth';
import { Applier } from './applier';
import { PodReport, readTerminationMessage } from './backups';
import type { RegistryEvent } from './events';
import type { KubeClient } from './kube-client';
import { ObservedState, conditionOf, deploymentAvailable, findObject, jobState } from './observed';
import type { Plan } from './plan';
import { ownerReference } from './resources';
import { mergeConditions } from './status';

export const CLAIR_IMPORT_TERMINAL: readonly ClairImportPhase[] = ['Succeeded', 'Failed', 'Refused'];
export const CLAIR_IMPORT_CONDITION = 'ClairUpdatersImported';
const MESSAGE_MAX = 400;

/** The import the registry's annotations ask for, if any. */
export function importRequested(registry: KubeObject): ClairImportRequest | undefined {
  const a = registry.metadata.annotations ?? {};
  const source = a[CLAIR_IMPORT_ANNOTATION]?.trim();
  if (!source) return undefined;
  return { source, ...(a[CLAIR_IMPORT_ID_ANNOTATION] ? { id: a[CLAIR_IMPORT_ID_ANNOTATION] } : {}) };
}

export interface ClairImportInputs {
  readonly model: RegistryModel;
  readonly registry: KubeObject;
  readonly observed: ObservedState;
  readonly previous?: ClairImportStatus;
  readonly now: string;
  /** The termination message of the request's Job, read once it failed. */
  readonly report?: PodReport;
}

export interface ClairImportDecision {
  readonly status?: ClairImportStatus;
  /** The Job to apply (not yet owned nor stamped). */
  readonly jobs: KubeObject[];
  /** The current request's Job: never pruned (its log explains the outcome). */
  readonly keep: string[];
  readonly event?: RegistryEvent;
}

export function decideClairImport(inputs: ClairImportInputs): ClairImportDecision {
  const { model, observed, previous: prev, now } = inputs;
  const req = importRequested(inputs.registry);
  const same = req !== undefined && prev !== undefined && prev.source === req.source && (prev.id ?? '') === (req.id ?? '');
  let s: ClairImportStatus | undefined = req && !same ? { source: req.source, ...(req.id ? { id: req.id } : {}), phase: 'Waiting', startTime: now } : prev;
  if (!s) return { jobs: [], keep: [] };
  const request: ClairImportRequest = { source: s.source, ...(s.id ? { id: s.id } : {}) };
  const name = clairImportJobName(model, request);
  const jobs: KubeObject[] = [];
  const done = (phase: ClairImportPhase, message: string): ClairImportStatus => ({ ...s!, phase, message, completionTime: now });

  if (!CLAIR_IMPORT_TERMINAL.includes(s.phase)) {
    const parsed = parseImportSource(s.source);
    if (!parsed.source) s = done('Refused', parsed.problem!);
    else if (!model.components.clair.managed) s = done('Refused', 'the clair component is unmanaged: import into your own Clair with clairctl');
    else if (s.phase === 'Waiting') {
      if (deploymentAvailable(findObject(observed, 'Deployment', `${model.name}-${SHARED_NAMES.clairApp}`))) {
        jobs.push(...renderClairImportJob(model, request, parsed.source));
        s = { ...s, phase: 'Importing', job: name, message: `importing ${s.source} into Clair's database (Job ${name})` };
      } else s = { ...s, message: `waiting for Clair (Deployment ${model.name}-${SHARED_NAMES.clairApp}) to be available: it creates its database schema when it starts, and the import writes into it` };
    } else {
      const live = findObject(observed, 'Job', name);
      if (!live) jobs.push(...renderClairImportJob(model, request, parsed.source)); // deleted by hand: created again
      else if (jobState(live) === 'succeeded') s = done('Succeeded', `imported ${s.source} into Clair's database (Job ${name})`);
      else if (jobState(live) === 'failed') {
        const why = (inputs.report?.message ?? '').slice(-MESSAGE_MAX).trim() || conditionOf(live, 'Failed')?.message || 'the Job failed';
        s = done('Failed', `importing ${s.source} failed: ${why}; see \`kubectl logs -n ${model.namespace} job/${name}\`; set a new ${CLAIR_IMPORT_ID_ANNOTATION} to try again`);
      }
    }
  }

  const phase = s.phase;
  const changed = !prev || prev.phase !== phase || prev.source !== s.source || (prev.id ?? '') !== (s.id ?? '');
  const reason = { Waiting: 'ClairUpdatersImportStarted', Importing: 'ClairUpdatersImportStarted', Succeeded: 'ClairUpdatersImported', Failed: 'ClairUpdatersImportFailed', Refused: 'ClairUpdatersImportRefused' }[phase];
  const startedBefore = prev !== undefined && same && (prev.phase === 'Waiting' || prev.phase === 'Importing');
  const event: RegistryEvent | undefined =
    changed && !(startedBefore && phase === 'Importing') ? { type: phase === 'Failed' || phase === 'Refused' ? 'Warning' : 'Normal', reason, message: s.message ?? phase } : undefined;
  return { status: s, jobs, keep: s.job ? [s.job] : [name], ...(event ? { event } : {}) };
}

/** The ClairUpdatersImported condition for a status.clairUpdatersImport. */
export function clairImportCondition(s: ClairImportStatus): { status: boolean; reason: string; message: string } {
  const message = s.message ?? s.phase;
  if (s.phase === 'Succeeded') return { status: true, reason: 'ImportSucceeded', message };
  if (s.phase === 'Failed') return { status: false, reason: 'ImportFailed', message };
  if (s.phase === 'Refused') return { status: false, reason: 'ImportRefused', message };
  return { status: false, reason: 'ImportInProgress', message };
}

export interface ClairImport {
  adjust(plan: Plan): Plan;
  status(status: QuayRegistryStatus, now: string): QuayRegistryStatus;
  readonly events: RegistryEvent[];
  readonly requeueAfterMs?: number;
}

/** The import in a reconcile: the read it needs, then its Job in the plan and its status. */
export async function prepareClairImport(client: KubeClient, registry: KubeObject, model: RegistryModel, observed: ObservedState, previous: QuayRegistryStatus | undefined, now: Date): Promise<ClairImport> {
  const prev = previous?.clairUpdatersImport;
  const job = prev?.phase === 'Importing' && prev.job ? findObject(observed, 'Job', prev.job) : undefined;
  const report = job && jobState(job) === 'failed' ? await readTerminationMessage(client, model.namespace, job.metadata.name) : undefined;
  const decision = decideClairImport({ model, registry, observed, ...(prev ? { previous: prev } : {}), now: now.toISOString(), ...(report ? { report } : {}) });
  const own = (o: KubeObject) => Applier.stamp({ ...o, metadata: { ...o.metadata, ownerReferences: [ownerReference(registry)] } });
  const keep = new Set(decision.keep);
  const phase = decision.status?.phase;
  return {
    adjust: (plan) => ({ ...plan, apply: [...plan.apply, ...decision.jobs.map(own)], remove: plan.remove.filter((o) => !(o.kind === 'Job' && keep.has(o.metadata.name))) }),
    status(status, nowText) {
      if (!decision.status) return status;
      const c = clairImportCondition(decision.status);
      const mine = mergeConditions(previous?.conditions, [{ type: CLAIR_IMPORT_CONDITION, status: c.status ? 'True' : 'False', reason: c.reason, message: c.message }], nowText);
      return { ...status, clairUpdatersImport: decision.status, conditions: [...(status.conditions ?? []).filter((x) => x.type !== CLAIR_IMPORT_CONDITION), ...mine] };
    },
    events: decision.event ? [decision.event] : [],
    ...(phase && !CLAIR_IMPORT_TERMINAL.includes(phase) ? { requeueAfterMs: 30_000 } : {}),
  };
}
