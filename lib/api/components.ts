// Resolves the full component list: what the user declared plus defaults for the platform.
// Computed in memory (and reported in status.components); the user's spec is never rewritten.
import { Problem, problem } from '../problems';
import { ExposureCapabilities, chooseExposure, exposureUnavailable } from './exposure';
import { COMPONENT_KINDS, Component, ComponentKind, Overrides, QuayRegistrySpec } from './types';

/** What the cluster offers. The controller detects it; the CLI takes it from --platform. */
export interface Capabilities extends ExposureCapabilities {
  /** route.openshift.io/v1 Route */
  readonly routes: boolean;
  /** networking.k8s.io/v1 Ingress */
  readonly ingress: boolean;
  /** gateway.networking.k8s.io/v1 HTTPRoute */
  readonly httpRoutes: boolean;
  /** gateway.networking.k8s.io/v1 TLSRoute */
  readonly tlsRoutes: boolean;
  /** cert-manager.io/v1 Certificate */
  readonly certificates: boolean;
  /** objectbucket.io/v1alpha1 ObjectBucketClaim */
  readonly objectBucketClaims: boolean;
  /** monitoring.coreos.com/v1 ServiceMonitor and PrometheusRule */
  readonly monitoring: boolean;
  /** The operator watches all namespaces; monitoring needs it (seeds). */
  readonly allNamespaces: boolean;
  /**
   * The OpenShift console (config.openshift.io/v1 served): the Grafana dashboard goes into its
   * openshift-config-managed namespace, which other Kubernetes clusters do not have.
   */
  readonly consoleDashboards: boolean;
}

export type Platform = 'openshift' | 'kubernetes';
export const PLATFORMS: readonly Platform[] = ['openshift', 'kubernetes'];

export function platformCapabilities(platform: Platform): Capabilities {
  const openshift = platform === 'openshift';
  // Without a cluster to ask, an exposure the user names explicitly is taken as served.
  return {
    routes: openshift,
    ingress: true,
    httpRoutes: true,
    tlsRoutes: true,
    certificates: true,
    objectBucketClaims: openshift,
    monitoring: openshift,
    allNamespaces: true,
    consoleDashboards: openshift,
  };
}

export interface ResolvedComponent {
  readonly kind: ComponentKind;
  readonly managed: boolean;
  readonly overrides: Overrides;
  /** false when the operator chose the default. */
  readonly declared: boolean;
}

export type ResolvedComponents = Readonly<Record<ComponentKind, ResolvedComponent>>;

/** Why a component cannot be managed on this cluster, or undefined if it can. */
function unavailableReason(kind: ComponentKind, caps: Capabilities, spec: QuayRegistrySpec): string | undefined {
  switch (kind) {
    case 'route':
    case 'tls':
      return exposureUnavailable(chooseExposure(spec.exposure, caps), spec.exposure, caps);
    case 'objectstorage':
      return caps.objectBucketClaims ? undefined : 'ObjectStorage API not available (objectbucket.io/v1alpha1 ObjectBucketClaim)';
    case 'monitoring':
      if (!caps.monitoring) return 'Prometheus API not available (monitoring.coreos.com/v1 ServiceMonitor, PrometheusRule)';
      return caps.allNamespaces ? undefined : 'monitoring is only supported in AllNamespaces mode';
    default:
      return undefined;
  }
}

export interface ResolveResult {
  readonly components: ResolvedComponents;
  readonly problems: Problem[];
}

/**
 * Declared components keep their setting; the rest default to managed when the cluster supports
 * them. tls defaults to unmanaged when the bundle carries ssl.cert and ssl.key (the user's own
 * certificate), as upstream does. route and tls default to managed where Routes are served, or
 * elsewhere when spec.exposure asks for an Ingress or Gateway routes.
 */
export function resolveComponents(spec: QuayRegistrySpec, caps: Capabilities, bundleHasCertificate: boolean): ResolveResult {
  const declared = new Map<ComponentKind, [Component, number]>();
  (spec.components ?? []).forEach((c, i) => declared.set(c.kind, [c, i]));
  const problems: Problem[] = [];
  const entries = COMPONENT_KINDS.map((kind): ResolvedComponent => {
    const reason = unavailableReason(kind, caps, spec);
    const found = declared.get(kind);
    if (found) {
      const [c, i] = found;
      if (c.managed && reason) {
        problems.push(problem(`spec.components[${i}]`, `error validating component \`${kind}\`: ${reason}; mark it managed: false and configure it in the config bundle`, 'ComponentUnsupported'));
      }
      return { kind, managed: c.managed, overrides: c.overrides ?? {}, declared: true };
    }
    const exposed = (kind !== 'route' && kind !== 'tls') || caps.routes || spec.exposure !== undefined;
    const managed = reason === undefined && exposed && !(kind === 'tls' && bundleHasCertificate);
    return { kind, managed, overrides: {}, declared: false };
  });
  const components = Object.fromEntries(entries.map((c) => [c.kind, c])) as Record<ComponentKind, ResolvedComponent>;
  return { components, problems };
}
