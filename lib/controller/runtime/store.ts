// An informer's cache (client-go's ThreadSafeStore with a namespace index): objects by
// `namespace/name`, and the same objects by namespace, since a reconcile lists one namespace.
// Also the transforms that trim objects before they are cached.
import type { KubeObject } from '../../synth';

export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export function keyOf(obj: KubeObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name);
}

export class ObjectStore {
  private readonly cache = new Map<string, KubeObject>();
  /** The same objects by namespace: arrays, lighter than a Map per namespace and kind. */
  private readonly byNamespace = new Map<string, KubeObject[]>();

  get(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }

  has(key: string): boolean {
    return this.cache.has(key);
  }

  size(): number {
    return this.cache.size;
  }

  /** Every [key, object], a copy (safe to change the store while iterating). */
  entries(): [string, KubeObject][] {
    return [...this.cache];
  }

  /** Cached objects, of one namespace or all, ordered by namespace/name. */
  list(namespace?: string): KubeObject[] {
    const source = namespace === undefined ? this.cache.values() : (this.byNamespace.get(namespace) ?? []);
    return [...source].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }

  set(key: string, obj: KubeObject): void {
    const old = this.cache.get(key);
    this.cache.set(key, obj);
    const ns = obj.metadata.namespace ?? '';
    const index = this.byNamespace.get(ns);
    const i = old && index ? index.indexOf(old) : -1;
    if (!index) this.byNamespace.set(ns, [obj]);
    else if (i >= 0) index[i] = obj;
    else index.push(obj);
  }

  delete(key: string, obj: KubeObject): void {
    const cached = this.cache.get(key) ?? obj;
    this.cache.delete(key);
    const ns = cached.metadata.namespace ?? '';
    const index = this.byNamespace.get(ns);
    const i = index ? index.indexOf(cached) : -1;
    if (i >= 0) index!.splice(i, 1);
    if (index?.length === 0) this.byNamespace.delete(ns);
  }
}

/** A transform dropping metadata.managedFields, which the operator never reads and which is bulky. */
export function dropManagedFields(obj: KubeObject): KubeObject {
  if (!('managedFields' in obj.metadata)) return obj;
  const { managedFields: _drop, ...metadata } = obj.metadata;
  void _drop;
  return { ...obj, metadata: metadata as KubeObject['metadata'] };
}

/** A transform keeping a Secret's metadata and type but not its data (for Secrets only watched for changes). */
export function dropSecretData(obj: KubeObject): KubeObject {
  const { data: _d, stringData: _s, ...rest } = dropManagedFields(obj);
  void _d;
  void _s;
  return rest as KubeObject;
}
