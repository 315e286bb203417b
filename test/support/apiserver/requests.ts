// Reading a request: where it is in the REST tree (RequestInfo), who wrote it (field manager), and
// list answers with selectors and pages, as the API server computes them.
import { badRequest } from './errors';
import type { ServedType } from './resources';
import { fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector } from './selectors';
import type { Store } from './store';

type Obj = Record<string, any>;

export interface RequestInfo {
  readonly verb: string;
  /** A resource request: where in the REST tree. */
  readonly apiVersion?: string;
  readonly namespace?: string;
  readonly plural?: string;
  readonly name?: string;
  readonly subresource?: string;
}

/** The request's place in the REST tree, as the server's RequestInfo resolver reads it. */
export function requestInfo(method: string, segs: string[], q: URLSearchParams): RequestInfo | undefined {
  let apiVersion: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) [apiVersion, rest] = [segs[1], segs.slice(2)];
  else if (segs[0] === 'apis' && segs.length >= 4) [apiVersion, rest] = [`${segs[1]}/${segs[2]}`, segs.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !['status', 'finalize'].includes(rest[2])) rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest;
  const watch = q.get('watch') === 'true' || q.get('watch') === '1';
  const verb =
    method === 'GET' ? (name === undefined ? (watch ? 'watch' : 'list') : 'get') : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : method === 'DELETE' ? (name === undefined ? 'deletecollection' : 'delete') : method.toLowerCase();
  return { verb, apiVersion, ...(namespace !== undefined ? { namespace } : {}), plural, ...(name !== undefined ? { name } : {}), ...(subresource !== undefined ? { subresource } : {}) };
}

/** The field manager of a write that names none: the client's user agent, up to its first '/'. */
export function managerFromUserAgent(ua: string | string[] | undefined): string {
  const s = Array.isArray(ua) ? ua[0] : ua;
  return (s ?? 'unknown').split('/')[0] || 'unknown';
}

/** A list: selectors, then a page of `limit` from the `continue` token. */
export function listObjects(store: Store, t: ServedType, namespace: string | undefined, q: URLSearchParams): Obj {
  const labels = parseLabelSelector(q.get('labelSelector') ?? '');
  const fields = parseFieldSelector(q.get('fieldSelector') ?? '', t.kind);
  let items = store.list(t, namespace).map((e) => e.obj).filter((o) => labelsMatch(o.metadata.labels, labels) && fieldsMatch(o, fields));
  const rv = String(store.resourceVersion);
  const token = q.get('continue');
  if (token) {
    let start: string;
    try {
      const decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
      if (typeof decoded.start !== 'string') throw new Error('no start');
      start = decoded.start;
    } catch {
      throw badRequest(`invalid continue token: continue key is not valid: ${jsonSyntaxError(token)}`);
    }
    items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` >= start);
  }
  const limit = Number(q.get('limit') ?? '0');
  let cont: string | undefined;
  let remaining: number | undefined;
  if (limit > 0 && items.length > limit) {
    const next = items[limit];
    cont = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start: `${next.metadata.namespace ?? ''}/${next.metadata.name}` })).toString('base64');
    if (labels.length === 0 && fields.length === 0) remaining = items.length - limit;
    items = items.slice(0, limit);
  }
  const metadata: Obj = { resourceVersion: rv, ...(cont ? { continue: cont } : t.custom ? { continue: '' } : {}), ...(remaining !== undefined ? { remainingItemCount: remaining } : {}) };
  return {
    apiVersion: t.apiVersion,
    kind: t.listKind,
    metadata,
    items: items.map((o) => {
      if (t.custom) return o;
      const { apiVersion: _a, kind: _k, ...rest } = o;
      void _a;
      void _k;
      return rest;
    }),
  };
}

/** Go's json error for a token that does not decode to JSON: its first byte, as Go quotes it. */
function jsonSyntaxError(token: string): string {
  const bytes = Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  const c = bytes[0] ?? 0;
  const shown = c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `'\\u00${c.toString(16).padStart(2, '0')}'`;
  return `invalid character ${shown} looking for beginning of value`;
}
