// Server-side apply that skips objects already as rendered, so a reconcile with nothing to change
// makes no writes. Each applied object carries a hash of what was applied; an object is re-applied
// when the hash differs, or when someone else changed it since our last apply (its generation, or
// for kinds without one its resourceVersion, moved).
import { createHash } from 'node:crypto';
import type { KubeObject } from '../synth';
import { KubeClient } from './kube-client';
import { resourceType } from './resources';

export const APPLIED_HASH = 'quay-operator/applied-hash';

const id = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function objectHash(obj: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 16);
}

export class Applier {
  /**
   * Per object, what our last apply left: its generation, or for kinds without one its
   * resourceVersion (a string). A bare value, not a record: one operator holds one per object of
   * every registry (~50 each), and a record object with its own copy of the hash cost ~270 bytes each.
   */
  private readonly applied = new Map<string, number | string>();

  constructor(private readonly client: KubeClient) {}

  /** Adds the hash annotation the skip decision reads. */
  static stamp(obj: KubeObject): KubeObject {
    const hash = objectHash(obj);
    return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [APPLIED_HASH]: hash } } };
  }

  /** Whether `live` already is what `desired` (stamped) asks for. */
  upToDate(desired: KubeObject, live: KubeObject | undefined): boolean {
    if (!live) return false;
    const hash = desired.metadata.annotations?.[APPLIED_HASH];
    if (!hash || live.metadata.annotations?.[APPLIED_HASH] !== hash) return false;
    const seen = this.applied.get(id(desired));
    if (seen === undefined) return true; // applied by an earlier operator process; trusted until a resync
    if (typeof seen === 'number') return live.metadata.generation === seen;
    return live.metadata.resourceVersion === seen;
  }

  /** Applies unless up to date; returns whether a write was made. */
  async apply(desired: KubeObject, live: KubeObject | undefined): Promise<boolean> {
    if (this.upToDate(desired, live)) return false;
    const result = await this.client.apply(resourceType(desired.apiVersion, desired.kind), desired);
    const { generation, resourceVersion } = result.metadata;
    this.applied.set(id(desired), typeof generation === 'number' ? generation : (resourceVersion ?? ''));
    return true;
  }

  forget(obj: { kind: string; metadata: { name: string; namespace?: string } }): void {
    this.applied.delete(id(obj as KubeObject));
  }

  /** Drops every record, so the next reconciles re-apply what differs from the hash (periodic resync). */
  forgetAll(): void {
    this.applied.clear();
  }
}
