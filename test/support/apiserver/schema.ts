// One schema format for every kind the fake API server serves: the structural OpenAPI v3 subset a
// CustomResourceDefinition carries (with its x-kubernetes-* extensions), plus `$ref` into a table
// of named definitions for the built-in kinds (./builtin-schemas.json). Both server-side apply
// (which fields are maps, lists keyed by what, atomic or not) and validation read it.

export interface CelRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly reason?: string;
  readonly fieldPath?: string;
}

export interface Schema {
  readonly $ref?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
  readonly required?: readonly string[];
  readonly nullable?: boolean;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly multipleOf?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly uniqueItems?: boolean;
  readonly anyOf?: readonly Schema[];
  readonly allOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly not?: Schema;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
  /** Built-in kinds only: the key a strategic merge patch merges this list by. */
  readonly 'x-kubernetes-patch-merge-key'?: string;
  /** Built-in kinds only: `merge` when a strategic merge patch merges this list instead of replacing it. */
  readonly 'x-kubernetes-patch-strategy'?: string;
}

/** A schema with the definitions its `$ref`s point into. */
export class SchemaSet {
  constructor(readonly definitions: Readonly<Record<string, Schema>> = {}) {}

  resolve(s: Schema | undefined): Schema | undefined {
    let cur = s;
    for (let i = 0; cur?.$ref !== undefined; i++) {
      if (i > 32) throw new Error(`schema: $ref loop at ${cur.$ref}`);
      const next: Schema | undefined = this.definitions[cur.$ref];
      if (!next) throw new Error(`schema: no definition ${cur.$ref}`);
      // Extensions written next to a $ref (list types, defaults) win over the definition's.
      const { $ref: _ref, ...local } = cur;
      void _ref;
      cur = Object.keys(local).length > 0 ? { ...next, ...local } : next;
    }
    return cur;
  }
}

/** What server-side apply makes of a schema node (structured-merge-diff's atoms). */
export type Shape =
  | { readonly kind: 'scalar'; readonly scalar: 'string' | 'numeric' | 'boolean' | 'untyped' }
  | { readonly kind: 'struct'; readonly fields: Readonly<Record<string, Schema>>; readonly extra?: Schema; readonly atomic: boolean }
  | { readonly kind: 'map'; readonly value: Schema; readonly atomic: boolean }
  | { readonly kind: 'list'; readonly item: Schema; readonly listType: 'atomic' | 'set' | 'map'; readonly keys: readonly string[] }
  | { readonly kind: 'deduced' };

/** Anything goes, recursively: x-kubernetes-preserve-unknown-fields without properties. */
export const DEDUCED: Schema = { 'x-kubernetes-preserve-unknown-fields': true };

export function shapeOf(set: SchemaSet, schema: Schema | undefined): Shape {
  const s = set.resolve(schema);
  if (!s) return { kind: 'deduced' };
  if (s['x-kubernetes-int-or-string']) return { kind: 'scalar', scalar: 'untyped' };
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  switch (s.type) {
    case 'string':
      return { kind: 'scalar', scalar: 'string' };
    case 'integer':
    case 'number':
      return { kind: 'scalar', scalar: 'numeric' };
    case 'boolean':
      return { kind: 'scalar', scalar: 'boolean' };
    case 'array':
      return {
        kind: 'list',
        item: s.items ?? DEDUCED,
        listType: s['x-kubernetes-list-type'] ?? 'atomic',
        keys: s['x-kubernetes-list-map-keys'] ?? [],
      };
    case 'object':
    case undefined: {
      const atomic = s['x-kubernetes-map-type'] === 'atomic';
      if (s.properties || s['x-kubernetes-embedded-resource']) {
        return { kind: 'struct', fields: s.properties ?? {}, ...(preserve ? { extra: DEDUCED } : {}), atomic };
      }
      if (typeof s.additionalProperties === 'object') return { kind: 'map', value: s.additionalProperties, atomic };
      if (s.additionalProperties === true || preserve || s.type === undefined) return { kind: 'deduced' };
      return { kind: 'struct', fields: {}, atomic };
    }
  }
}
