// Offline schema validation of rendered Kubernetes objects, for tests.
//
//   validateObject(obj) -> string[]   (empty = valid)
//   validateAll(objs)                 (throws one Error listing every problem)
//
// Dispatch on apiVersion + kind:
//   - custom resources: the openAPIV3Schema of a CRD in ../../../shared/crds (any *.yaml there) or of
//     our own QuayRegistry CRD (lib/api/crd.ts), compiled with ajv. Defaults are applied to a copy
//     first (as the API server defaults before it validates) and unknown fields are reported (the API
//     server would prune them silently, which in a test is nearly always a typo). CEL rules
//     (x-kubernetes-validations) are NOT evaluated.
//   - built-in kinds: the validator of the matching `kubernetes-models` class, found generically from
//     apiVersion/kind (kubernetes-models/<apiVersion>/<Kind>). It checks types, enums, formats and
//     required fields, but not unknown fields.
//   - anything else is reported as an error: an unknown kind never passes.
// On top of the schemas, a few checks the API server makes outside its OpenAPI schemas: object
// names, label and annotation keys/values, containers (name, image, unique names, volume mounts),
// selector vs. template labels, Service ports, HPA bounds.
import * as fs from 'fs';
import * as path from 'path';
import { sharedDir } from './shared-dir';
import * as yaml from 'js-yaml';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { quayRegistryCrd } from '../../lib/api/crd';

export const CRD_DIR = sharedDir('crds');

type Obj = Record<string, any>;
type PathSeg = string | number;
type Checker = (obj: Obj) => Problem[];
interface Problem {
  path: PathSeg[];
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Names, labels, annotations (k8s.io/apimachinery/pkg/util/validation)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
// Kubernetes < 1.30 (we support 1.26+): env var names are C-identifier-like.
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

export function dns1123Label(v: string): string | undefined {
  if (v.length > 63) return `must be no more than 63 characters (has ${v.length})`;
  if (!DNS1123_LABEL.test(v)) return 'must be a lowercase RFC 1123 label ([a-z0-9]([-a-z0-9]*[a-z0-9])?)';
  return undefined;
}

export function dns1123Subdomain(v: string): string | undefined {
  if (v.length > 253) return `must be no more than 253 characters (has ${v.length})`;
  if (!DNS1123_SUBDOMAIN.test(v)) return 'must be a lowercase RFC 1123 subdomain (lowercase alphanumerics, - and ., starting and ending alphanumeric)';
  return undefined;
}

export function dns1035Label(v: string): string | undefined {
  if (v.length > 63) return `must be no more than 63 characters (has ${v.length})`;
  if (!DNS1035_LABEL.test(v)) return 'must be a lowercase RFC 1035 label ([a-z]([-a-z0-9]*[a-z0-9])?)';
  return undefined;
}

/** Role/ClusterRole/...Binding names: any path segment (e.g. `system:controller:x`). */
function pathSegmentName(v: string): string | undefined {
  if (v === '.' || v === '..') return `may not be '${v}'`;
  if (/[/%]/.test(v)) return "may not contain '/' or '%'";
  return undefined;
}

/** Label and annotation keys: [prefix/]name. */
export function qualifiedName(key: string): string | undefined {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) return 'prefix part must be non-empty';
    const bad = dns1123Subdomain(prefix);
    if (bad) return `prefix part ${bad}`;
  } else if (parts.length > 2) {
    return "must be a qualified name: an optional DNS subdomain prefix and '/', then a name";
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return `name part must be no more than 63 characters (has ${name.length})`;
  if (!QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumerics, '-', '_' or '.', and must start and end with an alphanumeric";
  }
  return undefined;
}

export function labelValue(v: string): string | undefined {
  if (v.length > 63) return `must be no more than 63 characters (has ${v.length})`;
  if (!LABEL_VALUE.test(v)) return "must be empty or consist of alphanumerics, '-', '_' or '.', and start and end with an alphanumeric";
  return undefined;
}

function ianaSvcName(v: string): string | undefined {
  if (v.length > 15) return `must be no more than 15 characters (has ${v.length})`;
  if (!IANA_SVC_NAME.test(v)) return 'must contain only lowercase alphanumerics and -, starting and ending alphanumeric';
  if (v.includes('--')) return "must not contain consecutive hyphens ('--')";
  if (!/[a-z]/.test(v)) return 'must contain at least one letter';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Formatting

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function formatPath(segs: PathSeg[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out || '(root)';
}

function pointerToPath(pointer: string): PathSeg[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function describe(obj: unknown): string {
  if (!isObj(obj)) return '<not an object>';
  const kind = typeof obj.kind === 'string' && obj.kind ? obj.kind : '<no kind>';
  const md = isObj(obj.metadata) ? obj.metadata : {};
  const name = typeof md.name === 'string' && md.name ? md.name : '<no name>';
  const ns = typeof md.namespace === 'string' && md.namespace ? ` (namespace ${md.namespace})` : '';
  return `${kind}/${name}${ns}`;
}

function fromAjvErrors(errors: ErrorObject[] | null | undefined): Problem[] {
  const out: Problem[] = [];
  for (const e of errors ?? []) {
    const p = pointerToPath(e.instancePath);
    const params = e.params as Record<string, any>;
    if (e.keyword === 'required') out.push({ path: [...p, params.missingProperty], message: 'is required' });
    else if (e.keyword === 'additionalProperties') {
      out.push({ path: [...p, params.additionalProperty], message: 'unknown field (not in the schema)' });
    } else if (e.keyword === 'enum') {
      out.push({ path: p, message: `must be one of ${params.allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}` });
    } else out.push({ path: p, message: e.message ?? `fails ${e.keyword}` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Custom resources: CRD schemas compiled with ajv

interface CrdVersion {
  source: string;
  served: boolean;
  schema: Obj;
  validate?: ValidateFunction;
  applyDefaults?: ValidateFunction;
}

/**
 * CRD patterns are Go (RE2) regular expressions. JavaScript lacks RE2's inline flags, e.g.
 * `^(?i)(abort|warn)?$` in the PrometheusRule CRD: a leading group of flags becomes RegExp flags.
 */
const goRegExp = Object.assign(
  (pattern: string, u: string): RegExp => {
    let flags = u;
    const m = /^(\^?)\(\?([ims]+)\)/.exec(pattern);
    if (m) {
      pattern = m[1] + pattern.slice(m[0].length);
      for (const f of m[2]) if (!flags.includes(f)) flags += f;
    }
    try {
      return new RegExp(pattern, flags);
    } catch {
      return new RegExp(pattern, flags.replace('u', '')); // e.g. identity escapes RE2 accepts
    }
  },
  { code: 'goRegExp' },
);

let ajv: Ajv | undefined;
function getAjv(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, code: { regExp: goRegExp } });
    // The same formats kubernetes-models uses (ajv-formats full set, int32/int64, byte, quantity, ...).
    const { formats } = require('@kubernetes-models/validate') as { formats: Record<string, any> };
    for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format);
  }
  return ajv;
}

let crds: Map<string, CrdVersion> | undefined;

function registerCrd(map: Map<string, CrdVersion>, crd: unknown, source: string): void {
  if (!isObj(crd) || crd.kind !== 'CustomResourceDefinition' || !isObj(crd.spec)) return;
  const { group, names, versions } = crd.spec;
  if (typeof group !== 'string' || !isObj(names) || !Array.isArray(versions)) return;
  for (const v of versions) {
    const schema = v?.schema?.openAPIV3Schema;
    if (!isObj(schema)) continue;
    map.set(`${group}/${v.name}|${names.kind}`, { source, served: v.served !== false, schema });
  }
}

function loadCrds(): Map<string, CrdVersion> {
  if (crds) return crds;
  const map = new Map<string, CrdVersion>();
  if (fs.existsSync(CRD_DIR)) {
    for (const file of fs.readdirSync(CRD_DIR).sort()) {
      if (!/\.(ya?ml|json)$/.test(file)) continue;
      const full = path.join(CRD_DIR, file);
      let docs: unknown[];
      try {
        docs = yaml.loadAll(fs.readFileSync(full, 'utf8'));
      } catch (e) {
        throw new Error(`cannot read CRDs from ${full}: ${(e as Error).message}`);
      }
      for (const doc of docs) registerCrd(map, doc, full);
    }
  }
  registerCrd(map, quayRegistryCrd(), 'lib/api/crd.ts (quayRegistryCrd)');
  crds = map;
  return map;
}

/** Known custom resource kinds, as `group/version|Kind` (for error messages and tests). */
export function knownCustomResources(): string[] {
  return [...loadCrds().keys()].sort();
}

/**
 * Rewrites a CRD's structural schema into plain JSON schema with the API server's semantics:
 * - x-kubernetes-int-or-string without anyOf: integer or string;
 * - objects that neither preserve unknown fields nor declare additionalProperties reject unknown
 *   fields (the server prunes them; in a test they are nearly always a mistake);
 * - keys whose value is null (e.g. `anyOf: null` in the Route CRD) are dropped.
 * The root `metadata` is left open: the server validates it as ObjectMeta, we check it separately.
 */
function toJsonSchema(node: unknown, isRoot = true): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, false));
  if (!isObj(node)) return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    if (v === null || v === undefined) continue;
    if (k === 'properties' && isObj(v)) {
      out.properties = {};
      for (const [name, sub] of Object.entries(v)) {
        out.properties[name] = isRoot && name === 'metadata' ? { type: 'object' } : toJsonSchema(sub, false);
      }
    } else if (k === 'items' || k === 'additionalProperties' || k === 'not') {
      out[k] = typeof v === 'boolean' ? v : toJsonSchema(v, false);
    } else if (k === 'anyOf' || k === 'allOf' || k === 'oneOf') {
      out[k] = (v as unknown[]).map((b) => toJsonSchema(b, false));
    } else {
      out[k] = v;
    }
  }
  if (out['x-kubernetes-int-or-string'] === true && !out.anyOf && !out.type) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const preserve = out['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.type === 'object' && !preserve && out.additionalProperties === undefined) {
    if (!isRoot || out.properties) out.additionalProperties = false;
  }
  return out;
}

// Only the defaulting part of a schema: ajv applies `default`s while it evaluates `properties`, which
// is after anyOf/allOf/not; the API server defaults the whole object before it validates anything.
let defaultingAjv: Ajv | undefined;
function defaultsOnly(node: unknown): unknown {
  if (!isObj(node)) return {};
  const out: Obj = {};
  if (node.default !== undefined) out.default = node.default;
  if (isObj(node.properties)) {
    out.properties = {};
    for (const [name, sub] of Object.entries(node.properties)) out.properties[name] = defaultsOnly(sub);
  }
  if (isObj(node.items)) out.items = defaultsOnly(node.items);
  if (isObj(node.additionalProperties)) out.additionalProperties = defaultsOnly(node.additionalProperties);
  return out;
}

function collectFormats(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) node.forEach((n) => collectFormats(n, into));
  else if (isObj(node)) {
    if (typeof node.format === 'string') into.add(node.format);
    Object.values(node).forEach((v) => collectFormats(v, into));
  }
}

function crdChecker(key: string, crd: CrdVersion): Checker {
  return (obj) => {
    if (!crd.served) return [{ path: ['apiVersion'], message: `version is not served by the CRD in ${crd.source}` }];
    if (!crd.validate) {
      const a = getAjv();
      const schema = toJsonSchema(crd.schema) as Obj;
      // The API server ignores formats it does not know; so do we.
      const formats = new Set<string>();
      collectFormats(schema, formats);
      for (const f of formats) if (!a.formats[f]) a.addFormat(f, true);
      try {
        crd.validate = a.compile(schema);
        defaultingAjv ??= new Ajv({ strict: false, useDefaults: true, validateFormats: false });
        crd.applyDefaults = defaultingAjv.compile(defaultsOnly(crd.schema) as Obj);
      } catch (e) {
        throw new Error(`cannot compile the schema of ${key} from ${crd.source}: ${(e as Error).message}`);
      }
    }
    // Validate a defaulted copy, as the server defaults before validating.
    const copy = JSON.parse(JSON.stringify(obj));
    crd.applyDefaults!(copy);
    return crd.validate(copy) ? [] : fromAjvErrors(crd.validate.errors);
  };
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds: kubernetes-models

/** Group/versions kubernetes-models still ships but a Kubernetes 1.26+ API server no longer serves. */
const REMOVED_API_VERSIONS: Record<string, string> = {
  'extensions/v1beta1': '1.22',
  'apps/v1beta1': '1.16',
  'apps/v1beta2': '1.16',
  'autoscaling/v2beta1': '1.25',
  'autoscaling/v2beta2': '1.26',
  'batch/v1beta1': '1.25',
  'policy/v1beta1': '1.25',
  'networking.k8s.io/v1beta1': '1.22',
  'rbac.authorization.k8s.io/v1beta1': '1.22',
  'apiextensions.k8s.io/v1beta1': '1.22',
  'apiregistration.k8s.io/v1beta1': '1.22',
  'certificates.k8s.io/v1beta1': '1.22',
  'coordination.k8s.io/v1beta1': '1.22',
  'scheduling.k8s.io/v1beta1': '1.22',
  'discovery.k8s.io/v1beta1': '1.25',
  'events.k8s.io/v1beta1': '1.25',
  'node.k8s.io/v1beta1': '1.25',
  'flowcontrol.apiserver.k8s.io/v1beta1': '1.26',
};

interface ModelClass {
  new (data: unknown): { validate(): void };
  apiVersion?: string;
  kind?: string;
}

function loadModel(apiVersion: string, kind: string): ModelClass | undefined {
  // Guard the module path: apiVersion is [group/]version, kind is a CamelCase identifier.
  if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) return undefined;
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  let mod: Record<string, unknown>;
  try {
    mod = require(`kubernetes-models/${apiVersion}/${kind}`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return undefined;
    throw e;
  }
  const cls = mod[kind] as ModelClass | undefined;
  // Sub-schemas (e.g. v1/Container) have no apiVersion/kind: they are not API resources.
  if (typeof cls !== 'function' || cls.apiVersion !== apiVersion || cls.kind !== kind) return undefined;
  return cls;
}

function modelChecker(cls: ModelClass): Checker {
  return (obj) => {
    try {
      new cls(obj).validate();
      return [];
    } catch (e) {
      const errors = (e as { errors?: ErrorObject[] }).errors;
      if (Array.isArray(errors)) return fromAjvErrors(errors);
      return [{ path: [], message: (e as Error).message }];
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Dispatch

const checkers = new Map<string, Checker | string>();

function checkerFor(apiVersion: string, kind: string): Checker | string {
  const key = `${apiVersion}|${kind}`;
  const cached = checkers.get(key);
  if (cached) return cached;
  let result: Checker | string;
  const crd = loadCrds().get(key);
  if (crd) result = crdChecker(key, crd);
  else if (REMOVED_API_VERSIONS[apiVersion]) {
    result = `apiVersion ${apiVersion} was removed in Kubernetes ${REMOVED_API_VERSIONS[apiVersion]}; the operator supports 1.26+`;
  } else {
    const cls = loadModel(apiVersion, kind);
    result = cls
      ? modelChecker(cls)
      : `unknown kind ${kind} in apiVersion ${apiVersion}: neither a built-in kind in kubernetes-models nor a CRD in ${CRD_DIR} or quayRegistryCrd()`;
  }
  checkers.set(key, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Checks outside the OpenAPI schemas (what the API server's Go validation adds)

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

function checkMetadata(obj: Obj): Problem[] {
  const out: Problem[] = [];
  const md = obj.metadata;
  if (!isObj(md)) return [{ path: ['metadata'], message: 'is required (an object)' }];
  const name = md.name;
  if (typeof name !== 'string' || name === '') {
    out.push({ path: ['metadata', 'name'], message: 'is required' });
  } else {
    let bad: string | undefined;
    if (obj.kind === 'Service') bad = dns1035Label(name);
    else if (obj.kind === 'Namespace') bad = dns1123Label(name);
    else if (RBAC_KINDS.has(obj.kind)) bad = pathSegmentName(name);
    else bad = dns1123Subdomain(name);
    if (bad) out.push({ path: ['metadata', 'name'], message: `${JSON.stringify(name)} ${bad}` });
    if (obj.kind === 'CustomResourceDefinition' && isObj(obj.spec) && isObj(obj.spec.names)) {
      const want = `${obj.spec.names.plural}.${obj.spec.group}`;
      if (name !== want) out.push({ path: ['metadata', 'name'], message: `must be spec.names.plural + "." + spec.group (${want})` });
    }
  }
  if (md.namespace !== undefined) {
    const bad = typeof md.namespace === 'string' ? dns1123Label(md.namespace) : 'must be a string';
    if (bad) out.push({ path: ['metadata', 'namespace'], message: `${JSON.stringify(md.namespace)} ${bad}` });
  }
  out.push(...checkLabels(md.labels, ['metadata', 'labels']));
  out.push(...checkAnnotations(md.annotations, ['metadata', 'annotations']));
  return out;
}

function checkLabels(labels: unknown, at: PathSeg[]): Problem[] {
  if (labels === undefined) return [];
  if (!isObj(labels)) return [{ path: at, message: 'must be a map of strings' }];
  const out: Problem[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const badKey = qualifiedName(k);
    if (badKey) out.push({ path: [...at, k], message: `key ${JSON.stringify(k)}: ${badKey}` });
    if (typeof v !== 'string') out.push({ path: [...at, k], message: 'value must be a string' });
    else {
      const badValue = labelValue(v);
      if (badValue) out.push({ path: [...at, k], message: `value ${JSON.stringify(v)} ${badValue}` });
    }
  }
  return out;
}

function checkAnnotations(annotations: unknown, at: PathSeg[]): Problem[] {
  if (annotations === undefined) return [];
  if (!isObj(annotations)) return [{ path: at, message: 'must be a map of strings' }];
  const out: Problem[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    const badKey = qualifiedName(k.toLowerCase());
    if (badKey) out.push({ path: [...at, k], message: `key ${JSON.stringify(k)}: ${badKey}` });
    if (typeof v !== 'string') out.push({ path: [...at, k], message: 'value must be a string' });
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > MAX_ANNOTATIONS_BYTES) out.push({ path: at, message: `total size ${size} exceeds ${MAX_ANNOTATIONS_BYTES} bytes` });
  return out;
}

function checkSelectorLabels(sel: unknown, at: PathSeg[]): Problem[] {
  return isObj(sel) ? checkLabels(sel, at) : [];
}

function checkPodSpec(spec: unknown, at: PathSeg[]): Problem[] {
  if (!isObj(spec)) return [];
  const out: Problem[] = [];
  const volumes = new Set<string>();
  (Array.isArray(spec.volumes) ? spec.volumes : []).forEach((v: unknown, i: number) => {
    if (!isObj(v) || typeof v.name !== 'string') return;
    const bad = dns1123Label(v.name);
    if (bad) out.push({ path: [...at, 'volumes', i, 'name'], message: `${JSON.stringify(v.name)} ${bad}` });
    if (volumes.has(v.name)) out.push({ path: [...at, 'volumes', i, 'name'], message: `duplicate volume name ${JSON.stringify(v.name)}` });
    volumes.add(v.name);
  });
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    out.push({ path: [...at, 'containers'], message: 'must have at least one container' });
  }
  const names = new Set<string>();
  for (const field of ['initContainers', 'containers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c: unknown, i: number) => {
      const cp = [...at, field, i];
      if (!isObj(c)) return;
      if (typeof c.name !== 'string' || c.name === '') out.push({ path: [...cp, 'name'], message: 'is required' });
      else {
        const bad = dns1123Label(c.name);
        if (bad) out.push({ path: [...cp, 'name'], message: `${JSON.stringify(c.name)} ${bad}` });
        if (names.has(c.name)) out.push({ path: [...cp, 'name'], message: `duplicate container name ${JSON.stringify(c.name)}` });
        names.add(c.name);
      }
      if (typeof c.image !== 'string' || c.image === '') out.push({ path: [...cp, 'image'], message: 'is required' });
      else if (c.image !== c.image.trim()) out.push({ path: [...cp, 'image'], message: 'must not have leading or trailing whitespace' });
      const portNames = new Set<string>();
      (Array.isArray(c.ports) ? c.ports : []).forEach((p: unknown, j: number) => {
        if (!isObj(p)) return;
        if (typeof p.name === 'string') {
          const bad = ianaSvcName(p.name);
          if (bad) out.push({ path: [...cp, 'ports', j, 'name'], message: `${JSON.stringify(p.name)} ${bad}` });
          if (portNames.has(p.name)) out.push({ path: [...cp, 'ports', j, 'name'], message: `duplicate port name ${JSON.stringify(p.name)}` });
          portNames.add(p.name);
        }
        if (typeof p.containerPort === 'number' && (p.containerPort < 1 || p.containerPort > 65535)) {
          out.push({ path: [...cp, 'ports', j, 'containerPort'], message: 'must be between 1 and 65535' });
        }
      });
      (Array.isArray(c.env) ? c.env : []).forEach((e: unknown, j: number) => {
        if (isObj(e) && typeof e.name === 'string' && !ENV_VAR_NAME.test(e.name)) {
          out.push({ path: [...cp, 'env', j, 'name'], message: `${JSON.stringify(e.name)} must match ${ENV_VAR_NAME.source}` });
        }
      });
      const mountPaths = new Set<string>();
      (Array.isArray(c.volumeMounts) ? c.volumeMounts : []).forEach((m: unknown, j: number) => {
        if (!isObj(m)) return;
        if (typeof m.name === 'string' && !volumes.has(m.name)) {
          out.push({ path: [...cp, 'volumeMounts', j, 'name'], message: `volume ${JSON.stringify(m.name)} is not in ${formatPath([...at, 'volumes'])}` });
        }
        if (typeof m.mountPath === 'string') {
          if (mountPaths.has(m.mountPath)) out.push({ path: [...cp, 'volumeMounts', j, 'mountPath'], message: `duplicate mount path ${m.mountPath}` });
          mountPaths.add(m.mountPath);
        }
      });
    });
  }
  return out;
}

function checkPodTemplate(template: unknown, at: PathSeg[], selector?: unknown): Problem[] {
  if (!isObj(template)) return [];
  const out: Problem[] = [];
  const labels = isObj(template.metadata) ? template.metadata.labels : undefined;
  out.push(...checkLabels(labels, [...at, 'metadata', 'labels']));
  if (isObj(template.metadata)) out.push(...checkAnnotations(template.metadata.annotations, [...at, 'metadata', 'annotations']));
  out.push(...checkPodSpec(template.spec, [...at, 'spec']));
  if (isObj(selector) && isObj(selector.matchLabels)) {
    for (const [k, v] of Object.entries(selector.matchLabels)) {
      if (!isObj(labels) || labels[k] !== v) {
        out.push({ path: [...at, 'metadata', 'labels'], message: `selector matchLabels ${k}=${String(v)} does not match the template labels` });
      }
    }
  }
  return out;
}

function checkKindSpecific(obj: Obj): Problem[] {
  const spec = obj.spec;
  const group = typeof obj.apiVersion === 'string' && obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  if (!isObj(spec)) return [];
  const out: Problem[] = [];
  const builtinWorkload = group === 'apps' || group === 'batch' || group === '';
  switch (builtinWorkload ? obj.kind : '') {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
      out.push(...checkSelectorLabels(spec.selector?.matchLabels, ['spec', 'selector', 'matchLabels']));
      out.push(...checkPodTemplate(spec.template, ['spec', 'template'], spec.selector));
      break;
    case 'Job':
      out.push(...checkPodTemplate(spec.template, ['spec', 'template']));
      break;
    case 'CronJob':
      out.push(...checkPodTemplate(spec.jobTemplate?.spec?.template, ['spec', 'jobTemplate', 'spec', 'template']));
      break;
    case 'Pod':
      out.push(...checkPodSpec(spec, ['spec']));
      break;
    case 'Service': {
      out.push(...checkSelectorLabels(spec.selector, ['spec', 'selector']));
      const ports = Array.isArray(spec.ports) ? spec.ports : [];
      const seen = new Set<string>();
      ports.forEach((p: unknown, i: number) => {
        if (!isObj(p)) return;
        if (ports.length > 1 && (typeof p.name !== 'string' || p.name === '')) {
          out.push({ path: ['spec', 'ports', i, 'name'], message: 'is required when a Service has more than one port' });
        }
        if (typeof p.name === 'string' && p.name !== '') {
          const bad = dns1123Label(p.name);
          if (bad) out.push({ path: ['spec', 'ports', i, 'name'], message: `${JSON.stringify(p.name)} ${bad}` });
          if (seen.has(p.name)) out.push({ path: ['spec', 'ports', i, 'name'], message: `duplicate port name ${JSON.stringify(p.name)}` });
          seen.add(p.name);
        }
        if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535)) out.push({ path: ['spec', 'ports', i, 'port'], message: 'must be between 1 and 65535' });
        if (typeof p.targetPort === 'number' && (p.targetPort < 1 || p.targetPort > 65535)) {
          out.push({ path: ['spec', 'ports', i, 'targetPort'], message: 'must be between 1 and 65535' });
        } else if (typeof p.targetPort === 'string') {
          const bad = ianaSvcName(p.targetPort);
          if (bad) out.push({ path: ['spec', 'ports', i, 'targetPort'], message: `named port ${JSON.stringify(p.targetPort)} ${bad}` });
        }
      });
      break;
    }
    default:
      break;
  }
  if (obj.kind === 'HorizontalPodAutoscaler' && group === 'autoscaling') {
    if (typeof spec.minReplicas === 'number' && spec.minReplicas < 1) out.push({ path: ['spec', 'minReplicas'], message: 'must be at least 1' });
    if (typeof spec.maxReplicas === 'number' && spec.maxReplicas < Math.max(1, spec.minReplicas ?? 1)) {
      out.push({ path: ['spec', 'maxReplicas'], message: 'must be at least 1 and at least minReplicas' });
    }
  }
  if (obj.kind === 'PodDisruptionBudget' && group === 'policy' && spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    out.push({ path: ['spec'], message: 'minAvailable and maxUnavailable cannot both be set' });
  }
  if (obj.kind === 'NetworkPolicy' && group === 'networking.k8s.io' && isObj(spec.podSelector)) {
    out.push(...checkSelectorLabels(spec.podSelector.matchLabels, ['spec', 'podSelector', 'matchLabels']));
  }
  if (obj.kind === 'PodDisruptionBudget' && group === 'policy' && isObj(spec.selector)) {
    out.push(...checkSelectorLabels(spec.selector.matchLabels, ['spec', 'selector', 'matchLabels']));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Validates one rendered object. Returns human-readable problems, empty when valid. */
export function validateObject(obj: any): string[] {
  const who = describe(obj);
  if (!isObj(obj)) return [`${who}: must be an object, got ${obj === null ? 'null' : Array.isArray(obj) ? 'an array' : typeof obj}`];
  const problems: Problem[] = [];
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || apiVersion === '') problems.push({ path: ['apiVersion'], message: 'is required' });
  if (typeof kind !== 'string' || kind === '') problems.push({ path: ['kind'], message: 'is required' });
  if (problems.length === 0) {
    const checker = checkerFor(apiVersion, kind);
    if (typeof checker === 'string') problems.push({ path: [], message: checker });
    else problems.push(...checker(obj));
  }
  problems.push(...checkMetadata(obj));
  problems.push(...checkKindSpecific(obj));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of problems) {
    const line = `${who}: ${formatPath(p.path)}: ${p.message}`;
    if (!seen.has(line)) out.push(line);
    seen.add(line);
  }
  return out;
}

/** Validates every object; throws one Error listing every problem of every object. */
export function validateAll(objs: any[]): void {
  const problems = objs.flatMap((o) => validateObject(o));
  if (problems.length > 0) {
    throw new Error(`${problems.length} schema problem(s) in ${objs.length} object(s):\n  ${problems.join('\n  ')}`);
  }
}
