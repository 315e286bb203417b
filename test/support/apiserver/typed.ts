// Values read through a schema, as structured-merge-diff (the library behind server-side apply)
// reads them: which parts are leaves, how list items are identified, and the five operations apply
// is built from: check (typing the applied configuration), toFieldSet, merge, compare and
// removeItems. Kept close to upstream's semantics (sigs.k8s.io/structured-merge-diff v4, as in
// Kubernetes 1.26), including its edges: a map emptied by removal becomes null, and a list or map
// that is empty on both sides of a merge is one leaf.
import { FieldSet, Path, PathElement, field, index, isField, fieldName, key, pathString, value as valueElement } from './fieldpath';
import { DEDUCED, Schema, SchemaSet, Shape, shapeOf } from './schema';

type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** The schema of a child: a struct's field, a map's value, or the extra fields of a struct that preserves unknown ones. */
function childSchema(shape: Shape, name: string): Schema | undefined {
  if (shape.kind === 'struct') return shape.fields[name] ?? shape.extra;
  if (shape.kind === 'map') return shape.value;
  if (shape.kind === 'deduced') return DEDUCED;
  return undefined;
}

function isNamedField(shape: Shape, name: string): boolean {
  return shape.kind === 'struct' && Object.prototype.hasOwnProperty.call(shape.fields, name);
}

/** Go's %T of a JSON value, as upstream's type errors print it. */
function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goValue).join(', ')}}`;
  if (isObject(v))
    return `map[string]interface {}{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goValue(v[k])}`)
      .join(', ')}}`;
  return '<nil>';
}

type ItemKey = { readonly pe: PathElement; readonly error?: undefined } | { readonly pe?: undefined; readonly error: string };

/** The path element of a list item, or why it has none (a list-map item without its key). */
export function itemKey(set: SchemaSet, shape: Extract<Shape, { kind: 'list' }>, item: unknown, i: number): ItemKey {
  if (shape.listType === 'set') return { pe: valueElement(item) };
  if (shape.listType === 'map' && shape.keys.length > 0) {
    const itemShape = set.resolve(shape.item);
    const keys: Obj = {};
    for (const k of shape.keys) {
      const v = isObject(item) ? item[k] : undefined;
      const dflt = itemShape?.properties?.[k] ? set.resolve(itemShape.properties[k])?.default : undefined;
      if (v === undefined || v === null) {
        if (dflt === undefined) return { error: `element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)` };
        keys[k] = dflt;
      } else keys[k] = v;
    }
    return { pe: key(keys) };
  }
  return { pe: index(i) };
}

/** The path element of a list item that has one (checkTyped has refused the others). */
function itemElement(set: SchemaSet, shape: Extract<Shape, { kind: 'list' }>, item: unknown, i: number): PathElement {
  return itemKey(set, shape, item, i).pe ?? index(i);
}

// ------------------------------------------------------------------------------------------ check

/**
 * Types an applied configuration the way apply does before anything else: unknown fields, wrong
 * scalar types, list-map items without their keys and duplicate keys are errors (the API server
 * answers 500 "failed to create typed patch object"). Returns the messages, path first.
 */
export function checkTyped(set: SchemaSet, schema: Schema | undefined, v: unknown, path: Path = []): string[] {
  if (v === null || v === undefined) return [];
  const shape = shapeOf(set, schema);
  const at = (msg: string) => `${pathString(path)}: ${msg}`;
  switch (shape.kind) {
    case 'deduced':
      if (isObject(v)) return Object.entries(v).flatMap(([k, x]) => checkTyped(set, DEDUCED, x, [...path, field(k)]));
      return [];
    case 'scalar':
      if (isObject(v) || Array.isArray(v)) {
        if (shape.scalar === 'untyped') return [at(`expected scalar, got ${goType(v)}`)];
      }
      if (shape.scalar === 'string' && typeof v !== 'string') return [at(`expected string, got &value.valueUnstructured{Value:${goValue(v)}}`)];
      if (shape.scalar === 'numeric' && typeof v !== 'number') return [at(`expected numeric (int or float), got ${goType(v)}`)];
      if (shape.scalar === 'boolean' && typeof v !== 'boolean') return [at(`expected boolean, got &{${goValue(v)}}`)];
      return [];
    case 'struct':
    case 'map': {
      if (!isObject(v)) return [at(`expected map, got &{${goValue(v)}}`)];
      const errors: string[] = [];
      for (const [k, x] of Object.entries(v)) {
        const child = childSchema(shape, k);
        if (child === undefined) errors.push(`${pathString([...path, field(k)])}: field not declared in schema`);
        else errors.push(...checkTyped(set, child, x, [...path, field(k)]));
      }
      return errors;
    }
    case 'list': {
      if (!Array.isArray(v)) return [at(`expected list, got &{${goValue(v)}}`)];
      const errors: string[] = [];
      const seen = new Set<PathElement>();
      v.forEach((item, i) => {
        const { pe, error } = shape.listType === 'atomic' ? { pe: index(i) } : itemKey(set, shape, item, i);
        if (pe === undefined) {
          errors.push(at(error!));
          return;
        }
        if (shape.listType !== 'atomic') {
          if (seen.has(pe)) errors.push(at(`duplicate entries for key ${pathString([pe])}`));
          seen.add(pe);
        }
        errors.push(...checkTyped(set, shape.item, item, [...path, pe]));
      });
      return errors;
    }
  }
}

// ------------------------------------------------------------------------------------------ field sets

/**
 * The fields a value sets, as apply records ownership: scalars, atomic lists and maps, nulls and
 * empty maps are leaves; list-map and set items are members themselves (`.`) as well as holding
 * their fields; map entries are members too. Empty list-maps and sets own nothing.
 */
export function toFieldSet(set: SchemaSet, schema: Schema | undefined, v: unknown, out = new FieldSet(), path: PathElement[] = []): FieldSet {
  if (v === undefined) return out;
  const shape = shapeOf(set, schema);
  if (v === null) {
    out.insert(path);
    return out;
  }
  switch (shape.kind) {
    case 'scalar':
      out.insert(path);
      return out;
    case 'deduced':
    case 'struct':
    case 'map': {
      if (!isObject(v) || (shape.kind !== 'deduced' && shape.atomic)) {
        out.insert(path);
        return out;
      }
      if (Object.keys(v).length === 0) {
        out.insert(path);
        return out;
      }
      for (const [k, x] of Object.entries(v)) {
        const child = [...path, field(k)];
        toFieldSet(set, childSchema(shape, k), x, out, child);
        if (!isNamedField(shape, k)) out.insert(child);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(v) || shape.listType === 'atomic') {
        out.insert(path);
        return out;
      }
      v.forEach((item, i) => {
        const pe = itemElement(set, shape, item, i);
        const child = [...path, pe];
        toFieldSet(set, shape.item, item, out, child);
        out.insert(child);
      });
      return out;
    }
  }
}

/** Adds, for every struct field that has owned children, the field itself (upstream's EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(set: SchemaSet, schema: Schema | undefined, fs: FieldSet): FieldSet {
  const shape = shapeOf(set, schema);
  const out = new FieldSet();
  for (const m of fs.members) out.members.add(m);
  for (const [pe, child] of fs.children) {
    let childType: Schema | undefined;
    if (isField(pe)) {
      const name = fieldName(pe);
      if (isNamedField(shape, name)) out.members.add(pe);
      childType = childSchema(shape, name);
    } else if (shape.kind === 'list') childType = shape.item;
    out.children.set(pe, ensureNamedFieldsAreMembers(set, childType, child));
  }
  return out;
}

// ------------------------------------------------------------------------------------------ walking two values

/** The items of a list by path element, first occurrence wins, in order. */
function indexList(set: SchemaSet, shape: Extract<Shape, { kind: 'list' }>, list: unknown[] | undefined): { order: PathElement[]; items: Map<PathElement, unknown> } {
  const order: PathElement[] = [];
  const items = new Map<PathElement, unknown>();
  (list ?? []).forEach((item, i) => {
    const { pe } = itemKey(set, shape, item, i);
    if (pe === undefined || items.has(pe)) return;
    items.set(pe, item);
    order.push(pe);
  });
  return { order, items };
}

/** Upstream's merge order for keyed lists: the right side's order, with left-only items kept where they were. */
function mergedListOrder(lhsOrder: PathElement[], rhsOrder: PathElement[]): PathElement[] {
  const inRhs = new Set(rhsOrder);
  const inLhs = new Set(lhsOrder);
  const shared = rhsOrder.filter((pe) => inLhs.has(pe));
  let nextShared: PathElement | undefined = shared.shift();
  const out: PathElement[] = [];
  let l = 0;
  let r = 0;
  while (l < lhsOrder.length || r < rhsOrder.length) {
    if (l < lhsOrder.length && r < rhsOrder.length) {
      if (lhsOrder[l] === rhsOrder[r]) {
        out.push(lhsOrder[l]);
        l++;
        r++;
        nextShared = shared.shift();
        continue;
      }
      if (inRhs.has(lhsOrder[l]) && nextShared !== undefined && nextShared !== lhsOrder[l]) {
        l++;
        continue;
      }
    }
    if (l < lhsOrder.length && !inRhs.has(lhsOrder[l])) {
      out.push(lhsOrder[l]);
      l++;
      continue;
    }
    if (r < rhsOrder.length) {
      const pe = rhsOrder[r];
      out.push(pe);
      r++;
      if (nextShared === pe) nextShared = shared.shift();
    }
  }
  return [...new Set(out)];
}

interface Visitor {
  /** A leaf (scalar, atomic value, or empty on both sides): returns the merged value. */
  leaf(path: PathElement[], lhs: unknown, rhs: unknown): unknown;
  /** After the children of a non-leaf node. */
  after?(path: PathElement[], lhs: unknown, rhs: unknown): void;
}

const emptyOrNull = (v: unknown) => v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);

/** Walks two values side by side (upstream's mergingWalker); `undefined` is "absent". */
function walk(set: SchemaSet, schema: Schema | undefined, lhs: unknown, rhs: unknown, visitor: Visitor, path: PathElement[]): unknown {
  const shape = shapeOf(set, schema);
  const bothEmpty = emptyOrNull(lhs) && emptyOrNull(rhs);
  let out: unknown;
  if (shape.kind === 'scalar' || bothEmpty) return visitor.leaf(path, lhs, rhs);
  if (shape.kind === 'list') {
    const lList = Array.isArray(lhs) ? lhs : undefined;
    const rList = Array.isArray(rhs) ? rhs : undefined;
    if (shape.listType === 'atomic' || (lhs !== undefined && lhs !== null && !lList) || (rhs !== undefined && rhs !== null && !rList)) {
      return visitor.leaf(path, lhs, rhs);
    }
    const l = indexList(set, shape, lList);
    const r = indexList(set, shape, rList);
    const items: unknown[] = [];
    for (const pe of mergedListOrder(l.order, r.order)) {
      const m = walk(set, shape.item, l.items.get(pe), r.items.get(pe), visitor, [...path, pe]);
      if (m !== undefined) items.push(m);
    }
    out = items.length > 0 ? items : undefined;
  } else {
    const lMap = isObject(lhs) ? lhs : undefined;
    const rMap = isObject(rhs) ? rhs : undefined;
    if ((shape.kind !== 'deduced' && shape.atomic) || (lhs !== undefined && lhs !== null && !lMap) || (rhs !== undefined && rhs !== null && !rMap)) {
      return visitor.leaf(path, lhs, rhs);
    }
    const result: Obj = {};
    const keys = [...new Set([...Object.keys(lMap ?? {}), ...Object.keys(rMap ?? {})])];
    for (const k of keys) {
      const m = walk(set, childSchema(shape, k), lMap?.[k], rMap?.[k], visitor, [...path, field(k)]);
      if (m !== undefined) result[k] = m;
    }
    out = Object.keys(result).length > 0 ? result : undefined;
  }
  visitor.after?.(path, lhs, rhs);
  return out;
}

/** Merges an applied configuration into a live object: fields of both, the right side's value at every leaf. */
export function merge(set: SchemaSet, schema: Schema | undefined, lhs: unknown, rhs: unknown): unknown {
  return walk(set, schema, lhs, rhs, { leaf: (_p, l, r) => clone(r !== undefined ? r : l) }, []);
}

export interface Comparison {
  readonly added: FieldSet;
  readonly removed: FieldSet;
  readonly modified: FieldSet;
}

/** What changed between two values: new leaves and containers, removed ones, and leaves with another value. */
export function compare(set: SchemaSet, schema: Schema | undefined, lhs: unknown, rhs: unknown): Comparison {
  const c = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  walk(
    set,
    schema,
    lhs,
    rhs,
    {
      leaf: (path, l, r) => {
        if (l === undefined) c.added.insert(path);
        else if (r === undefined) c.removed.insert(path);
        else if (!deepEqual(l, r)) c.modified.insert(path);
        return undefined;
      },
      after: (path, l, r) => {
        if (l === undefined) c.added.insert(path);
        else if (r === undefined) c.removed.insert(path);
      },
    },
    [],
  );
  return c;
}

/**
 * Removes the paths in `toRemove` from a value. As upstream (v4), a map or keyed list left with
 * nothing becomes null, not empty, and so does an empty one that had paths to remove under it.
 */
export function removeItems(set: SchemaSet, schema: Schema | undefined, v: unknown, toRemove: FieldSet): unknown {
  const shape = shapeOf(set, schema);
  if (v === null || v === undefined) return v;
  if (shape.kind === 'scalar') return v;
  if (shape.kind === 'list') {
    if (!Array.isArray(v) || v.length === 0 || shape.listType === 'atomic') return null;
    const items: unknown[] = [];
    v.forEach((item, i) => {
      const pe = itemElement(set, shape, item, i);
      if (toRemove.members.has(pe)) return;
      const sub = toRemove.withPrefix(pe);
      items.push(sub.empty() ? item : removeItems(set, shape.item, item, sub));
    });
    return items.length > 0 ? items : null;
  }
  if (!isObject(v) || Object.keys(v).length === 0 || (shape.kind !== 'deduced' && shape.atomic)) return null;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    const pe = field(k);
    if (toRemove.members.has(pe)) continue;
    const sub = toRemove.withPrefix(pe);
    out[k] = sub.empty() ? x : removeItems(set, childSchema(shape, k), x, sub);
  }
  return Object.keys(out).length > 0 ? out : null;
}
