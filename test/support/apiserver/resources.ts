// The resource types the fake serves: the built-in kinds (schemas from ./builtin-schemas.json) and
// custom resources, registered from CustomResourceDefinitions as the API server serves them (the
// operator's own CRD, the third-party CRDs in ../shared/crds, or any CRD created through the API).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { quayRegistryCrd } from '../../../lib/api/crd';
import builtinSchemas from './builtin-schemas.json';
import { Schema, SchemaSet } from './schema';
import { findSharedDir } from '../shared-dir';

type Obj = Record<string, any>;

export interface ServedType {
  readonly apiVersion: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  /** Whether `status` is written only through /status. */
  readonly statusSubresource: boolean;
  /** Whether /scale is served (replicas through autoscaling/v1 Scale). */
  readonly scaleSubresource: boolean;
  /** Whether the kind has metadata.generation. */
  readonly generation: boolean;
  /** A custom resource (validated against its CRD's schema, not by built-in rules). */
  readonly custom: boolean;
  /** Whether the CRD has any CEL rule (changes which errors a refusal lists). */
  readonly celRules: boolean;
  /** The root schema, metadata typed as ObjectMeta. */
  readonly schema: Schema;
  /** Set when served because of a CustomResourceDefinition object (so deleting it unregisters). */
  readonly crdName?: string;
}

/** Every schema the fake knows by name: the built-in definitions, which custom resources reference for ObjectMeta. */
export const SCHEMAS = new SchemaSet((builtinSchemas as { definitions: Record<string, Schema> }).definitions);
const BUILTIN_KINDS = (builtinSchemas as { kinds: Record<string, string> }).kinds;

interface BuiltinSpec {
  readonly plural: string;
  readonly namespaced: boolean;
  readonly status?: boolean;
  readonly generation?: boolean;
  readonly scale?: boolean;
  readonly shortNames?: string[];
}

/** apiVersion/Kind → how the API server serves it (Kubernetes 1.26). */
const BUILTINS: Readonly<Record<string, BuiltinSpec>> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false, status: true, shortNames: ['ns'] },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true, status: true, shortNames: ['svc'] },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
  'v1/PersistentVolumeClaim': { plural: 'persistentvolumeclaims', namespaced: true, status: true, shortNames: ['pvc'] },
  'v1/Pod': { plural: 'pods', namespaced: true, status: true, shortNames: ['po'] },
  'v1/Event': { plural: 'events', namespaced: true, shortNames: ['ev'] },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true, status: true, generation: true, scale: true, shortNames: ['deploy'] },
  'apps/v1/ReplicaSet': { plural: 'replicasets', namespaced: true, status: true, generation: true, scale: true, shortNames: ['rs'] },
  'batch/v1/Job': { plural: 'jobs', namespaced: true, status: true, generation: true },
  'batch/v1/CronJob': { plural: 'cronjobs', namespaced: true, status: true, generation: true, shortNames: ['cj'] },
  'autoscaling/v2/HorizontalPodAutoscaler': { plural: 'horizontalpodautoscalers', namespaced: true, status: true, shortNames: ['hpa'] },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'coordination.k8s.io/v1/Lease': { plural: 'leases', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false, status: true, generation: true, shortNames: ['crd', 'crds'] },
  'storage.k8s.io/v1/StorageClass': { plural: 'storageclasses', namespaced: false, shortNames: ['sc'] },
  'networking.k8s.io/v1/NetworkPolicy': { plural: 'networkpolicies', namespaced: true, generation: true, shortNames: ['netpol'] },
  'networking.k8s.io/v1/Ingress': { plural: 'ingresses', namespaced: true, status: true, generation: true, shortNames: ['ing'] },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true, status: true, generation: true, shortNames: ['pdb'] },
};

function splitApiVersion(apiVersion: string): [string, string] {
  return apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
}

export function builtinTypes(): ServedType[] {
  return Object.entries(BUILTINS).map(([key, b]) => {
    const kind = key.slice(key.lastIndexOf('/') + 1);
    const apiVersion = key.slice(0, key.lastIndexOf('/'));
    const [group, version] = splitApiVersion(apiVersion);
    const def = BUILTIN_KINDS[key];
    if (!def) throw new Error(`no generated schema for ${key} (test/support/apiserver/builtin-schemas-gen.ts)`);
    return {
      apiVersion,
      group,
      version,
      kind,
      listKind: `${kind}List`,
      plural: b.plural,
      singular: kind.toLowerCase(),
      shortNames: b.shortNames ?? [],
      namespaced: b.namespaced,
      statusSubresource: b.status ?? false,
      scaleSubresource: b.scale ?? false,
      generation: b.generation ?? false,
      custom: false,
      celRules: false,
      schema: { $ref: def },
    };
  });
}

function hasCel(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false;
  if (Array.isArray((s as Obj)['x-kubernetes-validations']) && (s as Obj)['x-kubernetes-validations'].length > 0) return true;
  return Object.values(s as Obj).some(hasCel);
}

/** The types a CustomResourceDefinition serves (one per served version). */
export function typesFromCrd(crd: Obj): ServedType[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  return ((spec.versions ?? []) as Obj[])
    .filter((v) => v.served !== false)
    .map((v) => {
      const root = (v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as Schema;
      const schema: Schema = {
        ...root,
        type: 'object',
        properties: {
          ...(root.properties ?? {}),
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { $ref: 'meta/v1.ObjectMeta' },
        },
      };
      return {
        apiVersion: `${spec.group}/${v.name}`,
        group: spec.group,
        version: v.name,
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        plural: names.plural,
        singular: names.singular ?? String(names.kind).toLowerCase(),
        shortNames: names.shortNames ?? [],
        namespaced: spec.scope !== 'Cluster',
        statusSubresource: v.subresources?.status !== undefined,
        scaleSubresource: false,
        generation: true,
        custom: true,
        celRules: hasCel(root),
        schema,
        crdName: crd.metadata?.name,
      };
    });
}

/** OpenShift's cluster Ingress config, which the operator reads for the apps domain (no CRD file ships it). */
const OPENSHIFT_INGRESS_CRD: Obj = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'ingresses.config.openshift.io' },
  spec: {
    group: 'config.openshift.io',
    scope: 'Cluster',
    names: { kind: 'Ingress', listKind: 'IngressList', plural: 'ingresses', singular: 'ingress' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { domain: { type: 'string' } } },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

let sharedCrds: Obj[] | undefined;

/** The CRDs a fresh fake serves: the operator's, the third-party ones of ../shared/crds, OpenShift's Ingress config. */
export function defaultCrds(): Obj[] {
  sharedCrds ??= loadSharedCrds(); // parsed once per process: some are large
  return [quayRegistryCrd() as Obj, OPENSHIFT_INGRESS_CRD, ...sharedCrds];
}

function loadSharedCrds(): Obj[] {
  const crds: Obj[] = [];
  const dir = findSharedDir('crds');
  if (dir) {
    for (const f of fs.readdirSync(dir).sort()) {
      if (!f.endsWith('.yaml')) continue;
      for (const doc of yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf8'))) {
        if ((doc as Obj)?.kind === 'CustomResourceDefinition') crds.push(doc as Obj);
      }
    }
  }
  return crds;
}
