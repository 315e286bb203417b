// A write the API server refuses is reported where an admin looks: a log line and a Warning Event on
// the registry, once per distinct refusal of an object (not at every retry), and a counter in
// /metrics by status code. A registry that never became Available because the server refused its
// status write must not look healthy from the outside.
import type { KubeObject } from '../synth';
import { recordEvent } from './events';
import { ApiError, KubeClient } from './kube-client';
import type { Logger } from './runtime/logger';
import type { Counter, Registry } from './runtime/metrics';

/** What was being written: its kind and name, and the verb (apply, delete, status, patch). */
export interface WriteTarget {
  readonly verb: string;
  readonly kind: string;
  readonly name: string;
}

export class RefusalReporter {
  private readonly counter: Counter;
  /** `registry|verb|kind/name` → the message last reported for it. */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
    metrics: Registry,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.counter = metrics.counter({
      name: 'quay_operator_api_write_refusals_total',
      help: 'Writes the API server refused, by HTTP status code (0: no answer), verb and kind.',
      labelNames: ['code', 'verb', 'kind'],
    });
  }

  private key(registry: KubeObject, t: WriteTarget): string {
    return `${registry.metadata.namespace}/${registry.metadata.name}|${t.verb}|${t.kind}/${t.name}`;
  }

  /** Counts the refusal; logs it and records an Event only when it differs from the last one for this object. */
  async report(registry: KubeObject, target: WriteTarget, err: unknown): Promise<void> {
    const code = err instanceof ApiError ? err.status : 0;
    const reason = err instanceof ApiError ? err.reason : 'NoAnswer';
    const message = err instanceof ApiError ? err.serverMessage : (err as Error)?.message ?? String(err);
    this.counter.inc({ code: String(code), verb: target.verb, kind: target.kind });
    const key = this.key(registry, target);
    if (this.reported.get(key) === message) return;
    this.reported.set(key, message);
    this.logger.warn('write refused by the API server', {
      registry: registry.metadata.name,
      namespace: registry.metadata.namespace,
      verb: target.verb,
      kind: target.kind,
      name: target.name,
      code,
      reason,
      message,
    });
    try {
      await recordEvent(this.client, registry, { type: 'Warning', reason: 'WriteRefused', message: `${target.verb} ${target.kind} ${target.name}: ${code} ${reason}: ${message}` }, this.now());
    } catch (eventErr) {
      this.logger.warn('could not record the refusal as an Event', { registry: registry.metadata.name, err: (eventErr as Error).message });
    }
  }

  /** The write went through: a later refusal of it is news again. */
  accepted(registry: KubeObject, target: WriteTarget): void {
    this.reported.delete(this.key(registry, target));
  }

  /** Forgets a deleted registry's refusals. */
  forgetRegistry(namespace: string, name: string): void {
    const prefix = `${namespace}/${name}|`;
    for (const k of [...this.reported.keys()]) if (k.startsWith(prefix)) this.reported.delete(k);
  }
}
