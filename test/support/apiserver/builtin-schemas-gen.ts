// Generates ./builtin-schemas.json: the structural schemas of the built-in kinds the fake API server
// serves, read with the TypeScript compiler from kubernetes-models' type declarations (the
// Kubernetes OpenAPI as TypeScript), plus what those declarations lose: which lists merge by which
// keys, which maps and structs are atomic (LIST_SEMANTICS below, from the `+listType`, `+listMapKey`,
// `+patchMergeKey`, `+patchStrategy`, `+structType` and `+mapType` markers of k8s.io/api).
//
// Run by test/support/apiserver/builtin-schemas.test.ts, which fails when the committed file is
// out of date; `UPDATE_BUILTIN_SCHEMAS=1 npx jest builtin-schemas` rewrites it.
import * as path from 'node:path';
import * as ts from 'typescript';
import type { Schema } from './schema';

/** apiVersion/Kind → the declaration file that holds its interface. */
export const BUILTIN_KINDS: Readonly<Record<string, string>> = {
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'v1/PersistentVolumeClaim': 'kubernetes-models/v1/PersistentVolumeClaim',
  'v1/Pod': 'kubernetes-models/v1/Pod',
  'v1/Event': 'kubernetes-models/v1/Event',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'apps/v1/ReplicaSet': 'kubernetes-models/apps/v1/ReplicaSet',
  'autoscaling/v1/Scale': 'kubernetes-models/autoscaling/v1/Scale',
  'batch/v1/Job': 'kubernetes-models/batch/v1/Job',
  'batch/v1/CronJob': 'kubernetes-models/batch/v1/CronJob',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  'rbac.authorization.k8s.io/v1/Role': 'kubernetes-models/rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'coordination.k8s.io/v1/Lease': 'kubernetes-models/coordination.k8s.io/v1/Lease',
  'apiextensions.k8s.io/v1/CustomResourceDefinition': 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition',
  'storage.k8s.io/v1/StorageClass': 'kubernetes-models/storage.k8s.io/v1/StorageClass',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress': 'kubernetes-models/networking.k8s.io/v1/Ingress',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
};

type Semantics = Partial<Pick<Schema, 'x-kubernetes-list-type' | 'x-kubernetes-list-map-keys' | 'x-kubernetes-map-type' | 'x-kubernetes-patch-merge-key' | 'x-kubernetes-patch-strategy' | 'default'>>;

const map = (...keys: string[]): Semantics => ({
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': keys,
  'x-kubernetes-patch-merge-key': keys[0],
  'x-kubernetes-patch-strategy': 'merge',
});
const set: Semantics = { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' };
const atomic: Semantics = { 'x-kubernetes-list-type': 'atomic' };
const atomicMap: Semantics = { 'x-kubernetes-map-type': 'atomic' };

/**
 * Field semantics, keyed by `<definition>.<field>` (definition names as below: `core/v1.PodSpec`).
 * A list not named here is atomic, as structured-merge-diff treats a list without markers.
 */
export const LIST_SEMANTICS: Readonly<Record<string, Semantics>> = {
  'meta/v1.ObjectMeta.ownerReferences': map('uid'),
  'meta/v1.ObjectMeta.finalizers': set,
  'meta/v1.ObjectMeta.managedFields': atomic,
  'core/v1.PodSpec.volumes': map('name'),
  'core/v1.PodSpec.initContainers': map('name'),
  'core/v1.PodSpec.containers': map('name'),
  'core/v1.PodSpec.ephemeralContainers': map('name'),
  'core/v1.PodSpec.imagePullSecrets': map('name'),
  'core/v1.PodSpec.hostAliases': map('ip'),
  'core/v1.PodSpec.topologySpreadConstraints': map('topologyKey', 'whenUnsatisfiable'),
  'core/v1.PodSpec.resourceClaims': map('name'),
  'core/v1.PodSpec.schedulingGates': map('name'),
  'core/v1.PodSpec.nodeSelector': atomicMap,
  'core/v1.Container.ports': map('containerPort', 'protocol'),
  'core/v1.Container.env': map('name'),
  'core/v1.Container.volumeMounts': map('mountPath'),
  'core/v1.Container.volumeDevices': map('devicePath'),
  'core/v1.EphemeralContainer.ports': map('containerPort', 'protocol'),
  'core/v1.EphemeralContainer.env': map('name'),
  'core/v1.EphemeralContainer.volumeMounts': map('mountPath'),
  'core/v1.EphemeralContainer.volumeDevices': map('devicePath'),
  'core/v1.ResourceRequirements.claims': map('name'),
  'core/v1.ServiceSpec.ports': map('port', 'protocol'),
  'core/v1.ServiceSpec.selector': atomicMap,
  'core/v1.PodStatus.conditions': map('type'),
  'core/v1.ServiceStatus.conditions': map('type'),
  'core/v1.NamespaceStatus.conditions': map('type'),
  'core/v1.PersistentVolumeClaimStatus.conditions': map('type'),
  'apps/v1.DeploymentStatus.conditions': map('type'),
  'autoscaling/v2.HorizontalPodAutoscalerStatus.conditions': map('type'),
  'policy/v1.PodDisruptionBudgetStatus.conditions': map('type'),
  'apiextensions.k8s.io/v1.CustomResourceDefinitionStatus.conditions': map('type'),
};

/** Protocol is part of a port's key and defaults to TCP (so `k:{"port":443,"protocol":"TCP"}`). */
export const FIELD_DEFAULTS: Readonly<Record<string, unknown>> = {
  'core/v1.ContainerPort.protocol': 'TCP',
  'core/v1.ServicePort.protocol': 'TCP',
};

/** Structs applied as one value (`+structType=atomic`). */
export const ATOMIC_STRUCTS: readonly string[] = [
  'meta/v1.LabelSelector',
  'core/v1.LocalObjectReference',
  'core/v1.ObjectFieldSelector',
  'core/v1.ResourceFieldSelector',
  'core/v1.SecretKeySelector',
  'core/v1.ConfigMapKeySelector',
  'core/v1.ObjectReference',
  'core/v1.NodeSelector',
  'core/v1.NodeSelectorTerm',
  'core/v1.TypedLocalObjectReference',
  'rbac.authorization.k8s.io/v1.RoleRef',
];

/** Types that are not objects in the API, whatever their declaration says. */
const SPECIAL: Readonly<Record<string, Schema>> = {
  'resource.Quantity': { 'x-kubernetes-int-or-string': true },
  'intstr.IntOrString': { 'x-kubernetes-int-or-string': true },
  'meta/v1.Time': { type: 'string', format: 'date-time' },
  'meta/v1.MicroTime': { type: 'string', format: 'date-time' },
  'meta/v1.FieldsV1': { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  'runtime.RawExtension': { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  // A CRD's schema is validated by its own rules, not typed field by field.
  'apiextensions.k8s.io/v1.JSONSchemaProps': { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  'apiextensions.k8s.io/v1.JSON': { 'x-kubernetes-preserve-unknown-fields': true },
};

/** A readable definition name from the declaring file: .../kubernetes-models/apps/v1/Deployment.d.ts → apps/v1.Deployment. */
function definitionName(file: string): string {
  const norm = file.split(path.sep).join('/');
  let m = /@kubernetes-models\/apimachinery\/(?:apis\/)?(.+)\/([A-Za-z0-9]+)\.d\.ts$/.exec(norm);
  if (m) return `${m[1].replace(/^api\/resource$/, 'resource').replace(/^util\/intstr$/, 'intstr')}.${m[2]}`;
  m = /kubernetes-models\/(.+)\/([A-Za-z0-9]+)\.d\.ts$/.exec(norm);
  if (!m) throw new Error(`unexpected declaration file ${file}`);
  const groupVersion = m[1] === 'v1' ? 'core/v1' : m[1];
  return `${groupVersion}.${m[2]}`;
}

export interface GeneratedSchemas {
  /** apiVersion/Kind → definition name. */
  readonly kinds: Record<string, string>;
  readonly definitions: Record<string, Schema>;
}

export function generateBuiltinSchemas(nodeModules: string): GeneratedSchemas {
  const roots = Object.values(BUILTIN_KINDS).map((m) => path.join(nodeModules, `${m}.d.ts`));
  const program = ts.createProgram(roots, { noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const definitions: Record<string, Schema> = {};
  const kinds: Record<string, string> = {};

  const declarationOf = (t: ts.Type): { name: string; decl: ts.Declaration } | undefined => {
    const sym = t.aliasSymbol ?? t.getSymbol();
    const decl = sym?.declarations?.[0];
    if (!decl) return undefined;
    const file = decl.getSourceFile().fileName;
    if (!/kubernetes-models/.test(file)) return undefined;
    return { name: definitionName(file), decl };
  };

  const schemaOfType = (t: ts.Type, owner: string, field: string): Schema => {
    const named = declarationOf(t);
    if (named && SPECIAL[named.name]) return { $ref: named.name };
    if (t.isUnion()) {
      const parts = t.types.filter((x) => !(x.flags & ts.TypeFlags.Undefined));
      if (parts.every((x) => x.isStringLiteral())) return { type: 'string', enum: parts.map((x) => (x as ts.StringLiteralType).value).sort() };
      const flags = parts.reduce((f, x) => f | x.flags, 0);
      if (flags & ts.TypeFlags.NumberLike && flags & ts.TypeFlags.StringLike) return { 'x-kubernetes-int-or-string': true };
      if (parts.every((x) => x.flags & ts.TypeFlags.BooleanLike)) return { type: 'boolean' };
      throw new Error(`${owner}.${field}: unsupported union ${checker.typeToString(t)}`);
    }
    if (t.flags & ts.TypeFlags.StringLike) return { type: 'string' };
    if (t.flags & ts.TypeFlags.NumberLike) return { type: 'number' };
    if (t.flags & ts.TypeFlags.BooleanLike) return { type: 'boolean' };
    if (checker.isArrayType(t)) {
      const item = (t as ts.TypeReference).typeArguments![0];
      return { type: 'array', items: schemaOfType(item, owner, field) };
    }
    const index = t.getStringIndexType();
    if (index && t.getProperties().length === 0) return { type: 'object', additionalProperties: schemaOfType(index, owner, field) };
    if (named) {
      define(named.name, t);
      return { $ref: named.name };
    }
    throw new Error(`${owner}.${field}: unsupported type ${checker.typeToString(t)}`);
  };

  const define = (name: string, t: ts.Type): void => {
    if (definitions[name] || SPECIAL[name]) return;
    definitions[name] = {}; // placeholder against cycles
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const p of t.getProperties()) {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      if (!decl) continue;
      const pt = checker.getTypeOfSymbolAtLocation(p, decl);
      let s = schemaOfType(pt, name, p.name);
      const semantics = LIST_SEMANTICS[`${name}.${p.name}`];
      if (semantics) s = { ...s, ...semantics };
      const fieldDefault = FIELD_DEFAULTS[`${name}.${p.name}`];
      if (fieldDefault !== undefined) s = { ...s, default: fieldDefault };
      properties[p.name] = s;
      if (!(p.flags & ts.SymbolFlags.Optional)) required.push(p.name);
    }
    definitions[name] = {
      type: 'object',
      ...(Object.keys(properties).length > 0 ? { properties } : { 'x-kubernetes-preserve-unknown-fields': true }),
      ...(required.length > 0 ? { required: required.sort() } : {}),
      ...(ATOMIC_STRUCTS.includes(name) ? { 'x-kubernetes-map-type': 'atomic' as const } : {}),
    };
  };

  for (const [kind, mod] of Object.entries(BUILTIN_KINDS)) {
    const file = program.getSourceFile(path.join(nodeModules, `${mod}.d.ts`));
    if (!file) throw new Error(`no declarations for ${kind} (${mod})`);
    const iface = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${kind.split('/').pop()}`);
    if (!iface) throw new Error(`no interface for ${kind} in ${mod}`);
    const name = definitionName(file.fileName);
    define(name, checker.getTypeAtLocation(iface));
    kinds[kind] = name;
  }
  for (const [name, s] of Object.entries(SPECIAL)) definitions[name] = s;
  // A marker naming a field or type that does not exist is a typo: fail rather than ignore it.
  const missing = [
    ...Object.keys({ ...LIST_SEMANTICS, ...FIELD_DEFAULTS }).filter((k) => {
      const dot = k.lastIndexOf('.');
      return !definitions[k.slice(0, dot)]?.properties?.[k.slice(dot + 1)];
    }),
    ...ATOMIC_STRUCTS.filter((n) => !definitions[n]),
  ];
  if (missing.length > 0) throw new Error(`list semantics for unknown fields or types: ${missing.join(', ')}`);
  const sorted: Record<string, Schema> = {};
  for (const k of Object.keys(definitions).sort()) sorted[k] = definitions[k];
  return { kinds, definitions: sorted };
}
