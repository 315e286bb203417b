// spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Retain. What holds a registry's data (its
// database claims, and the managed keys Secret without which Quay cannot read what it encrypted in
// the database) then carries no ownerReference, so deleting the registry (by mistake, or a GitOps
// prune) leaves it; a registry created again with the same name uses it. Delete (the default, as the
// seeds) lets garbage collection take it with the registry.
import { managedKeysSecretName } from '../keys';
import type { KubeObject } from '../synth';

export function retainsData(registry: KubeObject): boolean {
  const spec = (registry as { spec?: { persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string } } }).spec;
  return spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Retain';
}

/** Whether `obj` is one of the registry's data holders. */
export function holdsData(obj: KubeObject, registryName: string): boolean {
  return obj.kind === 'PersistentVolumeClaim' || (obj.kind === 'Secret' && obj.metadata.name === managedKeysSecretName(registryName));
}

/** The data holders an apply of `rendered` releases from the registry (they still carry its ownerReference). */
export function releasedByApply(rendered: readonly KubeObject[], registry: KubeObject, live: (o: KubeObject) => KubeObject | undefined): string[] {
  if (!retainsData(registry)) return [];
  const uid = registry.metadata.uid;
  return rendered
    .filter((o) => holdsData(o, registry.metadata.name))
    .filter((o) => (live(o)?.metadata.ownerReferences ?? []).some((r) => r.uid === uid))
    .map((o) => `${o.kind} ${o.metadata.name}`);
}

/**
 * The keys Secret is created (not applied) first, so its ownerReference belongs to that create, and
 * an apply without it does not remove it: the patch that does, when Retain releases it.
 */
export function keysOwnerReferencesPatch(registry: KubeObject, live: KubeObject | undefined): Record<string, unknown> | undefined {
  if (!retainsData(registry) || !live) return undefined;
  const refs = live.metadata.ownerReferences ?? [];
  const others = refs.filter((r) => r.uid !== registry.metadata.uid);
  if (others.length === refs.length) return undefined;
  return { metadata: { ownerReferences: others, resourceVersion: live.metadata.resourceVersion } };
}
