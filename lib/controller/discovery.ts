// What the cluster offers, found through API discovery: which optional APIs exist (Routes, Ingress,
// Gateway API routes, cert-manager, ObjectBucketClaims, the Prometheus operator) and, on OpenShift,
// the apps domain.
import type { Capabilities } from '../api/components';
import { ApiError, KubeClient } from './kube-client';
import { resourceType } from './resources';

interface ApiResourceList {
  resources?: { name: string }[];
}

async function hasResources(client: KubeClient, groupVersion: string, plurals: string[]): Promise<boolean> {
  try {
    const list = (await client.getPath(`/apis/${groupVersion}`)) as ApiResourceList;
    const names = new Set((list.resources ?? []).map((r) => r.name));
    return plurals.every((p) => names.has(p));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 503)) return false;
    throw err;
  }
}

export interface ClusterFacts {
  readonly capabilities: Capabilities;
  readonly appsDomain?: string;
}

export async function discover(client: KubeClient, watchNamespace: string | undefined): Promise<ClusterFacts> {
  const [routes, ingress, httpRoutes, tlsRoutes, certificates, objectBucketClaims, monitoring, ingressConfig] = await Promise.all([
    hasResources(client, 'route.openshift.io/v1', ['routes']),
    hasResources(client, 'networking.k8s.io/v1', ['ingresses']),
    hasResources(client, 'gateway.networking.k8s.io/v1', ['httproutes']),
    hasResources(client, 'gateway.networking.k8s.io/v1', ['tlsroutes']),
    hasResources(client, 'cert-manager.io/v1', ['certificates']),
    hasResources(client, 'objectbucket.io/v1alpha1', ['objectbucketclaims']),
    hasResources(client, 'monitoring.coreos.com/v1', ['servicemonitors', 'prometheusrules']),
    hasResources(client, 'config.openshift.io/v1', ['ingresses']),
  ]);
  let appsDomain: string | undefined;
  if (ingressConfig) {
    const ingress = (await client.get(resourceType('config.openshift.io/v1', 'Ingress'), undefined, 'cluster')) as { spec?: { domain?: string } } | undefined;
    appsDomain = ingress?.spec?.domain || undefined;
  }
  return {
    capabilities: { routes, ingress, httpRoutes, tlsRoutes, certificates, objectBucketClaims, monitoring, allNamespaces: watchNamespace === undefined, consoleDashboards: ingressConfig },
    ...(appsDomain ? { appsDomain } : {}),
  };
}

export function sameFacts(a: ClusterFacts, b: ClusterFacts): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
