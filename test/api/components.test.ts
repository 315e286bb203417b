import { Capabilities, ResolvedComponents, platformCapabilities, resolveComponents } from '../../lib/api/components';
import { COMPONENT_KINDS, Component } from '../../lib/api/types';
import { Problem } from '../../lib/problems';

const OPENSHIFT = platformCapabilities('openshift');
const KUBERNETES = platformCapabilities('kubernetes');
const SINGLE_NAMESPACE: Capabilities = { ...OPENSHIFT, allNamespaces: false };
/** A cluster that serves none of the exposure APIs (no Routes, Ingress, Gateway API). */
const NO_EXPOSURE: Capabilities = { ...KUBERNETES, ingress: false, httpRoutes: false, tlsRoutes: false };

function managedMap(components: ResolvedComponents): Record<string, boolean> {
  return Object.fromEntries(Object.values(components).map((c) => [c.kind, c.managed]));
}

const unsupported = (path: string, message: string): Problem => ({ path, message, reason: 'ComponentUnsupported' });

describe('platformCapabilities', () => {
  it('openshift has every API, kubernetes none of OpenShift\'s, both watch all namespaces and take the exposure the user names as served', () => {
    const exposure = { ingress: true, httpRoutes: true, tlsRoutes: true, certificates: true };
    expect(OPENSHIFT).toEqual({ routes: true, ...exposure, objectBucketClaims: true, monitoring: true, allNamespaces: true, consoleDashboards: true });
    expect(KUBERNETES).toEqual({ routes: false, ...exposure, objectBucketClaims: false, monitoring: false, allNamespaces: true, consoleDashboards: false });
  });
});

describe('resolveComponents', () => {
  it('on openshift manages all 11 components when none are declared, in COMPONENT_KINDS order', () => {
    const { components, problems } = resolveComponents({}, OPENSHIFT, false);
    expect(problems).toEqual([]);
    expect(Object.keys(components)).toEqual([...COMPONENT_KINDS]);
    expect(Object.keys(components)).toEqual([
      'quay',
      'postgres',
      'clair',
      'redis',
      'horizontalpodautoscaler',
      'objectstorage',
      'route',
      'mirror',
      'monitoring',
      'tls',
      'clairpostgres',
    ]);
    for (const kind of COMPONENT_KINDS) {
      expect(components[kind]).toEqual({ kind, managed: true, overrides: {}, declared: false });
    }
  });

  it('on kubernetes leaves route, tls, objectstorage and monitoring unmanaged and manages the rest', () => {
    const { components, problems } = resolveComponents({}, KUBERNETES, false);
    expect(problems).toEqual([]);
    expect(managedMap(components)).toEqual({
      quay: true,
      postgres: true,
      clair: true,
      redis: true,
      horizontalpodautoscaler: true,
      objectstorage: false,
      route: false,
      mirror: true,
      monitoring: false,
      tls: false,
      clairpostgres: true,
    });
  });

  it('keeps declared values and overrides, and marks them declared', () => {
    const declared: Component[] = [
      { kind: 'redis', managed: false },
      { kind: 'quay', managed: true, overrides: { env: [{ name: 'DEBUGLOG', value: 'true' }] } },
      { kind: 'horizontalpodautoscaler', managed: false },
    ];
    const { components, problems } = resolveComponents({ components: declared }, OPENSHIFT, false);
    expect(problems).toEqual([]);
    expect(components.redis).toEqual({ kind: 'redis', managed: false, overrides: {}, declared: true });
    expect(components.quay).toEqual({ kind: 'quay', managed: true, overrides: { env: [{ name: 'DEBUGLOG', value: 'true' }] }, declared: true });
    expect(components.horizontalpodautoscaler).toEqual({ kind: 'horizontalpodautoscaler', managed: false, overrides: {}, declared: true });
    expect(components.postgres).toEqual({ kind: 'postgres', managed: true, overrides: {}, declared: false });
    // The order stays COMPONENT_KINDS whatever the declaration order.
    expect(Object.keys(components)).toEqual([...COMPONENT_KINDS]);
  });

  it('does not modify the spec it is given', () => {
    const spec = { components: [{ kind: 'redis' as const, managed: false }] };
    resolveComponents(spec, KUBERNETES, false);
    expect(spec).toEqual({ components: [{ kind: 'redis', managed: false }] });
  });

  it('keeps a declared unmanaged route on kubernetes without a problem', () => {
    const { components, problems } = resolveComponents({ components: [{ kind: 'route', managed: false }] }, KUBERNETES, false);
    expect(problems).toEqual([]);
    expect(components.route.managed).toBe(false);
  });

  it('reports route declared managed on a cluster with no exposure API, naming the Route and Ingress APIs', () => {
    const { components, problems } = resolveComponents(
      { components: [{ kind: 'quay', managed: true }, { kind: 'route', managed: true }] },
      NO_EXPOSURE,
      false,
    );
    expect(problems).toEqual([
      unsupported(
        'spec.components[1]',
        'error validating component `route`: Route API not available (route.openshift.io/v1), nor Ingress (networking.k8s.io/v1); mark it managed: false and configure it in the config bundle',
      ),
    ]);
    expect(components.route.managed).toBe(true);
  });

  it('accepts route declared managed on kubernetes (an Ingress), and leaves route and tls unmanaged there by default', () => {
    const declared = resolveComponents({ components: [{ kind: 'route', managed: true }] }, KUBERNETES, false);
    expect(declared.problems).toEqual([]);
    expect([declared.components.route.managed, declared.components.tls.managed]).toEqual([true, false]);
    const byDefault = resolveComponents({}, KUBERNETES, false);
    expect([byDefault.components.route.managed, byDefault.components.tls.managed]).toEqual([false, false]);
  });

  it('manages route and tls by default on kubernetes when spec.exposure asks for exposure, tls unmanaged with your certificate', () => {
    const ingress = resolveComponents({ exposure: { type: 'Ingress' } }, KUBERNETES, false);
    expect([ingress.problems, ingress.components.route.managed, ingress.components.tls.managed]).toEqual([[], true, true]);
    const gateway = resolveComponents({ exposure: { gateway: { name: 'public' } } }, KUBERNETES, true);
    expect([gateway.problems, gateway.components.route.managed, gateway.components.tls.managed]).toEqual([[], true, false]);
  });

  it('refuses an exposure the cluster does not serve, naming its API, and does not default to it', () => {
    const caps = { ...KUBERNETES, httpRoutes: false, tlsRoutes: false };
    const declared = resolveComponents({ exposure: { type: 'Gateway', gateway: { name: 'g' } }, components: [{ kind: 'route', managed: true }] }, caps, false);
    expect(declared.problems).toEqual([
      unsupported('spec.components[0]', 'error validating component `route`: Gateway API not available (gateway.networking.k8s.io/v1 httproutes, tlsroutes); mark it managed: false and configure it in the config bundle'),
    ]);
    const byDefault = resolveComponents({ exposure: { type: 'Gateway', gateway: { name: 'g' } } }, caps, false);
    expect([byDefault.problems, byDefault.components.route.managed]).toEqual([[], false]);
    const noCertManager = resolveComponents({ exposure: { issuer: { name: 'le' } }, components: [{ kind: 'route', managed: true }] }, { ...KUBERNETES, certificates: false }, false);
    expect(noCertManager.problems.map((p) => p.message)).toEqual([
      'error validating component `route`: cert-manager API not available (cert-manager.io/v1 Certificate) for spec.exposure.issuer; mark it managed: false and configure it in the config bundle',
    ]);
  });

  it('reports objectstorage declared managed on kubernetes, naming the ObjectBucketClaim API', () => {
    expect(resolveComponents({ components: [{ kind: 'objectstorage', managed: true }] }, KUBERNETES, false).problems).toEqual([
      unsupported(
        'spec.components[0]',
        'error validating component `objectstorage`: ObjectStorage API not available (objectbucket.io/v1alpha1 ObjectBucketClaim); mark it managed: false and configure it in the config bundle',
      ),
    ]);
  });

  it('reports monitoring declared managed on kubernetes, naming the Prometheus API', () => {
    expect(resolveComponents({ components: [{ kind: 'monitoring', managed: true }] }, KUBERNETES, false).problems).toEqual([
      unsupported(
        'spec.components[0]',
        'error validating component `monitoring`: Prometheus API not available (monitoring.coreos.com/v1 ServiceMonitor, PrometheusRule); mark it managed: false and configure it in the config bundle',
      ),
    ]);
  });

  it('reports tls declared managed where only Routes could serve it (exposure type Route on kubernetes), naming the Route API', () => {
    expect(resolveComponents({ exposure: { type: 'Route' }, components: [{ kind: 'tls', managed: true }] }, KUBERNETES, false).problems).toEqual([
      unsupported(
        'spec.components[0]',
        'error validating component `tls`: Route API not available (route.openshift.io/v1); mark it managed: false and configure it in the config bundle',
      ),
    ]);
  });

  it('defaults monitoring to unmanaged when the operator watches a single namespace', () => {
    const { components, problems } = resolveComponents({}, SINGLE_NAMESPACE, false);
    expect(problems).toEqual([]);
    expect(components.monitoring.managed).toBe(false);
    expect(components.route.managed).toBe(true);
  });

  it('reports monitoring declared managed when the operator watches a single namespace', () => {
    expect(resolveComponents({ components: [{ kind: 'monitoring', managed: true }] }, SINGLE_NAMESPACE, false).problems).toEqual([
      unsupported(
        'spec.components[0]',
        'error validating component `monitoring`: monitoring is only supported in AllNamespaces mode; mark it managed: false and configure it in the config bundle',
      ),
    ]);
  });

  it('defaults tls to unmanaged when the bundle has a certificate', () => {
    const { components, problems } = resolveComponents({}, OPENSHIFT, true);
    expect(problems).toEqual([]);
    expect(components.tls).toEqual({ kind: 'tls', managed: false, overrides: {}, declared: false });
    expect(components.route.managed).toBe(true);
  });

  it('keeps tls declared managed even when the bundle has a certificate (the bundle rules report that)', () => {
    const { components, problems } = resolveComponents({ components: [{ kind: 'tls', managed: true }] }, OPENSHIFT, true);
    expect(problems).toEqual([]);
    expect(components.tls.managed).toBe(true);
  });
});

test('platformCapabilities: OpenShift serves Routes, bucket claims, monitoring and console dashboards; both take the exposures and certificates a user names', () => {
  const both = { ingress: true, httpRoutes: true, tlsRoutes: true, certificates: true, allNamespaces: true };
  expect(platformCapabilities('openshift')).toEqual({ ...both, routes: true, objectBucketClaims: true, monitoring: true, consoleDashboards: true });
  expect(platformCapabilities('kubernetes')).toEqual({ ...both, routes: false, objectBucketClaims: false, monitoring: false, consoleDashboards: false });
});
