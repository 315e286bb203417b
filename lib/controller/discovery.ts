// What the cluster offers, found through API discovery: which optional APIs exist (Routes, Ingress,
// Gateway API routes, cert-manager, ObjectBucketClaims, the Prometheus operator) and, on OpenShift,
// the apps domain.
import type { Capabilities } from '../api/components';
import { ApiError, KubeClient } from './kube-client';
import { resourceType } from './resources';

interface ApiResourceList {
  resources?: { name: string }[];
}

/** The resources of a group/version, or none when it is not served (404) or its aggregated server is down (503). */
async function resourcesOf(client: KubeClient, groupVersion: string): Promise<Set<string>> {
  try {
    const list = (await client.getPath(`/apis/${groupVersion}`)) as ApiResourceList;
    return new Set((list.resources ?? []).map((r) => r.name));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 503)) return new Set();
    throw err;
  }
}

/** The group/versions the cluster serves: one request (/apis) rather than one per optional API. */
async function groupVersions(client: KubeClient): Promise<Set<string>> {
  const list = (await client.getPath('/apis')) as { groups?: { versions?: { groupVersion: string }[] }[] };
  return new Set((list.groups ?? []).flatMap((g) => (g.versions ?? []).map((v) => v.groupVersion)));
}

export interface ClusterFacts {
  readonly capabilities: Capabilities;
  readonly appsDomain?: string;
}

export async function discover(client: KubeClient, watchNamespace: string | undefined): Promise<ClusterFacts> {
  const served = await groupVersions(client);
  // A served group/version implies its resource, but where a group's resources are installed
  // apart (the Gateway API's channels, the Prometheus operator's CRDs): those are listed.
  const [gateway, monitoringResources] = await Promise.all(
    ['gateway.networking.k8s.io/v1', 'monitoring.coreos.com/v1'].map((gv) => (served.has(gv) ? resourcesOf(client, gv) : Promise.resolve(new Set<string>()))),
  );
  const routes = served.has('route.openshift.io/v1');
  const ingress = served.has('networking.k8s.io/v1');
  const httpRoutes = gateway.has('httproutes');
  const tlsRoutes = gateway.has('tlsroutes');
  const certificates = served.has('cert-manager.io/v1');
  const objectBucketClaims = served.has('objectbucket.io/v1alpha1');
  const monitoring = monitoringResources.has('servicemonitors') && monitoringResources.has('prometheusrules');
  const ingressConfig = served.has('config.openshift.io/v1');
  let appsDomain: string | undefined;
  if (ingressConfig) {
    appsDomain = await readAppsDomain(client, watchNamespace);
  }
  return {
    capabilities: { routes, ingress, httpRoutes, tlsRoutes, certificates, objectBucketClaims, monitoring, allNamespaces: watchNamespace === undefined, consoleDashboards: ingressConfig },
    ...(appsDomain ? { appsDomain } : {}),
  };
}

/**
 * The apps domain, from OpenShift's cluster Ingress config: a cluster-scoped read, which `manifests
 * --watch-namespace` does not grant (one namespace needs no cluster-wide permission). Refused there,
 * the domain is unknown: QUAY_APPS_DOMAIN or SERVER_HOSTNAME in the bundle stand in for it.
 */
async function readAppsDomain(client: KubeClient, watchNamespace: string | undefined): Promise<string | undefined> {
  try {
    const ingress = (await client.get(resourceType('config.openshift.io/v1', 'Ingress'), undefined, 'cluster')) as { spec?: { domain?: string } } | undefined;
    return ingress?.spec?.domain || undefined;
  } catch (err) {
    if (watchNamespace !== undefined && err instanceof ApiError && err.status === 403) return undefined;
    throw err;
  }
}

export function sameFacts(a: ClusterFacts, b: ClusterFacts): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
