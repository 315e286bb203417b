// Validation of custom resources against their CRD's structural schema, with the API server's
// messages, reasons and field paths, its schema defaulting and its pruning of unknown fields, and
// the CRD's CEL rules (x-kubernetes-validations, evaluated with @marcbachmann/cel-js).
import { Environment, evaluate } from '@marcbachmann/cel-js';
import { isIP } from 'node:net';
import { Cause } from './errors';
import { Schema, SchemaSet, shapeOf } from './schema';
import { clone, isObject } from './typed';

type Obj = Record<string, unknown>;

/** The type name the API server reports for a value ("integer" for whole numbers, as JSON decodes them). */
export function jsonTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** A value as Go's %v/%q print it in "Invalid value: ..." messages. */
export function quoteValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

const childPath = (path: string, k: string) => (path ? `${path}.${k}` : k);

/** Causes that stop CEL rules from being evaluated (upstream's "blocking" errors). */
const BLOCKING = new Set(['FieldValueTypeInvalid', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany']);

export const NOT_CHECKED: Cause = {
  reason: 'FieldValueInvalid',
  message: 'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
  field: '<nil>',
};

function typeMatches(s: Schema, v: unknown): boolean {
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  switch (s.type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

/** Structural validation (no CEL): the causes, in the API server's order for one object. */
export function validateSchema(set: SchemaSet, schema: Schema | undefined, v: unknown, path: string, causes: Cause[]): void {
  const s = set.resolve(schema);
  if (!s || v === undefined) return;
  if (v === null) {
    if (s.nullable || (!s.type && !s['x-kubernetes-int-or-string'])) return;
    const expected = s['x-kubernetes-int-or-string'] ? 'integer,string' : s.type;
    causes.push({ reason: 'FieldValueTypeInvalid', message: `Invalid value: "null": ${path} in body must be of type ${expected}: "null"`, field: path });
    return;
  }
  if (!typeMatches(s, v)) {
    const expected = s['x-kubernetes-int-or-string'] ? 'integer,string' : s.type;
    const got = jsonTypeName(v);
    causes.push({ reason: 'FieldValueTypeInvalid', message: `Invalid value: "${got}": ${path} in body must be of type ${expected}: "${got}"`, field: path });
    return;
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${quoteValue(v)}: supported values: ${s.enum.map(quoteValue).join(', ')}`, field: path });
  }
  if (typeof v === 'string') {
    const chars = [...v].length;
    if (s.maxLength !== undefined && chars > s.maxLength) causes.push({ reason: 'FieldValueTooLong', message: `Too long: may not be longer than ${s.maxLength}`, field: path });
    if (s.minLength !== undefined && chars < s.minLength) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${quoteValue(v)}: ${path} in body should be at least ${s.minLength} chars long`, field: path });
    }
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${quoteValue(v)}: ${path} in body should match '${s.pattern}'`, field: path });
    }
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${v}: ${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`, field: path });
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${v}: ${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`, field: path });
    }
    if (s.multipleOf !== undefined && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${v}: ${path} in body should be a multiple of ${s.multipleOf}`, field: path });
    }
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) causes.push({ reason: 'FieldValueTooMany', message: `Too many: ${v.length}: must have at most ${s.maxItems} items`, field: path });
    if (s.minItems !== undefined && v.length < s.minItems) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${v.length}: ${path} in body should have at least ${s.minItems} items`, field: path });
    }
    const listType = s['x-kubernetes-list-type'];
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    v.forEach((item, i) => {
      let id: string | undefined;
      let shown = '';
      if (listType === 'set' || s.uniqueItems) {
        id = JSON.stringify(item);
        shown = quoteValue(item);
      } else if (listType === 'map' && isObject(item)) {
        const k: Obj = {};
        for (const name of keys) k[name] = item[name];
        id = JSON.stringify(k);
        shown = `map[string]interface {}{${keys.map((name) => `${JSON.stringify(name)}:${quoteValue(item[name])}`).join(', ')}}`;
      }
      if (id !== undefined) {
        if (seen.has(id)) causes.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${shown}`, field: `${path}[${i}]` });
        seen.add(id);
      }
      validateSchema(set, s.items, item, `${path}[${i}]`, causes);
    });
  }
  if (isObject(v)) {
    const count = Object.keys(v).length;
    if (s.maxProperties !== undefined && count > s.maxProperties) causes.push({ reason: 'FieldValueTooMany', message: `Too many: ${count}: must have at most ${s.maxProperties} items`, field: path });
    if (s.minProperties !== undefined && count < s.minProperties) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${count}: ${path} in body should have at least ${s.minProperties} properties`, field: path });
    }
    for (const r of s.required ?? []) if (v[r] === undefined) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: childPath(path, r) });
    for (const [k, x] of Object.entries(v)) {
      const prop = s.properties?.[k];
      if (prop) validateSchema(set, prop, x, childPath(path, k), causes);
      else if (typeof s.additionalProperties === 'object') validateSchema(set, s.additionalProperties, x, childPath(path, k), causes);
    }
  }
  for (const branch of s.allOf ?? []) validateSchema(set, { ...branch, type: undefined }, v, path, causes);
  const valueBranches = (s.anyOf ?? []).filter((b) => Object.keys(b).some((k) => k !== 'type'));
  if (valueBranches.length > 0 && !valueBranches.some((b) => branchValid(set, b, v, path))) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${quoteValue(v)}: ${path} in body must validate at least one schema (anyOf)`, field: path });
  }
  if (s.oneOf && s.oneOf.filter((b) => branchValid(set, b, v, path)).length !== 1) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${quoteValue(v)}: ${path} in body must validate one and only one schema (oneOf)`, field: path });
  }
  if (s.not && branchValid(set, s.not, v, path)) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${quoteValue(v)}: ${path} in body should not be valid against the given schema`, field: path });
  }
}

function branchValid(set: SchemaSet, branch: Schema, v: unknown, path: string): boolean {
  const causes: Cause[] = [];
  validateSchema(set, branch.type ? branch : { ...branch }, v, path, causes);
  return causes.length === 0;
}

export function isBlocking(causes: readonly Cause[]): boolean {
  return causes.some((c) => BLOCKING.has(c.reason));
}

export function hasCelRules(set: SchemaSet, schema: Schema | undefined, seen = new Set<Schema>()): boolean {
  const s = set.resolve(schema);
  if (!s || seen.has(s)) return false;
  seen.add(s);
  if ((s['x-kubernetes-validations'] ?? []).length > 0) return true;
  const children = [...Object.values(s.properties ?? {}), ...(typeof s.additionalProperties === 'object' ? [s.additionalProperties] : []), ...(s.items ? [s.items] : [])];
  return children.some((c) => hasCelRules(set, c, seen));
}

/** JSON as CEL sees it: whole numbers are CEL ints. */
function celValue(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(celValue);
  if (isObject(v)) {
    const o: Obj = {};
    for (const [k, x] of Object.entries(v)) o[k] = celValue(x);
    return o;
  }
  return v;
}

/**
 * What cel-js lacks and the API server has: Kubernetes' IP library (isIP, used by the Gateway API
 * CRDs) and has() on a selection from an index (`has(self.matches[0].path)`, which cel-js refuses
 * to parse). Used only when plain evaluation fails on one of those, so other rules keep cel-js's
 * own semantics.
 */
const KUBERNETES_CEL = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false })
  .registerFunction('isIP(string): bool', (s: string) => isIP(s) !== 0)
  .registerFunction('hasField__(dyn, string): bool', (o: unknown, k: string) => (o instanceof Map ? o.has(k) : isObject(o) && k in o));
const HAS_AFTER_INDEX = /has\(([^()]*?\[[^\]]*\][^()]*?)\.([A-Za-z_][A-Za-z0-9_]*)\)/g;

function evaluateRule(rule: string, context: Obj): unknown {
  try {
    return evaluate(rule, context);
  } catch (err) {
    const message = (err as Error).message;
    if (!message.includes('has() invalid argument') && !message.includes("overload for 'isIP")) throw err;
    return KUBERNETES_CEL.evaluate(rule.replace(HAS_AFTER_INDEX, "hasField__($1, '$2')"), context);
  }
}

/**
 * Evaluates the CEL rules of every node, with `oldSelf` where the old object has the same node
 * (struct fields, map keys, list-map items by key). Transition rules (those using oldSelf) are
 * skipped when there is no old value, as on create.
 */
export function validateCel(set: SchemaSet, schema: Schema | undefined, v: unknown, old: unknown, path: string, causes: Cause[]): void {
  const s = set.resolve(schema);
  if (!s || v === undefined || v === null) return;
  for (const rule of s['x-kubernetes-validations'] ?? []) {
    const transition = /\boldSelf\b/.test(rule.rule);
    if (transition && (old === undefined || old === null)) continue;
    let ok: unknown;
    try {
      ok = evaluateRule(rule.rule, { self: celValue(v), ...(transition ? { oldSelf: celValue(old) } : {}) });
    } catch (err) {
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${jsonTypeName(v)}": rule compile error or evaluation error: ${(err as Error).message}`, field: path });
      continue;
    }
    if (ok !== true) {
      const message = rule.message ?? `failed rule: ${rule.rule}`;
      causes.push({ reason: rule.reason ? reasonFor(rule.reason) : 'FieldValueInvalid', message: `Invalid value: "${jsonTypeName(v)}": ${message}`, field: rule.fieldPath ? `${path}${rule.fieldPath}` : path });
    }
  }
  const shape = shapeOf(set, s);
  if (Array.isArray(v) && shape.kind === 'list') {
    const keys = shape.listType === 'map' ? shape.keys : [];
    v.forEach((item, i) => {
      const match = keys.length > 0 && Array.isArray(old) ? old.find((o) => isObject(o) && isObject(item) && keys.every((k) => JSON.stringify(o[k]) === JSON.stringify(item[k]))) : undefined;
      validateCel(set, s.items, item, match, `${path}[${i}]`, causes);
    });
  }
  if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      const child = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      validateCel(set, child, x, isObject(old) ? old[k] : undefined, childPath(path, k), causes);
    }
  }
}

function reasonFor(reason: string): string {
  const map: Record<string, string> = { FieldValueForbidden: 'FieldValueForbidden', FieldValueRequired: 'FieldValueRequired', FieldValueDuplicate: 'FieldValueDuplicate' };
  return map[reason] ?? 'FieldValueInvalid';
}

/** Applies schema defaults in place: missing properties, and null where the field is not nullable. */
export function applyDefaults(set: SchemaSet, schema: Schema | undefined, v: unknown): void {
  const s = set.resolve(schema);
  if (!s) return;
  if (isObject(v)) {
    for (const [k, prop] of Object.entries(s.properties ?? {})) {
      const p = set.resolve(prop);
      if (p?.default !== undefined && (v[k] === undefined || (v[k] === null && !p.nullable))) v[k] = clone(p.default);
    }
    for (const [k, x] of Object.entries(v)) {
      const child = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      if (child) applyDefaults(set, child, x);
    }
  } else if (Array.isArray(v) && s.items) {
    for (const item of v) applyDefaults(set, s.items, item);
  }
}

/** Drops fields the schema does not declare (outside x-kubernetes-preserve-unknown-fields); returns their paths. */
export function pruneUnknown(set: SchemaSet, schema: Schema | undefined, v: unknown, path: string, dropped: string[]): void {
  const s = set.resolve(schema);
  if (!s || s['x-kubernetes-int-or-string']) return;
  if (isObject(v)) {
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
    for (const [k, x] of Object.entries(v)) {
      const child = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      if (child) pruneUnknown(set, child, x, childPath(path, k), dropped);
      else if (!preserve && s.additionalProperties !== true) {
        delete v[k];
        dropped.push(childPath(path, k));
      }
    }
  } else if (Array.isArray(v) && s.items) {
    v.forEach((item, i) => pruneUnknown(set, s.items, item, `${path}[${i}]`, dropped));
  }
}
