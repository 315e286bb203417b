// OpenShift's cluster Prometheus scrapes a namespace's ServiceMonitors and rules only when the
// namespace carries openshift.io/cluster-monitoring=true: applied (server-side, that one label)
// while a registry there has monitoring managed, removed when none has any more. Removal drops only
// what the operator applied: a label the admin set themselves stays with its other owner.
import { CLUSTER_MONITORING_LABEL } from '../names';
import type { Environment } from '../model';
import type { KubeObject } from '../synth';
import { FIELD_MANAGER, KubeClient } from './kube-client';
import type { ReadCache } from './reconciler';
import { typeOf } from './resources';
import type { Logger } from './runtime/logger';

export interface MonitoringLabelDeps {
  readonly client: KubeClient;
  readonly registries: ReadCache;
  readonly environment: () => Environment;
  readonly logger: Logger;
  /** Performs a write, reporting a refusal; returns the error, if any. */
  readonly guarded: (registry: KubeObject, target: { verb: string; kind: string; name: string }, write: () => Promise<unknown>) => Promise<unknown>;
}

export class MonitoringLabel {
  /** Namespaces whose label this process applied (true) or removed (false): an unchanged registry writes nothing. */
  private readonly applied = new Map<string, boolean>();

  constructor(private readonly deps: MonitoringLabelDeps) {}

  /**
   * `thisOneWants`: the registry's monitoring is managed; `wasWanted`: it was (status, or a
   * finalizer), so the label may be the operator's to remove even after a restart.
   */
  async reconcile(registry: KubeObject, thisOneWants: boolean, wasWanted: boolean): Promise<{ writes: number; error?: unknown }> {
    const namespace = registry.metadata.namespace as string;
    if (!this.deps.environment().capabilities.routes) return { writes: 0 };
    const wanted = thisOneWants || this.othersWant(namespace, registry.metadata.name);
    let known = this.applied.get(namespace);
    if (known === undefined && (wanted || wasWanted)) {
      // First look since this process started: one read, so a restart does not re-apply what is there.
      known = await this.ownedLabel(namespace);
      this.applied.set(namespace, known);
    }
    if (known === wanted || (known === undefined && !wanted && !wasWanted)) return { writes: 0 };
    const body: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, ...(wanted ? { labels: { [CLUSTER_MONITORING_LABEL]: 'true' } } : {}) } };
    const error = await this.deps.guarded(registry, { verb: 'apply', kind: 'Namespace', name: namespace }, () => this.deps.client.apply(typeOf('Namespace'), body));
    if (error) return { writes: 0, error };
    this.applied.set(namespace, wanted);
    this.deps.logger.info(wanted ? 'namespace labelled for cluster monitoring' : 'cluster monitoring label removed', { namespace });
    return { writes: 1 };
  }

  /** Whether the namespace has the label applied by the operator's field manager (it then owns it, and may remove it). */
  private async ownedLabel(namespace: string): Promise<boolean> {
    const ns = (await this.deps.client.get(typeOf('Namespace'), undefined, namespace)) as Record<string, any> | undefined;
    if (ns?.metadata?.labels?.[CLUSTER_MONITORING_LABEL] !== 'true') return false;
    return ((ns.metadata.managedFields ?? []) as Record<string, any>[]).some(
      (m) => m.manager === FIELD_MANAGER && m.operation === 'Apply' && m.fieldsV1?.['f:metadata']?.['f:labels']?.[`f:${CLUSTER_MONITORING_LABEL}`] !== undefined,
    );
  }

  /** Another registry in the namespace (not being deleted) has monitoring managed, as far as its spec says. */
  private othersWant(namespace: string, except: string): boolean {
    if (!this.deps.environment().capabilities.monitoring) return false;
    return this.deps.registries.list(namespace).some((r) => {
      if (r.metadata.name === except || r.metadata.deletionTimestamp) return false;
      const components = ((r.spec as Record<string, any> | undefined)?.components ?? []) as { kind?: string; managed?: boolean }[];
      return !components.some((c) => c.kind === 'monitoring' && c.managed === false);
    });
  }
}
