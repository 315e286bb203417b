// The writes a reconcile makes about the registry itself, and how any write is guarded: a refused
// write is reported (log and Event once, metric always) and returned, not thrown, so the reconcile
// decides what a refusal means; the status is written only when it changed; Events for conditions
// that changed.
import type { Condition, QuayRegistryStatus } from '../api/types';
import type { KubeObject } from '../synth';
import { RegistryEvent, recordEvent } from './events';
import { ApiError, KubeClient } from './kube-client';
import type { RefusalReporter, WriteTarget } from './refusals';
import { typeOf } from './resources';
import type { Logger } from './runtime/logger';
import { statusChanged } from './status';

export interface RegistryWritesDeps {
  readonly client: KubeClient;
  readonly refusals: RefusalReporter;
  readonly logger: Logger;
  readonly now: () => Date;
}

export class RegistryWrites {
  constructor(private readonly deps: RegistryWritesDeps) {}

  /** Runs one write; a refusal is reported and returned, not thrown. */
  async guarded(registry: KubeObject, target: WriteTarget, write: () => Promise<unknown>): Promise<unknown> {
    try {
      await write();
      this.deps.refusals.accepted(registry, target);
      return undefined;
    } catch (err) {
      // A stale resourceVersion (409 Conflict) is a race with another writer, not a refusal: the
      // retry reads the newer object. Nothing to tell the admin.
      if (!(err instanceof ApiError && err.status === 409 && err.reason === 'Conflict')) await this.deps.refusals.report(registry, target, err);
      return err;
    }
  }

  /** Writes the status (if it changed) and the events; a refused status write does not stop the events. */
  async writeStatus(registry: KubeObject, previous: QuayRegistryStatus | undefined, status: QuayRegistryStatus, events: RegistryEvent[]): Promise<{ writes: number; error?: unknown }> {
    let writes = 0;
    let error: unknown;
    if (statusChanged(previous, status)) {
      error = await this.guarded(registry, { verb: 'apply', kind: 'QuayRegistry', name: `${registry.metadata.name}/status` }, () =>
        this.deps.client.applyStatus(typeOf('QuayRegistry'), registry.metadata.namespace as string, registry.metadata.name, status),
      );
      if (!error) writes++;
    }
    for (const e of events) {
      try {
        await recordEvent(this.deps.client, registry, e, this.deps.now());
        writes++;
      } catch (err) {
        this.deps.logger.warn('could not record event', { reason: e.reason, err: (err as Error).message });
      }
    }
    return { writes, ...(error ? { error } : {}) };
  }
}

function condition(status: QuayRegistryStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** Events for the documented conditions whose status or reason changed. */
export function transitions(previous: QuayRegistryStatus | undefined, next: QuayRegistryStatus): RegistryEvent[] {
  const events: RegistryEvent[] = [];
  for (const type of ['RolloutBlocked', 'ComponentsCreated', 'Available']) {
    const before = condition(previous, type);
    const after = condition(next, type);
    if (!after || (before && before.status === after.status && before.reason === after.reason)) continue;
    const warning = (type === 'RolloutBlocked' && after.status === 'True') || after.reason === 'MigrationsFailed';
    events.push({ type: warning ? 'Warning' : 'Normal', reason: after.reason, message: after.message });
  }
  return events;
}
