// Authentication and RBAC authorization as the API server does them, for bearer tokens: a request
// with a token the server does not know is 401; one without a token is `system:anonymous`; a
// ServiceAccount's permissions are the union of the rules of the Roles and ClusterRoles bound to it
// (or its groups) in the stored RoleBindings and ClusterRoleBindings, matched by verb, API group,
// resource/subresource, resourceNames and namespace. The bootstrap policy every cluster has
// (discovery for authenticated users, cluster-admin for system:masters) is built in.

type Obj = Record<string, any>;

export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
export const ADMIN: UserInfo = { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return { name: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] };
}

export interface Attributes {
  readonly user: UserInfo;
  readonly verb: string;
  /** Set for a resource request. */
  readonly resource?: { readonly group: string; readonly resource: string; readonly subresource?: string; readonly namespace?: string; readonly name?: string };
  /** Set for a non-resource request (discovery, /version). */
  readonly path?: string;
}

export interface PolicyRule {
  readonly verbs?: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

/** Where RBAC objects are read from (the fake's store). */
export interface RbacSource {
  clusterRoles(): Obj[];
  clusterRoleBindings(): Obj[];
  roles(namespace: string): Obj[];
  roleBindings(namespace: string): Obj[];
}

const DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'];

/** The bootstrap ClusterRoles every cluster has, with the groups they are bound to. */
const BOOTSTRAP: { groups: string[]; rules: PolicyRule[] }[] = [
  { groups: ['system:masters'], rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }] },
  { groups: ['system:authenticated'], rules: [{ verbs: ['get'], nonResourceURLs: DISCOVERY_URLS }] },
  { groups: ['system:authenticated'], rules: [{ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] }] },
  { groups: ['system:authenticated', 'system:unauthenticated'], rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }] },
];

function subjectMatches(subject: Obj, user: UserInfo, bindingNamespace?: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount':
      return user.name === `system:serviceaccount:${subject.namespace ?? bindingNamespace}:${subject.name}`;
    default:
      return false;
  }
}

function matchesWord(list: readonly string[] | undefined, word: string): boolean {
  return (list ?? []).some((x) => x === '*' || x === word);
}

export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!matchesWord(rule.verbs, a.verb)) return false;
  if (a.path !== undefined) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path!.startsWith(u.slice(0, -1))));
  }
  const r = a.resource!;
  if (!matchesWord(rule.apiGroups, r.group)) return false;
  const full = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  const resources = rule.resources ?? [];
  const resourceOk = resources.some((x) => x === '*' || x === full || (r.subresource && x === `*/${r.subresource}`) || (!r.subresource && x === `${r.resource}`));
  if (!resourceOk) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) return r.name !== undefined && rule.resourceNames.includes(r.name);
  return true;
}

/** The rules that apply to `user` in `namespace` (cluster-wide ones included); bootstrap policy first. */
export function rulesFor(rbac: RbacSource, user: UserInfo, namespace: string | undefined): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const b of BOOTSTRAP) if (b.groups.some((g) => user.groups.includes(g))) rules.push(...b.rules);
  const clusterRoles = new Map(rbac.clusterRoles().map((r) => [r.metadata.name as string, r]));
  for (const binding of rbac.clusterRoleBindings()) {
    if (binding.roleRef?.kind !== 'ClusterRole' || !((binding.subjects ?? []) as Obj[]).some((s) => subjectMatches(s, user))) continue;
    rules.push(...((clusterRoles.get(binding.roleRef.name)?.rules ?? []) as PolicyRule[]));
  }
  if (namespace) {
    const roles = new Map(rbac.roles(namespace).map((r) => [r.metadata.name as string, r]));
    for (const binding of rbac.roleBindings(namespace)) {
      if (!((binding.subjects ?? []) as Obj[]).some((s) => subjectMatches(s, user, namespace))) continue;
      const role = binding.roleRef?.kind === 'ClusterRole' ? clusterRoles.get(binding.roleRef.name) : roles.get(binding.roleRef?.name);
      rules.push(...((role?.rules ?? []) as PolicyRule[]));
    }
  }
  return rules;
}

export function authorize(rbac: RbacSource, a: Attributes): boolean {
  return rulesFor(rbac, a.user, a.resource?.namespace).some((r) => ruleAllows(r, a));
}

/** The API server's words for a refusal. */
export function deniedMessage(a: Attributes): string {
  if (a.path !== undefined) return `forbidden: User "${a.user.name}" cannot ${a.verb} path "${a.path}"`;
  const r = a.resource!;
  const what = `${r.group ? `${r.resource}.${r.group}` : r.resource}${r.name ? ` "${r.name}"` : ''}`;
  const full = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  const scope = r.namespace ? `in the namespace "${r.namespace}"` : 'at the cluster scope';
  return `${what} is forbidden: User "${a.user.name}" cannot ${a.verb} resource "${full}" in API group "${r.group}" ${scope}`;
}

/**
 * RBAC's escalation check: a Role or ClusterRole may grant only what its writer holds (or the writer
 * has `escalate` on it); a binding may reference only a role whose rules the writer holds (or
 * `bind`). Returns the rules not held, empty when the write may proceed.
 */
export function notHeld(rbac: RbacSource, user: UserInfo, namespace: string | undefined, granted: readonly PolicyRule[]): PolicyRule[] {
  const held = rulesFor(rbac, user, namespace);
  const missing: PolicyRule[] = [];
  for (const rule of granted) {
    for (const verb of rule.verbs ?? []) {
      if (rule.nonResourceURLs) {
        for (const path of rule.nonResourceURLs) if (!held.some((h) => ruleAllows(h, { user, verb, path }))) missing.push({ verbs: [verb], nonResourceURLs: [path] });
        continue;
      }
      for (const group of rule.apiGroups ?? ['']) {
        for (const resource of rule.resources ?? []) {
          const [res, sub] = resource.split('/');
          const names = rule.resourceNames && rule.resourceNames.length > 0 ? rule.resourceNames : [undefined];
          for (const name of names) {
            const attrs: Attributes = { user, verb, resource: { group, resource: res, ...(sub ? { subresource: sub } : {}), ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) } };
            if (!held.some((h) => ruleAllows(h, attrs))) missing.push({ verbs: [verb], apiGroups: [group], resources: [resource], ...(name ? { resourceNames: [name] } : {}) });
          }
        }
      }
    }
  }
  return missing;
}

export function formatRule(r: PolicyRule): string {
  const list = (xs: readonly string[] | undefined) => `[${(xs ?? []).map((x) => JSON.stringify(x)).join(' ')}]`;
  if (r.nonResourceURLs) return `{NonResourceURLs:${list(r.nonResourceURLs)}, Verbs:${list(r.verbs)}}`;
  return `{APIGroups:${list(r.apiGroups)}, Resources:${list(r.resources)}${r.resourceNames ? `, ResourceNames:${list(r.resourceNames)}` : ''}, Verbs:${list(r.verbs)}}`;
}
