// spec.exposure: how a managed `route` component reaches Quay from outside the cluster. OpenShift
// has Routes; plain Kubernetes has Ingress (networking.k8s.io/v1) or the Gateway API. Upstream has
// only Routes, so on other clusters its users wrote their own Ingress.
import { Problem, problem } from '../problems';
import type { JSONSchema } from './schema';

export const EXPOSURE_TYPES = ['Route', 'Ingress', 'Gateway'] as const;
export type ExposureType = (typeof EXPOSURE_TYPES)[number];

export interface GatewayRef {
  readonly name: string;
  /** The Gateway's namespace; the registry's when absent. */
  readonly namespace?: string;
  /** The listener the routes attach to (an HTTPS listener for edge TLS, a TLS passthrough one for Quay's own certificate). */
  readonly sectionName?: string;
}

export interface IssuerRef {
  readonly name: string;
  readonly kind?: 'Issuer' | 'ClusterIssuer';
}

export interface Exposure {
  /** Absent: Route where route.openshift.io is served, else Gateway when `gateway` is set, else Ingress. */
  readonly type?: ExposureType;
  readonly ingressClassName?: string;
  readonly gateway?: GatewayRef;
  /** cert-manager issuer of the Ingress certificate (tls managed). */
  readonly issuer?: IssuerRef;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const name = (description: string): JSONSchema => ({ type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN.source, description });

export const exposureSchema: JSONSchema = {
  type: 'object',
  description:
    'How the managed route component exposes Quay. On OpenShift a Route; on other clusters an Ingress or Gateway API routes (HTTPRoute for edge TLS, TLSRoute passthrough when Quay serves your certificate). Setting it makes route (and tls, without your certificate) managed by default where Routes are not served.',
  properties: {
    type: {
      type: 'string',
      enum: [...EXPOSURE_TYPES],
      description: 'Route, Ingress or Gateway. Default: Route where route.openshift.io is served, else Gateway when gateway is set, else Ingress.',
    },
    ingressClassName: { ...name('IngressClass of the Ingresses; the cluster default class when absent.'), maxLength: 253 },
    gateway: {
      type: 'object',
      required: ['name'],
      description: 'The Gateway the HTTPRoute or TLSRoute attaches to (type Gateway).',
      properties: {
        name: name('Name of the Gateway.'),
        namespace: { type: 'string', maxLength: 63, pattern: DNS_LABEL.source, description: "Namespace of the Gateway; the registry's when absent (the Gateway must allow routes from it)." },
        sectionName: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN.source, description: 'The listener to attach to; all matching listeners when absent.' },
      },
    },
    issuer: {
      type: 'object',
      required: ['name'],
      description: 'A cert-manager Issuer or ClusterIssuer: with tls managed, a Certificate for the registry\'s hosts is requested from it and the Ingress serves it. Without it the ingress controller\'s default certificate is served.',
      properties: {
        name: name('Name of the issuer.'),
        kind: { type: 'string', enum: ['Issuer', 'ClusterIssuer'], description: 'Issuer (in the registry\'s namespace, the default) or ClusterIssuer.' },
      },
    },
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks spec.exposure field by field; the parsed value when it holds. */
export function parseExposure(raw: unknown, problems: Problem[]): Exposure | undefined {
  const path = 'spec.exposure';
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) {
    problems.push(problem(path, 'must be a mapping with type, ingressClassName, gateway or issuer'));
    return undefined;
  }
  const before = problems.length;
  const bad = (field: string, message: string) => problems.push(problem(`${path}.${field}`, message));
  const ref = (field: string, value: unknown, fields: Record<string, (v: unknown) => string | undefined>): void => {
    if (!isObject(value)) {
      bad(field, `must be a mapping with ${Object.keys(fields).join(', ')}`);
      return;
    }
    if (value.name === undefined) bad(`${field}.name`, 'is required');
    for (const [k, v] of Object.entries(value)) {
      const check = fields[k];
      const message = check ? check(v) : `unknown field; ${field} has ${Object.keys(fields).join(', ')}`;
      if (message) bad(`${field}.${k}`, message);
    }
  };
  const dnsName = (what: string, pattern = DNS_SUBDOMAIN, max = 253) => (v: unknown) =>
    typeof v === 'string' && pattern.test(v) && v.length <= max ? undefined : `${JSON.stringify(v)} is not a valid ${what}`;

  for (const [k, v] of Object.entries(raw)) {
    switch (k) {
      case 'type':
        if (!(EXPOSURE_TYPES as readonly unknown[]).includes(v)) bad(k, `${JSON.stringify(v)} is not one of ${EXPOSURE_TYPES.join(', ')}`);
        break;
      case 'ingressClassName': {
        const message = dnsName('IngressClass name')(v);
        if (message) bad(k, message);
        break;
      }
      case 'gateway':
        ref(k, v, { name: dnsName('Gateway name'), namespace: dnsName('namespace name', DNS_LABEL, 63), sectionName: dnsName('listener name') });
        break;
      case 'issuer':
        ref(k, v, { name: dnsName('issuer name'), kind: (x) => (x === 'Issuer' || x === 'ClusterIssuer' ? undefined : `${JSON.stringify(x)} is not Issuer or ClusterIssuer`) });
        break;
      default:
        bad(k, 'unknown field; exposure has type, ingressClassName, gateway and issuer');
    }
  }
  if (problems.length > before) return undefined;
  const exposure = raw as Exposure;
  if (exposure.type === 'Gateway' && !exposure.gateway) bad('gateway', 'is required with type Gateway: name the Gateway the routes attach to');
  if (exposure.ingressClassName && (exposure.type === 'Gateway' || exposure.type === 'Route' || (!exposure.type && exposure.gateway))) {
    bad('ingressClassName', 'applies only to type Ingress');
  }
  if (exposure.gateway && (exposure.type === 'Ingress' || exposure.type === 'Route')) bad('gateway', `applies only to type Gateway, not ${exposure.type}`);
  return problems.length > before ? undefined : exposure;
}

/** What the cluster serves for exposure (lib/api/components.ts Capabilities holds the same flags). */
export interface ExposureCapabilities {
  readonly routes: boolean;
  readonly ingress: boolean;
  readonly httpRoutes: boolean;
  readonly tlsRoutes: boolean;
  readonly certificates: boolean;
}

/** The exposure the registry gets: the declared type, or the first the cluster serves. */
export function chooseExposure(exposure: Exposure | undefined, caps: ExposureCapabilities): ExposureType | undefined {
  if (exposure?.type) return exposure.type;
  if (caps.routes) return 'Route';
  if (exposure?.gateway) return 'Gateway';
  return caps.ingress ? 'Ingress' : undefined;
}

/** Why the chosen exposure cannot be rendered on this cluster, or undefined. */
export function exposureUnavailable(type: ExposureType | undefined, exposure: Exposure | undefined, caps: ExposureCapabilities): string | undefined {
  switch (type) {
    case undefined:
      return 'Route API not available (route.openshift.io/v1), nor Ingress (networking.k8s.io/v1)';
    case 'Route':
      return caps.routes ? undefined : 'Route API not available (route.openshift.io/v1)';
    case 'Ingress':
      if (!caps.ingress) return 'Ingress API not available (networking.k8s.io/v1)';
      return exposure?.issuer && !caps.certificates ? 'cert-manager API not available (cert-manager.io/v1 Certificate) for spec.exposure.issuer' : undefined;
    case 'Gateway':
      return caps.httpRoutes || caps.tlsRoutes ? undefined : 'Gateway API not available (gateway.networking.k8s.io/v1 httproutes, tlsroutes)';
  }
}

/** The exposure a registry's managed route renders, with its settings. */
export interface ResolvedExposure {
  readonly type: ExposureType;
  readonly settings: Exposure;
}

export interface ExposureInputs {
  readonly exposure: Exposure | undefined;
  readonly routeManaged: boolean;
  readonly tlsManaged: boolean;
  /** Where the certificate Quay serves itself comes from, if it serves one. */
  readonly quayCertificate: 'none' | 'bundle' | 'tlsSecret';
  readonly capabilities: ExposureCapabilities;
}

/**
 * The rules that need the resolved components: an Ingress cannot pass TLS through, so it serves
 * the user's certificate from a kubernetes.io/tls Secret (spec.tlsSecret); a Gateway passes it
 * through with a TLSRoute; cert-manager issues only what the operator would otherwise leave to the
 * ingress controller's default certificate (tls managed).
 */
export function resolveExposure(inputs: ExposureInputs): { exposure?: ResolvedExposure; problems: Problem[] } {
  const { exposure, capabilities: caps } = inputs;
  if (!inputs.routeManaged) {
    return exposure ? { problems: [problem('spec.exposure', 'the route component is unmanaged: remove spec.exposure, or set route managed')] } : { problems: [] };
  }
  const type = chooseExposure(exposure, caps);
  if (!type) return { problems: [] }; // route managed without any exposure API: refused as ComponentUnsupported
  const problems: Problem[] = [];
  const passthrough = inputs.quayCertificate !== 'none' && !inputs.tlsManaged;
  if (exposure?.issuer && type !== 'Ingress') {
    problems.push(problem('spec.exposure.issuer', `applies to type Ingress only; with ${type} the certificate is the ${type === 'Route' ? "router's" : "Gateway listener's"}`));
  }
  if (exposure?.issuer && passthrough) problems.push(problem('spec.exposure.issuer', 'applies when tls is managed; Quay serves your certificate (tls unmanaged)'));
  if (type === 'Ingress' && passthrough && inputs.quayCertificate === 'bundle') {
    problems.push(problem('spec.exposure', 'an Ingress cannot pass TLS through to Quay and reads its certificate from a kubernetes.io/tls Secret: move ssl.cert/ssl.key into one and name it in spec.tlsSecret, or use type Gateway (TLSRoute passthrough)'));
  }
  if (type === 'Gateway' && passthrough && !caps.tlsRoutes) problems.push(problem('spec.exposure', 'Gateway API TLSRoute not available (gateway.networking.k8s.io/v1 tlsroutes), needed to pass TLS through to Quay'));
  if (type === 'Gateway' && !passthrough && !caps.httpRoutes) problems.push(problem('spec.exposure', 'Gateway API HTTPRoute not available (gateway.networking.k8s.io/v1 httproutes)'));
  return problems.length > 0 ? { problems } : { exposure: { type, settings: exposure ?? {} }, problems };
}
