// Server-side apply that skips objects already as rendered, so a reconcile with nothing to change
// makes no writes. Each applied object carries a hash of what was applied; an object is re-applied
// when the hash differs, or when someone took or removed a field we applied: the API server moves
// a field's ownership to whoever changes it, so our managedFields entry then differs from the one
// our last apply left. Changes to fields we do not set (an HPA's replicas, a controller's status or
// annotations) leave it alone and cost no write.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../synth';
import { FIELD_MANAGER, KubeClient } from './kube-client';
import { resourceType } from './resources';

export const APPLIED_HASH = 'quay-operator/applied-hash';

const id = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function objectHash(obj: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 16);
}

type ManagedFieldsEntry = { manager?: string; operation?: string; subresource?: string; fieldsV1?: unknown; fieldsV1Hash?: string };

function ownEntry(obj: KubeObject): ManagedFieldsEntry | undefined {
  const entries = (obj.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? [];
  return entries.find((e) => e.manager === FIELD_MANAGER && e.operation === 'Apply' && !e.subresource);
}

/**
 * The fields our applies own on `obj`, hashed (our managedFields entry for the main resource), or
 * undefined when it has none. Reads the hash `withOwnFieldsOnly` left on cached objects too.
 */
export function ownFieldsHash(obj: KubeObject): string | undefined {
  const entry = ownEntry(obj);
  if (!entry) return undefined;
  return entry.fieldsV1Hash ?? createHash('sha256').update(JSON.stringify(entry.fieldsV1 ?? null)).digest('hex').slice(0, 16);
}

/** `metadata` for a cache: managedFields reduced to the hash of our own entry (they are bulky). */
export function withOwnFieldsOnly(obj: KubeObject, metadata: KubeObject['metadata']): KubeObject['metadata'] {
  const hash = ownFieldsHash(obj);
  return hash ? ({ ...metadata, managedFields: [{ manager: FIELD_MANAGER, operation: 'Apply', fieldsV1Hash: hash }] } as KubeObject['metadata']) : metadata;
}

/** What identifies the state our apply left: our fields' hash, or the resourceVersion where the server keeps no managedFields. */
function fingerprint(obj: KubeObject): string {
  return ownFieldsHash(obj) ?? `rv:${obj.metadata.resourceVersion ?? ''}`;
}

export class Applier {
  /**
   * Per object, the fingerprint our last apply left. A bare string, not a record: one operator
   * holds one per object of every registry (~50 each).
   */
  private readonly applied = new Map<string, string>();

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
    return fingerprint(live) === seen;
  }

  /** Applies unless up to date; returns whether a write was made. */
  async apply(desired: KubeObject, live: KubeObject | undefined): Promise<boolean> {
    if (this.upToDate(desired, live)) return false;
    const result = await this.client.apply(resourceType(desired.apiVersion, desired.kind), desired);
    this.applied.set(id(desired), fingerprint(result));
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
