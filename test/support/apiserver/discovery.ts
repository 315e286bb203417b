// Discovery documents (/api, /apis, /apis/<group>/<version>, /version, /healthz) for the kinds the
// server serves now: what client-node's and kubectl's discovery read.
import { coreNotFound, pageNotFound } from './errors';
import type { ServedType } from './resources';

type Obj = Record<string, any>;

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function groupVersions(served: ServedType[]): string[] {
  return [...new Set(served.map((t) => t.apiVersion))].filter((gv) => gv !== 'v1').sort();
}

/** The document at a non-resource path (split into segments), or 404 as the server answers it. */
export function discoveryDocument(segs: string[], served: ServedType[]): Obj {
  const gvs = groupVersions(served);
  if (segs.length === 0) return { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/readyz', '/version', ...gvs.map((gv) => `/apis/${gv}`)] };
  if (segs.length === 1 && segs[0] === 'version') return { major: '1', minor: '26', gitVersion: 'v1.26.0-fake', platform: 'linux/amd64' };
  if (segs.length === 1 && ['healthz', 'livez', 'readyz'].includes(segs[0])) return { status: 'ok' };
  if (segs.length === 1 && segs[0] === 'api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (segs.length === 1 && segs[0] === 'apis') return groupList(gvs);
  if (segs[0] === 'api' && segs.length === 2 && segs[1] === 'v1') return resourceList('v1', served);
  if (segs[0] === 'apis' && segs.length === 3 && gvs.includes(`${segs[1]}/${segs[2]}`)) return resourceList(`${segs[1]}/${segs[2]}`, served);
  if (segs[0] === 'apis' && segs.length === 2) {
    const group = groupList(gvs).groups.find((g: Obj) => g.name === segs[1]);
    if (group) return { kind: 'APIGroup', apiVersion: 'v1', ...group };
  }
  throw segs[0] === 'api' ? coreNotFound() : pageNotFound();
}

function groupList(gvs: string[]): Obj {
  const groups = new Map<string, string[]>();
  for (const gv of gvs) {
    const [g, v] = gv.split('/');
    groups.set(g, [...(groups.get(g) ?? []), v]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    })),
  };
}

function resourceList(apiVersion: string, served: ServedType[]): Obj {
  const resources: Obj[] = [];
  for (const t of served.filter((x) => x.apiVersion === apiVersion)) {
    resources.push({ name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: VERBS, ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}) });
    if (t.statusSubresource) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    if (t.scaleSubresource) resources.push({ name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    if (t.kind === 'ServiceAccount' && t.group === '') resources.push({ name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersion, resources };
}
