// The registry's inputs kept in Secrets and ConfigMaps: the user's config bundle, certificate and
// first user (spec.configBundleSecret, spec.tlsSecret, spec.initialUser.secretName), the generated
// keys, and the bucket provisioner's Secret and ConfigMap. The Secret and ConfigMap informers watch every one in scope (the user's and
// the provisioner's are not labelled for us) but keep data only for these: caching every Secret's
// data would cost memory and hold credentials the operator has no business with. A reconcile reads
// them from the cache, so an unchanged registry costs no API read.
import { SHARED_NAMES } from '../names';
import { managedKeysSecretName } from '../keys';
import type { KubeObject } from '../synth';
import { withOwnFieldsOnly } from './applier';
import type { KubeClient } from './kube-client';
import type { ReadCache } from './reconciler';
import { typeOf } from './resources';
import { dropSecretData } from './runtime/store';
import { internStrings } from './runtime/intern';

type Obj = Record<string, any>;
export type InputKind = 'Secret' | 'ConfigMap';

/** Cached objects whose data was dropped: a read of one of them goes to the API. */
const dataless = new WeakSet<object>();

/** Whether a registry in the object's namespace reads the data of this Secret or ConfigMap. */
export function dataWanted(registries: ReadCache, obj: KubeObject): boolean {
  const name = obj.metadata.name;
  for (const r of registries.list(obj.metadata.namespace ?? '')) {
    const registry = r.metadata.name;
    if (name === `${registry}-${SHARED_NAMES.datastore}`) return true;
    if (obj.kind !== 'Secret') continue;
    const spec = (r.spec ?? {}) as Obj;
    const keys = managedKeysSecretName(registry);
    // `<keys>-<hash>`: the keys of a registry from an operator before 3.6.4.
    if (name === spec.configBundleSecret || name === spec.tlsSecret || name === spec.initialUser?.secretName || name === keys || name.startsWith(`${keys}-`)) return true;
  }
  return false;
}

/** An object as cached without its data (Secret data, ConfigMap data and binaryData); managedFields as our entry's hash. */
export function dropData(obj: KubeObject): KubeObject {
  const { binaryData: _binary, data: _data, ...rest } = dropSecretData(obj) as Obj;
  void _binary;
  void _data;
  const out = internStrings({ ...rest, metadata: withOwnFieldsOnly(obj, rest.metadata) } as KubeObject);
  dataless.add(out);
  return out;
}

/** The informers' transform for Secrets and ConfigMaps: data kept only where a registry reads it. */
export function inputTransform(registries: ReadCache): (obj: KubeObject) => KubeObject {
  return (obj) => {
    if (!dataWanted(registries, obj)) return dropData(obj);
    const { managedFields: _m, ...metadata } = obj.metadata as Obj;
    void _m;
    return internStrings({ ...obj, metadata: withOwnFieldsOnly(obj, metadata as KubeObject['metadata']) });
  };
}

/**
 * Reads inputs from the Secret and ConfigMap caches. An object cached before a registry referred to
 * it has no data: it is read from the API once, and that copy serves until the watch brings a newer
 * version (which then keeps its data). Objects the operator created are remembered until the watch
 * delivers them, so the next reconcile does not take them for missing.
 */
export class InputCache {
  /** Copies read from the API or written by us, by kind/namespace/name. */
  private readonly copies = new Map<string, KubeObject>();

  constructor(
    private readonly client: KubeClient,
    private readonly caches: ReadonlyMap<string, ReadCache>,
  ) {}

  /**
   * `confirmAbsence`: for what the user must create (the bundle, the certificate's Secret), a miss is
   * asked of the API before it is reported: the Secret watch may lag behind the registry's (both
   * applied at once), and a refusal must not rest on a cache that has not caught up.
   */
  async get(kind: InputKind, namespace: string, name: string, confirmAbsence = false): Promise<KubeObject | undefined> {
    const cache = this.caches.get(kind);
    if (!cache) return this.client.get(typeOf(kind), namespace, name);
    const key = `${kind}/${namespace}/${name}`;
    const cached = cache.get(namespace, name);
    const copy = this.copies.get(key);
    if (!cached) return copy ?? (confirmAbsence ? this.client.get(typeOf(kind), namespace, name) : undefined); // not in the cluster, unless we just created it
    if (!dataless.has(cached)) {
      this.copies.delete(key);
      return cached;
    }
    if (copy && copy.metadata.resourceVersion === cached.metadata.resourceVersion) return copy;
    const live = await this.client.get(typeOf(kind), namespace, name);
    if (live) this.copies.set(key, live);
    else this.copies.delete(key);
    return live;
  }

  /** An object the operator just created, served until the watch delivers it. */
  remember(obj: KubeObject): void {
    this.copies.set(`${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`, obj);
  }

  /** Deleted from the cluster (the informer's onDelete). */
  forget(obj: KubeObject): void {
    this.copies.delete(`${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`);
  }
}
