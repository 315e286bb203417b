// What the operator's ServiceAccount asked the fake API server for, as RBAC sees it: each request's
// (apiGroup, resource[/subresource], verb) and where (its namespace, or cluster-wide), next to what a
// set of Roles and ClusterRoles grants. test/controller/least-privilege.test.ts compares the two.
import type { FakeApiServer } from './fake-apiserver';
import { requestInfo } from './apiserver/requests';
import { OPERATOR_USER } from './controller-harness';

type Obj = Record<string, any>;

/** "group|resource|verb", e.g. "apps|deployments|patch", "|secrets|create", "quay.redhat.com|quayregistries/status|patch". */
export type Grant = string;

export interface Use {
  readonly grant: Grant;
  /** Undefined: a cluster-wide request (a cluster-scoped resource, or a namespaced one across all namespaces). */
  readonly namespace?: string;
  /** METHOD path and answer, to say where a use came from. */
  readonly request: string;
}

export interface OperatorRequests {
  readonly uses: Use[];
  /** Requests outside the resource tree: API discovery (/api, /apis, /apis/<group>/<version>, /version). */
  readonly nonResource: string[];
}

/**
 * Every request the operator's ServiceAccount made, mapped as the authorizer maps it. A server-side
 * apply that created its object (201) was also authorized as `create`, as kube-apiserver does.
 */
export function operatorRequests(server: FakeApiServer, user = OPERATOR_USER): OperatorRequests {
  const uses: Use[] = [];
  const nonResource: string[] = [];
  for (const r of server.requests.filter((x) => x.user === user)) {
    const segs = r.path.split('/').filter(Boolean).map(decodeURIComponent);
    const info = requestInfo(r.method, segs, new URLSearchParams(r.query));
    const request = `${r.method} ${r.path}${r.query ? `?${r.query}` : ''} → ${r.code ?? '?'}`;
    if (!info || !info.plural) {
      nonResource.push(r.path);
      continue;
    }
    const group = info.apiVersion!.includes('/') ? info.apiVersion!.split('/')[0] : '';
    // A Namespace's own path (/api/v1/namespaces/x) reads as namespace x with no plural left.
    const resource = `${info.plural}${info.subresource ? `/${info.subresource}` : ''}`;
    const at = info.namespace !== undefined && !(group === '' && info.plural === 'namespaces') ? { namespace: info.namespace } : {};
    uses.push({ grant: `${group}|${resource}|${info.verb}`, ...at, request });
    if (r.method === 'PATCH' && r.contentType === 'application/apply-patch+yaml' && r.code === 201) uses.push({ grant: `${group}|${resource}|create`, ...at, request });
  }
  return { uses, nonResource };
}

/** Every (apiGroup, resource, verb) a list of rules grants. */
export function granted(rules: readonly Obj[]): Set<Grant> {
  const out = new Set<Grant>();
  for (const r of rules) {
    if (r.resourceNames !== undefined || r.nonResourceURLs !== undefined) throw new Error('rules with resourceNames or nonResourceURLs are not compared here');
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs ?? []) out.add(`${g}|${res}|${v}`);
  }
  return out;
}

/** The install's RBAC by where it applies: ClusterRole rules everywhere, each Role's in its namespace. */
export function grantsByScope(install: readonly Obj[]): { cluster: Set<Grant>; namespaced: Map<string, Set<Grant>> } {
  const cluster = new Set<Grant>();
  const namespaced = new Map<string, Set<Grant>>();
  for (const o of install) {
    if (o.kind === 'ClusterRole') for (const g of granted(o.rules ?? [])) cluster.add(g);
    if (o.kind === 'Role') {
      const set = namespaced.get(o.metadata.namespace) ?? new Set<Grant>();
      for (const g of granted(o.rules ?? [])) set.add(g);
      namespaced.set(o.metadata.namespace, set);
    }
  }
  return { cluster, namespaced };
}

/** Uses no grant covers where they happened (a cluster-wide use needs a ClusterRole). */
export function ungranted(uses: readonly Use[], scopes: ReturnType<typeof grantsByScope>): Use[] {
  return uses.filter((u) => !scopes.cluster.has(u.grant) && !(u.namespace !== undefined && scopes.namespaced.get(u.namespace)?.has(u.grant)));
}
