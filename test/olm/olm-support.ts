// What the OLM tests share: the default bundle, the RBAC grant arithmetic, and what OLM does with a
// bundle (v0's install strategy and OperatorGroup, v1's registry+v1 rendering), played against the
// fake API server.
import * as yaml from 'js-yaml';
import { DEFAULT_OPERATOR_IMAGE } from '../../constructs/operator-install';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION } from '../../lib/images';
import { renderBundle } from '../../lib/olm/bundle-files';
import { almExamples } from '../../lib/olm/examples';
import { releasedVersions } from '../../lib/olm/upgrade-graph';

type Obj = Record<string, any>;

/** The bundle `quay-operator bundle` writes with no flags and no environment: path → text. */
export function defaultBundleFiles(): Record<string, string> {
  return renderBundle({
    quayVersion: DEFAULT_QUAY_VERSION,
    operatorImage: DEFAULT_OPERATOR_IMAGE,
    images: DEFAULT_IMAGES,
    releases: releasedVersions(DEFAULT_QUAY_VERSION),
    examples: almExamples(),
  });
}

/** The objects of manifests/. */
export function manifestsOf(files: Record<string, string>): Obj[] {
  return Object.entries(files)
    .filter(([p]) => p.startsWith('manifests/'))
    .map(([, text]) => yaml.load(text) as Obj);
}

export const csvOf = (objects: Obj[]): Obj => objects.find((o) => o.kind === 'ClusterServiceVersion')!;

/** Every (apiGroup, resource, verb[, name]) rules grant, as "group|resource|verb" or "group|resource|verb|name". */
export function grants(rules: readonly Obj[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    for (const g of r.apiGroups ?? []) {
      for (const res of r.resources ?? []) {
        for (const v of r.verbs ?? []) {
          if (r.resourceNames?.length) for (const n of r.resourceNames) out.add(`${g}|${res}|${v}|${n}`);
          else out.add(`${g}|${res}|${v}`);
        }
      }
    }
  }
  return out;
}

export const sorted = (s: Iterable<string>): string[] => [...s].sort();

/** OLM (v0 and v1) adds this to the ClusterRole it makes of `permissions` under AllNamespaces. */
export const ALL_NAMESPACES_EXTRA_RULE = { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] };

export const OLM_TARGET_NAMESPACES = 'olm.targetNamespaces';

/** One object per OLM install step: what OLM creates for the CSV in `installNamespace` watching `targets` ([''] = all). */
export function olmInstallObjects(bundle: Obj[], installNamespace: string, targets: readonly string[], version: 'v0' | 'v1'): Obj[] {
  const csv = csvOf(bundle);
  const strategy = csv.spec.install.spec;
  const all = targets.length === 1 && targets[0] === '';
  const rbac = 'rbac.authorization.k8s.io/v1';
  const out: Obj[] = [];
  const saNames = new Set<string>([...strategy.permissions, ...strategy.clusterPermissions].map((p: Obj) => p.serviceAccountName));
  for (const sa of saNames) out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: installNamespace } });
  const subject = (sa: string) => [{ kind: 'ServiceAccount', name: sa, namespace: installNamespace }];
  const clusterRole = (name: string, sa: string, rules: Obj[]) => {
    out.push({ apiVersion: rbac, kind: 'ClusterRole', metadata: { name }, rules });
    out.push({ apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: subject(sa) });
  };
  strategy.permissions.forEach((p: Obj, i: number) => {
    const name = `${csv.metadata.name}-${p.serviceAccountName}-${i}`;
    if (all) {
      clusterRole(name, p.serviceAccountName, [...p.rules, ALL_NAMESPACES_EXTRA_RULE]);
      if (version === 'v1') return; // v1 makes no Role then; v0 keeps the one in its own namespace
    }
    // v0: a Role in the operator's namespace, copied to each target; v1: a Role in each target.
    const namespaces = new Set<string>([...(version === 'v0' ? [installNamespace] : []), ...targets.filter((t) => t !== '')]);
    for (const ns of namespaces) {
      out.push({ apiVersion: rbac, kind: 'Role', metadata: { name, namespace: ns }, rules: p.rules });
      out.push({ apiVersion: rbac, kind: 'RoleBinding', metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: subject(p.serviceAccountName) });
    }
  });
  strategy.clusterPermissions.forEach((p: Obj, i: number) => clusterRole(`${csv.metadata.name}-${p.serviceAccountName}-cluster-${i}`, p.serviceAccountName, p.rules));
  for (const o of bundle.filter((x) => x.kind !== 'ClusterServiceVersion')) {
    out.push(o.kind === 'CustomResourceDefinition' ? o : { ...o, metadata: { ...o.metadata, namespace: installNamespace } });
  }
  for (const d of strategy.deployments) {
    const template = d.spec.template;
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: d.name, namespace: installNamespace, labels: d.label },
      // Both OLMs copy the CSV's annotations onto the pod template and set olm.targetNamespaces.
      spec: { ...d.spec, template: { ...template, metadata: { ...template.metadata, annotations: { ...template.metadata?.annotations, ...csv.metadata.annotations, [OLM_TARGET_NAMESPACES]: targets.join(',') } } } },
    });
  }
  return out;
}

/** The environment the operator's container gets from the Deployment OLM created (fieldRefs resolved). */
export function podEnv(deployment: Obj): Record<string, string> {
  const pod = { metadata: { name: `${deployment.metadata.name}-0`, namespace: deployment.metadata.namespace, annotations: deployment.spec.template.metadata.annotations ?? {} } };
  const env: Record<string, string> = {};
  for (const e of deployment.spec.template.spec.containers[0].env as Obj[]) {
    if (e.value !== undefined) env[e.name] = e.value;
    else {
      const path: string = e.valueFrom.fieldRef.fieldPath;
      const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(path);
      // A missing annotation gives an empty variable, as the kubelet does.
      env[e.name] = annotation ? (pod.metadata.annotations[annotation[1]] ?? '') : path === 'metadata.name' ? pod.metadata.name : path === 'metadata.namespace' ? pod.metadata.namespace : '';
    }
  }
  return env;
}

/** Writes by `user` the server refused, but for the codes tolerated (409: a stale read, retried). */
export function refusedWrites(server: { writes(): { user: string; code?: number; method: string; path: string; message?: string }[] }, user: string, tolerated: readonly number[] = [409]): string[] {
  return server
    .writes()
    .filter((w) => w.user === user && (w.code ?? 0) >= 400 && !tolerated.includes(w.code ?? 0))
    .map((w) => `${w.method} ${w.path}: ${w.code} ${w.message}`);
}
