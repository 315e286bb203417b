// One copy of each string the informer caches hold many times. JSON.parse makes a new string for
// every value, and the ~50 cached objects of a registry repeat its namespace, owner, labels, images
// and condition messages: a third of the cache's memory at 200 registries (bench: heap snapshot).
import type { KubeObject } from '../../synth';

/** Cleared when it grows past this: names that come and go (hashed config objects) cannot pile up. */
const MAX_ENTRIES = 100_000;
const MAX_LENGTH = 256;
const table = new Map<string, string>();

export function intern(s: string): string {
  if (s.length > MAX_LENGTH) return s;
  const known = table.get(s);
  if (known !== undefined) return known;
  if (table.size >= MAX_ENTRIES) table.clear();
  table.set(s, s);
  return s;
}

/** Values unique to one object (or one version of it), or data: not worth a table entry. */
const UNIQUE = new Set(['resourceVersion', 'fieldsV1Hash', 'quay-operator/applied-hash', 'data', 'binaryData', 'stringData']);

function walk(value: unknown, key: string, parentKey: string): unknown {
  if (typeof value === 'string') return (key === 'uid' && parentKey === 'metadata') || UNIQUE.has(key) ? value : intern(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, '', key));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const copy = UNIQUE.has(k) && typeof v === 'object' ? v : walk(v, k, key);
    // A `__proto__` key (JSON allows one) is data: assigned, it became the copy's prototype, and a
    // registry's `spec: {__proto__: {configBundleSecret: x}}` read as spec.configBundleSecret x.
    if (k === '__proto__') Object.defineProperty(out, k, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[k] = copy;
  }
  return out;
}

/** A copy of a cached object with its repeated strings shared (the object's own uid, versions, hashes and data kept as they are). */
export function internStrings(obj: KubeObject): KubeObject {
  return walk(obj, '', '') as KubeObject;
}
