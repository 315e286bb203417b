// What the operator learns of the cluster through API discovery (lib/controller/discovery.ts), read
// directly with a stub client answering /apis, a group/version's resource list and OpenShift's
// cluster Ingress config: which optional APIs count as present, which failures mean "absent" and
// which are errors, and where the apps domain comes from.
import { discover, sameFacts } from '../../lib/controller/discovery';
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import type { ResourceType } from '../../lib/controller/resources';

type Obj = Record<string, any>;
const ALL_OFF = { routes: false, ingress: false, httpRoutes: false, tlsRoutes: false, certificates: false, objectBucketClaims: false, monitoring: false, allNamespaces: true, consoleDashboards: false };

/** A cluster: each path's answer (an Error is thrown); the cluster Ingress config (or an Error). */
function stubClient(paths: Record<string, Obj | Error>, ingressConfig?: Obj | Error) {
  const requests: string[] = [];
  const client = {
    getPath: async (path: string) => {
      requests.push(path);
      const answer = paths[path];
      if (answer === undefined) throw new ApiError(404, 'NotFound', `GET ${path}: 404`);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    get: async (t: ResourceType, ns: string | undefined, name: string) => {
      requests.push(`get ${t.apiVersion} ${t.kind} ${ns} ${name}`);
      if (ingressConfig instanceof Error) throw ingressConfig;
      return ingressConfig;
    },
  } as unknown as KubeClient;
  return { client, requests };
}
const apis = (...groupVersions: string[]) => ({ groups: groupVersions.map((gv) => ({ versions: [{ groupVersion: gv }] })) });
const resources = (...names: string[]) => ({ resources: names.map((name) => ({ name })) });

test('plain Kubernetes: Ingress only, from the one /apis request', async () => {
  const { client, requests } = stubClient({ '/apis': apis('apps/v1', 'networking.k8s.io/v1') });
  expect(await discover(client, undefined)).toStrictEqual({ capabilities: { ...ALL_OFF, ingress: true } });
  expect(requests).toEqual(['/apis']);
});

test('OpenShift with every add-on: all present, the apps domain read from the cluster Ingress config', async () => {
  const { client, requests } = stubClient(
    {
      '/apis': apis('route.openshift.io/v1', 'networking.k8s.io/v1', 'gateway.networking.k8s.io/v1', 'cert-manager.io/v1', 'objectbucket.io/v1alpha1', 'monitoring.coreos.com/v1', 'config.openshift.io/v1'),
      '/apis/gateway.networking.k8s.io/v1': resources('gateways', 'httproutes', 'tlsroutes'),
      '/apis/monitoring.coreos.com/v1': resources('servicemonitors', 'prometheusrules', 'podmonitors'),
    },
    { spec: { domain: 'apps.example.com' } },
  );
  expect(await discover(client, 'ns')).toStrictEqual({
    capabilities: { routes: true, ingress: true, httpRoutes: true, tlsRoutes: true, certificates: true, objectBucketClaims: true, monitoring: true, allNamespaces: false, consoleDashboards: true },
    appsDomain: 'apps.example.com',
  });
  expect(requests).toEqual(['/apis', '/apis/gateway.networking.k8s.io/v1', '/apis/monitoring.coreos.com/v1', 'get config.openshift.io/v1 Ingress undefined cluster']);
});

test('groups installed in parts: each Gateway route kind on its own, monitoring only with both CRDs', async () => {
  const paths = {
    '/apis': apis('gateway.networking.k8s.io/v1', 'monitoring.coreos.com/v1'),
    '/apis/gateway.networking.k8s.io/v1': resources('tlsroutes'),
    '/apis/monitoring.coreos.com/v1': resources('servicemonitors'),
  };
  expect((await discover(stubClient(paths).client, undefined)).capabilities).toEqual({ ...ALL_OFF, tlsRoutes: true });
  const other = { ...paths, '/apis/gateway.networking.k8s.io/v1': resources('httproutes'), '/apis/monitoring.coreos.com/v1': resources('prometheusrules') };
  expect((await discover(stubClient(other).client, undefined)).capabilities).toEqual({ ...ALL_OFF, httpRoutes: true });
});

test('a group/version not served (404), or whose aggregated server is down (503), or listing nothing: none of its resources', async () => {
  const served = apis('gateway.networking.k8s.io/v1', 'monitoring.coreos.com/v1');
  for (const [gateway, monitoring] of [
    [new ApiError(404, 'NotFound', 'gone'), new ApiError(503, 'ServiceUnavailable', 'down')],
    [{}, { resources: [] }],
  ]) {
    const { client } = stubClient({ '/apis': served, '/apis/gateway.networking.k8s.io/v1': gateway, '/apis/monitoring.coreos.com/v1': monitoring });
    expect(await discover(client, undefined)).toStrictEqual({ capabilities: ALL_OFF });
  }
});

test('any other failure of discovery is an error, not an absent API', async () => {
  const served = apis('gateway.networking.k8s.io/v1');
  const forbidden = new ApiError(403, 'Forbidden', 'GET /apis/gateway.networking.k8s.io/v1: 403 forbidden');
  await expect(discover(stubClient({ '/apis': served, '/apis/gateway.networking.k8s.io/v1': forbidden }).client, undefined)).rejects.toBe(forbidden);
  const reset = new Error('socket hang up');
  await expect(discover(stubClient({ '/apis': served, '/apis/gateway.networking.k8s.io/v1': reset }).client, undefined)).rejects.toBe(reset);
  await expect(discover(stubClient({ '/apis': reset }).client, undefined)).rejects.toBe(reset);
});

test('/apis without groups or versions: nothing optional', async () => {
  expect(await discover(stubClient({ '/apis': {} }).client, undefined)).toStrictEqual({ capabilities: ALL_OFF });
  expect(await discover(stubClient({ '/apis': { groups: [{}] } }).client, undefined)).toStrictEqual({ capabilities: ALL_OFF });
});

describe('the apps domain', () => {
  const openshift = { '/apis': apis('config.openshift.io/v1') };
  const dashboards = { ...ALL_OFF, consoleDashboards: true };

  test('unknown when the cluster Ingress config is missing or names none', async () => {
    for (const config of [undefined, {}, { spec: {} }, { spec: { domain: '' } }]) {
      expect(await discover(stubClient(openshift, config).client, undefined)).toStrictEqual({ capabilities: dashboards });
    }
  });

  test('a refused read: unknown when watching one namespace (no cluster-wide grant), an error otherwise', async () => {
    const forbidden = new ApiError(403, 'Forbidden', 'forbidden');
    expect(await discover(stubClient(openshift, forbidden).client, 'ns')).toStrictEqual({ capabilities: { ...dashboards, allNamespaces: false } });
    await expect(discover(stubClient(openshift, forbidden).client, undefined)).rejects.toBe(forbidden);
    const failed = new ApiError(500, 'InternalError', 'etcd');
    await expect(discover(stubClient(openshift, failed).client, 'ns')).rejects.toBe(failed);
    const reset = new Error('socket hang up');
    await expect(discover(stubClient(openshift, reset).client, 'ns')).rejects.toBe(reset);
  });
});

test('sameFacts: equal capabilities and apps domain', () => {
  const facts = { capabilities: { ...ALL_OFF, ingress: true }, appsDomain: 'apps.example.com' };
  expect(sameFacts(facts, { capabilities: { ...ALL_OFF, ingress: true }, appsDomain: 'apps.example.com' })).toBe(true);
  expect(sameFacts(facts, { capabilities: { ...ALL_OFF, ingress: true } })).toBe(false);
  expect(sameFacts(facts, { capabilities: ALL_OFF, appsDomain: 'apps.example.com' })).toBe(false);
});
