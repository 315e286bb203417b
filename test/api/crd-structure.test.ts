// What a Kubernetes 1.26+ API server requires of the QuayRegistry CRD before it accepts it, checked
// offline: a structural schema
// (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema),
// list-map keys, CEL rules whose cost the server can bound, and what makes the CRD usable (status
// subresource, printer columns, descriptions for `kubectl explain`).
//
// Every check is a function returning findings, so the last block can prove each one finds the defect
// it is meant to find in a deliberately broken copy of the CRD.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { quayRegistryCrd } from '../../lib/api/crd';
import { validateObject } from '../support/schema';

type S = Record<string, any>;

interface Visit {
  node: S;
  /** Data path of the node, e.g. `.spec.components[].overrides.env[].name`; `{}` is a map value. */
  path: string;
  /** Enclosing nodes, outermost first. */
  ancestors: { node: S; path: string }[];
  /** Name of the property this node is the value of (undefined for items, map values and the root). */
  propertyName?: string;
}

const isObj = (v: unknown): v is S => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (path: string) => path || '(root)';
const JUNCTORS = ['anyOf', 'allOf', 'oneOf'] as const;
const SCALARS = new Set(['string', 'integer', 'number', 'boolean']);

function rootSchema(crd: S): S {
  return crd.spec.versions[0].schema.openAPIV3Schema;
}

/** Visits the root and every node below it through properties, items and additionalProperties. */
function walk(root: S, visit: (v: Visit) => void): void {
  const go = (node: S, path: string, ancestors: Visit['ancestors'], propertyName?: string) => {
    visit({ node, path, ancestors, propertyName });
    const inner = [...ancestors, { node, path }];
    if (isObj(node.properties)) for (const [k, v] of Object.entries(node.properties)) if (isObj(v)) go(v, `${path}.${k}`, inner, k);
    if (isObj(node.items)) go(node.items, `${path}[]`, inner);
    if (isObj(node.additionalProperties)) go(node.additionalProperties, `${path}{}`, inner);
  };
  go(root, '', []);
}

function isIntOrStringAnyOf(anyOf: unknown): boolean {
  return (
    Array.isArray(anyOf) &&
    anyOf.length === 2 &&
    anyOf.every((b) => isObj(b) && Object.keys(b).length === 1) &&
    anyOf[0].type === 'integer' &&
    anyOf[1].type === 'string'
  );
}

// ---------------------------------------------------------------------------------------------
// Structural schema

function missingTypes(crd: S): string[] {
  const out: string[] = [];
  walk(rootSchema(crd), ({ node, path }) => {
    if (node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true) return;
    if (typeof node.type !== 'string' || node.type === '') out.push(`${at(path)}: has no type`);
  });
  return out;
}

function intOrStringMisuse(crd: S): string[] {
  const out: string[] = [];
  walk(rootSchema(crd), ({ node, path }) => {
    if (node['x-kubernetes-int-or-string'] !== true) return;
    if (node.type !== undefined) out.push(`${at(path)}: x-kubernetes-int-or-string nodes must not set type`);
    if (node.anyOf !== undefined && !isIntOrStringAnyOf(node.anyOf)) {
      out.push(`${at(path)}: x-kubernetes-int-or-string anyOf must be exactly [{type: integer}, {type: string}]`);
    }
  });
  return out;
}

const FORBIDDEN_IN_JUNCTORS = ['type', 'description', 'default', 'additionalProperties', 'nullable'];

/** anyOf/allOf/oneOf/not may only restrict what the enclosing node already specifies. */
function junctorMisuse(crd: S): string[] {
  const out: string[] = [];
  const checkBranch = (branch: unknown, outer: S, where: string) => {
    if (!isObj(branch)) return out.push(`${where}: must be a schema object`);
    for (const key of FORBIDDEN_IN_JUNCTORS) if (key in branch) out.push(`${where}: sets ${key}`);
    if (isObj(branch.properties)) {
      for (const k of Object.keys(branch.properties)) {
        if (!isObj(outer.properties) || !(k in outer.properties)) out.push(`${where}: property ${k} is not specified outside the junctor`);
        else checkBranch(branch.properties[k], outer.properties[k], `${where}.properties.${k}`);
      }
    }
    if (branch.items !== undefined) {
      if (!isObj(outer.items)) out.push(`${where}: items is not specified outside the junctor`);
      else checkBranch(branch.items, outer.items, `${where}.items`);
    }
    for (const j of JUNCTORS) if (Array.isArray(branch[j])) branch[j].forEach((b: unknown, i: number) => checkBranch(b, outer, `${where}.${j}[${i}]`));
    if (branch.not !== undefined) checkBranch(branch.not, outer, `${where}.not`);
    return undefined;
  };
  walk(rootSchema(crd), ({ node, path }) => {
    const intOrString = node['x-kubernetes-int-or-string'] === true;
    for (const j of JUNCTORS) {
      if (node[j] === undefined) continue;
      if (!Array.isArray(node[j])) {
        out.push(`${at(path)}: ${j} must be a list`);
        continue;
      }
      if (j === 'anyOf' && intOrString && isIntOrStringAnyOf(node[j])) continue;
      node[j].forEach((b: unknown, i: number) => {
        // allOf: [{anyOf: [{type: integer}, {type: string}]}, ...] is the other int-or-string form.
        if (j === 'allOf' && intOrString && isObj(b) && Object.keys(b).length === 1 && isIntOrStringAnyOf(b.anyOf)) return;
        checkBranch(b, node, `${at(path)}.${j}[${i}]`);
      });
    }
    if (node.not !== undefined) checkBranch(node.not, node, `${at(path)}.not`);
  });
  return out;
}

function propertiesWithAdditionalProperties(crd: S): string[] {
  const out: string[] = [];
  walk(rootSchema(crd), ({ node, path }) => {
    if (node.properties !== undefined && node.additionalProperties !== undefined) {
      out.push(`${at(path)}: sets both properties and additionalProperties`);
    }
  });
  return out;
}

/** At the root, metadata may only restrict name and generateName. */
function metadataMisuse(crd: S): string[] {
  const md = rootSchema(crd).properties?.metadata;
  if (md === undefined) return [];
  const out: string[] = [];
  if (md.type !== 'object') out.push('.metadata: must be type object');
  for (const k of Object.keys(md)) {
    if (!['type', 'properties', 'description'].includes(k)) out.push(`.metadata: may not set ${k}`);
  }
  for (const k of Object.keys(md.properties ?? {})) {
    if (k !== 'name' && k !== 'generateName') out.push(`.metadata.${k}: only name and generateName may be restricted`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// List types

function listTypeMisuse(crd: S): string[] {
  const out: string[] = [];
  walk(rootSchema(crd), ({ node, path }) => {
    const listType = node['x-kubernetes-list-type'];
    const keys = node['x-kubernetes-list-map-keys'];
    if (listType === undefined && keys === undefined) return;
    if (node.type !== 'array') return out.push(`${at(path)}: x-kubernetes-list-type on a non-array`);
    if (!['atomic', 'set', 'map'].includes(listType)) return out.push(`${at(path)}: unknown x-kubernetes-list-type ${listType}`);
    const items: S = node.items ?? {};
    if (listType === 'set' && !SCALARS.has(items.type)) out.push(`${at(path)}: list-type set needs scalar items`);
    if (listType !== 'map') {
      if (keys !== undefined) out.push(`${at(path)}: x-kubernetes-list-map-keys without list-type map`);
      return undefined;
    }
    if (!Array.isArray(keys) || keys.length === 0) return out.push(`${at(path)}: list-type map without x-kubernetes-list-map-keys`);
    if (items.type !== 'object') out.push(`${at(path)}[]: list-type map items must be objects`);
    for (const key of keys) {
      const prop = items.properties?.[key];
      if (!isObj(prop)) out.push(`${at(path)}[]: map key ${key} is not a property of the items`);
      else if (!SCALARS.has(prop.type) && prop['x-kubernetes-int-or-string'] !== true) out.push(`${at(path)}[].${key}: map key must be a scalar`);
      if (!(items.required ?? []).includes(key) && prop?.default === undefined) {
        out.push(`${at(path)}[]: map key ${key} must be required (or have a default)`);
      }
    }
    return undefined;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// CEL rules: a static check that everything a rule reads is bounded, so the server can estimate
// (and accept) its cost. Not a CEL parser: it follows `self.a.b` chains and the variables of the
// macros all/exists/exists_one/filter/map, and ignores what `has()` only tests for presence.

const CEL_MACROS = ['all', 'exists', 'exists_one', 'filter', 'map'];
const CEL_FUNCTIONS = new Set([
  ...CEL_MACROS,
  'size', 'matches', 'startsWith', 'endsWith', 'contains', 'lowerAscii', 'upperAscii', 'trim', 'split', 'join',
  'indexOf', 'lastIndexOf', 'replace', 'substring', 'find', 'findAll', 'isSorted', 'sum', 'min', 'max', 'charAt',
]);

interface CelFinding {
  rule: string;
  problem: string;
}

function stripCelStrings(rule: string): string {
  return rule.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
}

/** Follows field names from `node`; stops at the first segment that is a function. */
function resolveChain(node: S, segs: string[]): { node: S; fields: string[]; unknown?: string } {
  let cur = node;
  const fields: string[] = [];
  for (const seg of segs) {
    if (isObj(cur.properties) && isObj(cur.properties[seg])) cur = cur.properties[seg];
    else if (CEL_FUNCTIONS.has(seg)) break;
    else if (isObj(cur.additionalProperties)) cur = cur.additionalProperties;
    else if (cur['x-kubernetes-preserve-unknown-fields'] === true) return { node: {}, fields };
    else return { node: cur, fields, unknown: seg };
    fields.push(seg);
  }
  return { node: cur, fields };
}

function celFindingsFor(rule: string, node: S, path: string): CelFinding[] {
  const out: CelFinding[] = [];
  const src = stripCelStrings(rule);
  let depth = 0;
  for (const ch of src) {
    depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0) out.push({ rule, problem: `${at(path)}: unbalanced parentheses` });

  const vars = new Map<string, S>([
    ['self', node],
    ['oldSelf', node],
  ]);
  const macro = new RegExp(`(?<![.\\w])([A-Za-z_]\\w*)((?:\\.[A-Za-z_]\\w*)*)\\.(${CEL_MACROS.join('|')})\\(\\s*([A-Za-z_]\\w*)\\s*,`, 'g');
  for (let changed = true; changed; ) {
    changed = false;
    for (const m of src.matchAll(macro)) {
      const base = vars.get(m[1]);
      if (!base || vars.has(m[4])) continue;
      const target = resolveChain(base, m[2].split('.').filter(Boolean)).node;
      // Over a list the variable is an element; over a map it is a key (a string).
      vars.set(m[4], target.type === 'array' ? (target.items ?? {}) : { type: 'string', 'x-map-key': true });
      changed = true;
    }
  }

  const ref = /(?<![.\w])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)/g;
  for (const m of src.matchAll(ref)) {
    const base = vars.get(m[1]);
    if (!base) continue;
    const segs = m[2].split('.').filter(Boolean);
    const { node: target, fields, unknown } = resolveChain(base, segs);
    if (unknown) {
      out.push({ rule, problem: `${at(path)}: \`${m[0]}\` refers to ${unknown}, which is not in the schema` });
      continue;
    }
    const text = [m[1], ...fields].join('.');
    if (/has\(\s*$/.test(src.slice(0, m.index))) continue; // presence test only
    // Map keys (x-map-key) have no maxLength in OpenAPI: the map's maxProperties bounds them.
    if (target.type === 'string' && target.maxLength === undefined && !target['x-map-key']) {
      out.push({ rule, problem: `${at(path)}: \`${text}\` compares a string without maxLength` });
    }
    if (target.type === 'array' && target.maxItems === undefined) {
      out.push({ rule, problem: `${at(path)}: \`${text}\` reads a list without maxItems` });
    }
    if (target.type === 'object' && isObj(target.additionalProperties) && target.maxProperties === undefined) {
      out.push({ rule, problem: `${at(path)}: \`${text}\` reads a map without maxProperties` });
    }
  }
  return out;
}

function celFindings(crd: S): CelFinding[] {
  const out: CelFinding[] = [];
  walk(rootSchema(crd), ({ node, path, ancestors }) => {
    const rules = node['x-kubernetes-validations'];
    if (rules === undefined) return;
    if (!Array.isArray(rules)) return void out.push({ rule: '', problem: `${at(path)}: x-kubernetes-validations must be a list` });
    for (const r of rules) {
      if (!isObj(r) || typeof r.rule !== 'string' || r.rule.trim() === '') {
        out.push({ rule: JSON.stringify(r), problem: `${at(path)}: a validation without a rule` });
        continue;
      }
      if (typeof r.message !== 'string' || r.message.trim() === '') out.push({ rule: r.rule, problem: `${at(path)}: rule without a message` });
      out.push(...celFindingsFor(r.rule, node, path));
      // The rule runs once per element of every enclosing list or map: those must be bounded too.
      for (const a of ancestors) {
        if (a.node.type === 'array' && a.node.maxItems === undefined) {
          out.push({ rule: r.rule, problem: `${at(path)}: runs once per element of ${at(a.path)}, which has no maxItems` });
        }
        if (a.node.type === 'object' && isObj(a.node.additionalProperties) && a.node.maxProperties === undefined) {
          out.push({ rule: r.rule, problem: `${at(path)}: runs once per entry of ${at(a.path)}, which has no maxProperties` });
        }
      }
    }
    return undefined;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Usability

function missingDescriptions(crd: S): string[] {
  const out: string[] = [];
  walk(rootSchema(crd), ({ node, path, ancestors, propertyName }) => {
    if (propertyName === undefined) return;
    if (ancestors.length === 1 && ['metadata', 'apiVersion', 'kind'].includes(propertyName)) return;
    if (typeof node.description !== 'string' || node.description.trim() === '') out.push(`${path}: has no description`);
  });
  return out;
}

/** Resolves a printer column's JSONPath, e.g. `.status.conditions[?(@.type=="Available")].status`. */
function resolveJsonPath(root: S, jsonPath: string): S | undefined {
  const segs = jsonPath.replace(/\[[^\]]*\]/g, '.[]').split('.').filter(Boolean);
  let cur: S | undefined = root;
  for (const seg of segs) {
    if (!cur) return undefined;
    if (seg === '[]') cur = cur.type === 'array' ? cur.items : undefined;
    else cur = cur.properties?.[seg] ?? (isObj(cur.additionalProperties) ? cur.additionalProperties : undefined);
  }
  return cur;
}

function printerColumnProblems(crd: S): string[] {
  const out: string[] = [];
  const root = rootSchema(crd);
  const typeOf: Record<string, (n: S) => boolean> = {
    string: (n) => n.type === 'string',
    integer: (n) => n.type === 'integer',
    number: (n) => n.type === 'number' || n.type === 'integer',
    boolean: (n) => n.type === 'boolean',
    date: (n) => n.type === 'string',
  };
  for (const col of crd.spec.versions[0].additionalPrinterColumns ?? []) {
    if (typeof col.jsonPath !== 'string' || !col.jsonPath.startsWith('.')) {
      out.push(`column ${col.name}: jsonPath must start with "."`);
      continue;
    }
    if (col.jsonPath.startsWith('.metadata.')) continue; // ObjectMeta, not in the CRD schema
    const target = resolveJsonPath(root, col.jsonPath);
    if (!target) out.push(`column ${col.name}: ${col.jsonPath} is not in the schema`);
    else if (!typeOf[col.type]?.(target)) out.push(`column ${col.name}: type ${col.type} does not match the schema's ${target.type}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

describe('QuayRegistry CRD: structural schema (required by the API server)', () => {
  const crd = quayRegistryCrd() as S;

  test('is apiextensions.k8s.io/v1 with one served storage version and an openAPIV3Schema', () => {
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({ served: true, storage: true });
    expect(rootSchema(crd).type).toBe('object');
  });

  test('every node (properties, items, additionalProperties) has a non-empty type, except int-or-string and preserve-unknown-fields nodes', () => {
    expect(missingTypes(crd)).toEqual([]);
    expect(intOrStringMisuse(crd)).toEqual([]);
  });

  test('anyOf/allOf/oneOf/not branches set no type, description, default, additionalProperties or nullable (int-or-string excepted)', () => {
    expect(junctorMisuse(crd)).toEqual([]);
  });

  test('no node sets both properties and additionalProperties', () => {
    expect(propertiesWithAdditionalProperties(crd)).toEqual([]);
  });

  test('metadata restricts at most name and generateName', () => {
    expect(metadataMisuse(crd)).toEqual([]);
  });

  test('list-type map arrays have list-map-keys that are required scalar fields of the items', () => {
    expect(listTypeMisuse(crd)).toEqual([]);
  });

  test('every x-kubernetes-validations rule reads only bounded strings, lists and maps', () => {
    expect(celFindings(crd).map((f) => `${f.problem} (rule: ${f.rule})`)).toEqual([]);
  });

  test('the check above does see the rules (it is not vacuous)', () => {
    const rules: string[] = [];
    walk(rootSchema(crd), ({ node }) => (node['x-kubernetes-validations'] ?? []).forEach((r: S) => rules.push(r.rule)));
    expect(rules.length).toBeGreaterThanOrEqual(3);
  });

  test('is a valid CustomResourceDefinition for kubernetes-models', () => {
    expect(() => new CustomResourceDefinition(crd as any).validate()).not.toThrow();
    expect(validateObject(crd)).toEqual([]);
  });
});

describe('QuayRegistry CRD: usability', () => {
  const crd = quayRegistryCrd() as S;

  test('has the status subresource', () => {
    expect(crd.spec.versions[0].subresources).toEqual(expect.objectContaining({ status: {} }));
  });

  test('prints Version, Available, Endpoint and Age, from fields that exist', () => {
    expect(crd.spec.versions[0].additionalPrinterColumns.map((c: S) => c.name)).toEqual(['Version', 'Available', 'Endpoint', 'Age']);
    expect(printerColumnProblems(crd)).toEqual([]);
  });

  test('every property has a description (for kubectl explain), except metadata, apiVersion and kind', () => {
    expect(missingDescriptions(crd)).toEqual([]);
  });

  test('metadata.name is plural.group', () => {
    expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
  });
});

describe('the checks find what they look for (on broken copies of the CRD)', () => {
  const broken = (edit: (root: S, crd: S) => void): S => {
    const crd = JSON.parse(JSON.stringify(quayRegistryCrd()));
    edit(rootSchema(crd), crd);
    return crd;
  };
  const components = (root: S) => root.properties.spec.properties.components;
  const overrides = (root: S) => components(root).items.properties.overrides;

  test('a missing type', () => {
    expect(missingTypes(broken((r) => delete overrides(r).properties.env.items.properties.value.type))).toEqual([
      '.spec.components[].overrides.env[].value: has no type',
    ]);
    expect(missingTypes(broken((r) => delete r.properties.status.properties.unhealthyComponents.additionalProperties.type))).toEqual([
      '.status.unhealthyComponents{}: has no type',
    ]);
    // int-or-string and preserve-unknown-fields nodes need none.
    expect(missingTypes(broken((r) => delete overrides(r).properties.affinity.type))).toEqual([]);
  });

  test('junctor branches that set forbidden keys or new properties', () => {
    // With a description the anyOf is no longer the int-or-string pattern, so its types count too.
    expect(junctorMisuse(broken((r) => (overrides(r).properties.volumeSize.anyOf[1].description = 'a string')))).toEqual([
      '.spec.components[].overrides.volumeSize.anyOf[0]: sets type',
      '.spec.components[].overrides.volumeSize.anyOf[1]: sets type',
      '.spec.components[].overrides.volumeSize.anyOf[1]: sets description',
    ]);
    expect(
      junctorMisuse(broken((r) => (components(r).items.anyOf = [{ required: ['overrides'] }, { properties: { kind: { enum: ['quay'] }, extra: {} } }]))),
    ).toEqual(['.spec.components[].anyOf[1]: property extra is not specified outside the junctor']);
    expect(junctorMisuse(broken((r) => (components(r).items.not = { type: 'object' })))).toEqual(['.spec.components[].not: sets type']);
  });

  test('properties next to additionalProperties', () => {
    expect(propertiesWithAdditionalProperties(broken((r) => (overrides(r).properties.labels.properties = { app: { type: 'string' } })))).toEqual([
      '.spec.components[].overrides.labels: sets both properties and additionalProperties',
    ]);
  });

  test('metadata restrictions beyond name', () => {
    expect(metadataMisuse(broken((r) => (r.properties.metadata.properties = { labels: { type: 'object' } })))).toEqual([
      '.metadata.labels: only name and generateName may be restricted',
    ]);
  });

  test('list-map keys that are missing or not required', () => {
    expect(listTypeMisuse(broken((r) => (components(r).items.required = ['managed'])))).toEqual([
      '.spec.components[]: map key kind must be required (or have a default)',
    ]);
    expect(listTypeMisuse(broken((r) => delete overrides(r).properties.env['x-kubernetes-list-map-keys']))).toEqual([
      '.spec.components[].overrides.env: list-type map without x-kubernetes-list-map-keys',
    ]);
  });

  test('CEL rules over unbounded strings and lists, or unknown fields', () => {
    const problems = (crd: S) => celFindings(crd).map((f) => f.problem);
    expect(problems(broken((r) => delete components(r).items.properties.kind.maxLength))).toEqual([
      '.spec.components: `d.kind` compares a string without maxLength',
      '.spec.components: `c.kind` compares a string without maxLength',
      ".spec.components[]: `self.kind` compares a string without maxLength",
    ]);
    expect(problems(broken((r) => delete components(r).maxItems))).toEqual(
      expect.arrayContaining([
        '.spec.components: `self` reads a list without maxItems',
        '.spec.components[]: runs once per element of .spec.components, which has no maxItems',
      ]),
    );
    expect(problems(broken((r) => (components(r).items['x-kubernetes-validations'][0].rule = "self.knd != 'quay' || self.managed")))).toEqual([
      '.spec.components[]: `self.knd` refers to knd, which is not in the schema',
    ]);
    // has() only tests presence: an unbounded field there is fine.
    expect(problems(broken((r) => (overrides(r)['x-kubernetes-validations'] = [{ rule: '!has(self.env) || true', message: 'm' }])))).toEqual([]);
    expect(problems(broken((r) => (overrides(r)['x-kubernetes-validations'] = [{ rule: "self.labels.all(k, self.labels[k] != '')", message: 'm' }])))).toEqual([]);
  });

  test('missing descriptions and printer columns that point nowhere', () => {
    expect(missingDescriptions(broken((r) => delete r.properties.status.properties.currentVersion.description))).toEqual([
      '.status.currentVersion: has no description',
    ]);
    expect(printerColumnProblems(broken((_r, c) => (c.spec.versions[0].additionalPrinterColumns[0].jsonPath = '.status.version')))).toEqual([
      'column Version: .status.version is not in the schema',
    ]);
  });
});

test('deploy/crd.yaml is what quayRegistryCrd builds (npm run crd): names, scope, printer columns, status subresource, schema', () => {
  expect(quayRegistryCrd()).toEqual(yaml.load(fs.readFileSync(path.resolve(__dirname, '../../deploy/crd.yaml'), 'utf8')));
});
