// The scale subresource (autoscaling/v1 Scale) of Deployments and of CRDs that declare one: the
// Scale a GET answers, and the replicas (and precondition) a PUT or patch of it asks for.
import { badRequest, StatusError } from './errors';

type Obj = Record<string, any>;

/** The object as its Scale. */
export function asScale(d: Obj): Obj {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: d.metadata.name, namespace: d.metadata.namespace, uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion, creationTimestamp: d.metadata.creationTimestamp },
    spec: { replicas: d.spec?.replicas ?? 0 },
    status: {
      replicas: d.status?.replicas ?? 0,
      selector: Object.entries((d.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}

/** A PUT or merge patch of the Scale of `current`: the replicas it sets and the resourceVersion it requires, if any. */
export function scaleWrite(current: Obj, method: string, contentType: string | undefined, text: string): { replicas: number; resourceVersion?: string } {
  let body: Obj;
  try {
    const parsed = JSON.parse(text);
    if (method === 'PUT') body = parsed;
    else if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') {
      const scale = asScale(current);
      body = { ...scale, ...parsed, metadata: { ...scale.metadata, ...(parsed.metadata ?? {}) }, spec: { ...scale.spec, ...(parsed.spec ?? {}) } };
    } else throw badRequest(`unsupported patch type for scale: ${contentType}`);
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw badRequest(`json parse error: ${(err as Error).message}`);
  }
  const replicas = body.spec?.replicas;
  if (typeof replicas !== 'number' || replicas < 0) throw badRequest('spec.replicas: Invalid value: must be greater than or equal to 0');
  const rv = body.metadata?.resourceVersion;
  return { replicas, ...(rv !== undefined ? { resourceVersion: rv } : {}) };
}
