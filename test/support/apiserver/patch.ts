// The three patch formats besides apply: JSON merge patch (RFC 7386), strategic merge patch (built-in
// kinds only: lists merge by their patch merge key, `$patch` directives) and JSON patch (RFC 6902).
import { badRequest, StatusError } from './errors';
import { Schema, SchemaSet } from './schema';
import { clone, deepEqual, isObject } from './typed';

type Obj = Record<string, any>;

/** RFC 7386: objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Obj = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A strategic merge patch, reading each list's strategy and merge key from the kind's schema. */
export function strategicMergePatch(set: SchemaSet, schema: Schema | undefined, target: unknown, patch: unknown): unknown {
  const s = set.resolve(schema);
  if (Array.isArray(patch)) {
    const key = s?.['x-kubernetes-patch-merge-key'];
    const merging = s?.['x-kubernetes-patch-strategy']?.split(',').includes('merge');
    const items = patch.filter((i) => !(isObject(i) && (i.$patch === 'delete' || i.$patch === 'replace')));
    if (patch.some((i) => isObject(i) && i.$patch === 'replace')) return clone(items.map(stripDirectives));
    if (!merging || !Array.isArray(target)) return clone(items.map(stripDirectives));
    if (!key) {
      // A merged list of scalars (finalizers): a union, in order.
      const out = [...target];
      for (const v of items) if (!out.some((x) => deepEqual(x, v))) out.push(clone(v));
      return out;
    }
    let out = target.map((x) => clone(x)) as unknown[];
    for (const item of patch) {
      if (!isObject(item)) continue;
      const i = out.findIndex((x) => isObject(x) && x[key] === item[key]);
      if (item.$patch === 'delete') out = out.filter((x) => !(isObject(x) && x[key] === item[key]));
      else if (i >= 0) out[i] = strategicMergePatch(set, s?.items, out[i], item);
      else out.push(stripDirectives(item));
    }
    return out;
  }
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else {
      const child = s?.properties?.[k] ?? (typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined);
      const merged = strategicMergePatch(set, child, out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return clone(v);
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

function patchFailed(message: string): StatusError {
  return new StatusError(422, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Invalid', code: 422 });
}

/** RFC 6902: add, remove, replace, test, move, copy. */
export function jsonPatch(target: Obj, ops: unknown): Obj {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  const doc: Obj = { root: clone(target) };
  const parse = (p: string): string[] => ['root', ...(p === '' ? [] : p.split('/').slice(1).map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~')))];
  const parentOf = (p: string): [any, string] => {
    const segs = parse(p);
    let cur: any = doc;
    for (const seg of segs.slice(0, -1)) {
      cur = Array.isArray(cur) ? cur[Number(seg)] : isObject(cur) ? cur[seg] : undefined;
      if (cur === undefined) throw patchFailed(`the server rejected our request due to an error in our request`);
    }
    return [cur, segs[segs.length - 1]];
  };
  const read = (p: string): unknown => {
    const [c, k] = parentOf(p);
    const v = Array.isArray(c) ? c[Number(k)] : c[k];
    if (v === undefined) throw patchFailed(`the server rejected our request due to an error in our request`);
    return v;
  };
  const remove = (p: string) => {
    const [c, k] = parentOf(p);
    read(p);
    if (Array.isArray(c)) c.splice(Number(k), 1);
    else delete c[k];
  };
  const add = (p: string, v: unknown) => {
    const [c, k] = parentOf(p);
    if (Array.isArray(c)) c.splice(k === '-' ? c.length : Number(k), 0, clone(v));
    else c[k] = clone(v);
  };
  for (const op of ops as Obj[]) {
    switch (op.op) {
      case 'add':
        add(op.path, op.value);
        break;
      case 'remove':
        remove(op.path);
        break;
      case 'replace':
        remove(op.path);
        add(op.path, op.value);
        break;
      case 'test':
        if (!deepEqual(read(op.path), op.value)) throw patchFailed(`the server rejected our request due to an error in our request`);
        break;
      case 'move': {
        const v = read(op.from);
        remove(op.from);
        add(op.path, v);
        break;
      }
      case 'copy':
        add(op.path, read(op.from));
        break;
      default:
        throw badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return doc.root;
}
