// The CSV's spec and status descriptors (the OpenShift console's form and details page), derived
// from the CRD schema (lib/api/schema.ts): a new spec field gets a descriptor with its schema
// description and a widget chosen by its type. X_DESCRIPTORS overrides a path in one line.
import { JSONSchema, specSchema, statusSchema } from '../api/schema';

export interface Descriptor {
  readonly path: string;
  readonly displayName: string;
  readonly description?: string;
  readonly 'x-descriptors'?: string[];
}

const UI = 'urn:alm:descriptor:com.tectonic.ui';
const SECRET = 'urn:alm:descriptor:io.kubernetes:Secret';
const LINK = 'urn:alm:descriptor:org.w3:link';

/** Widgets the type alone does not choose, by spec or status path. */
const X_DESCRIPTORS: Record<string, string[]> = {
  'spec.components': [`${UI}:advanced`],
  'spec.components[0].overrides': [`${UI}:advanced`],
  'status.conditions': ['urn:alm:descriptor:io.kubernetes.conditions'],
  'status.registryEndpoint': [LINK],
  'status.configEditorEndpoint': [LINK],
};

/** Subtrees the form leaves to YAML (the console still offers their schema). */
const NOT_DESCENDED = new Set(['components[0].overrides']);
const MAX_DEPTH = 3;

const ACRONYMS: Record<string, string> = { tls: 'TLS', url: 'URL', hpa: 'HPA', id: 'ID' };

/** `configBundleSecret` → `Config Bundle Secret`, `tlsSecret` → `TLS Secret`. */
export function displayName(path: string): string {
  const last = path.split('.').pop()!.replace(/\[0\]$/, '');
  return last
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(' ')
    .map((w) => ACRONYMS[w.toLowerCase()] ?? w[0].toUpperCase() + w.slice(1))
    .join(' ');
}

function widgets(path: string, name: string, schema: JSONSchema): string[] {
  if (X_DESCRIPTORS[path]) return X_DESCRIPTORS[path];
  if (schema.type === 'object' || schema.type === 'array') return [];
  if (schema.enum) return schema.enum.map((v) => `${UI}:select:${v}`);
  if (schema.type === 'boolean') return [`${UI}:booleanSwitch`];
  if (schema.type === 'integer' || schema.type === 'number') return [`${UI}:number`];
  if (schema.type === 'string') return /Secret$/.test(name) ? [SECRET] : [`${UI}:text`];
  return [];
}

function walk(schema: JSONSchema, prefix: string, depth: number, out: Descriptor[]): void {
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const x = widgets(`spec.${path}`, name, property);
    out.push({ path, displayName: displayName(path), ...(property.description ? { description: property.description } : {}), ...(x.length ? { 'x-descriptors': x } : {}) });
    if (depth >= MAX_DEPTH || NOT_DESCENDED.has(path)) continue;
    if (property.type === 'object' && property.properties) walk(property, path, depth + 1, out);
    if (property.type === 'array' && property.items?.properties) walk(property.items, `${path}[0]`, depth + 1, out);
  }
}

/** A descriptor per spec field, down to three levels (components[0].overrides is left to YAML). */
export function specDescriptors(schema: JSONSchema = specSchema): Descriptor[] {
  const out: Descriptor[] = [];
  walk(schema, '', 1, out);
  return out;
}

/** The status fields worth a line on the details page: scalars and the conditions. */
export function statusDescriptors(schema: JSONSchema = statusSchema): Descriptor[] {
  return Object.entries(schema.properties ?? {})
    .filter(([name, p]) => X_DESCRIPTORS[`status.${name}`] || (p.type !== 'object' && p.type !== 'array'))
    .map(([name, p]) => {
      const x = widgets(`status.${name}`, name, p);
      return { path: name, displayName: displayName(name), ...(p.description ? { description: p.description } : {}), ...(x.length ? { 'x-descriptors': x } : {}) };
    });
}
