// spec.exposure in isolation: parseExposure's field and cross-field checks (exact problems), which type
// chooseExposure picks, why exposureUnavailable refuses it, and resolveExposure's TLS rules. Calls the
// exported functions directly; no registry is rendered.
import { chooseExposure, Exposure, ExposureCapabilities, ExposureInputs, exposureUnavailable, parseExposure, resolveExposure } from '../../lib/api/exposure';
import type { Problem } from '../../lib/problems';

const invalid = (path: string, message: string): Problem => ({ path, message, reason: 'ConfigInvalid' });
const NONE: ExposureCapabilities = { routes: false, ingress: false, httpRoutes: false, tlsRoutes: false, certificates: false };
const caps = (c: Partial<ExposureCapabilities>): ExposureCapabilities => ({ ...NONE, ...c });

function parse(raw: unknown): { exposure: Exposure | undefined; problems: Problem[] } {
  const problems: Problem[] = [];
  const exposure = parseExposure(raw, problems);
  return { exposure, problems };
}

describe('parseExposure', () => {
  it.each([undefined, null])('takes %j as no exposure, without a problem', (raw) => {
    expect(parse(raw)).toEqual({ exposure: undefined, problems: [] });
  });

  it.each([[[]], ['Ingress'], [5], [true], [[{ type: 'Ingress' }]]])('refuses %j: not a mapping', (raw) => {
    expect(parse(raw)).toEqual({ exposure: undefined, problems: [invalid('spec.exposure', 'must be a mapping with type, ingressClassName, gateway or issuer')] });
  });

  it.each<[string, Exposure]>([
    ['empty', {}],
    ['Ingress with a class', { type: 'Ingress', ingressClassName: 'nginx' }],
    ['Ingress with a dotted class and an Issuer', { type: 'Ingress', ingressClassName: 'ingress.example.com', issuer: { name: 'ca', kind: 'Issuer' } }],
    ['a ClusterIssuer, no type', { issuer: { name: 'letsencrypt', kind: 'ClusterIssuer' } }],
    ['an issuer without kind', { issuer: { name: 'letsencrypt' } }],
    ['Route', { type: 'Route' }],
    ['Gateway with every gateway field', { type: 'Gateway', gateway: { name: 'public.gw', namespace: 'gateways', sectionName: 'https.listener' } }],
    ['a gateway, no type', { gateway: { name: 'public' } }],
    ['names at their longest (253, namespace 63)', { gateway: { name: 'a'.repeat(253), namespace: 'n'.repeat(63), sectionName: 's'.repeat(253) } }],
  ])('accepts %s, returning it as given', (_, raw) => {
    expect(parse(raw)).toEqual({ exposure: raw, problems: [] });
  });

  it.each<[string, unknown, Problem[]]>([
    ['an unknown top-level field', { type: 'Ingress', host: 'x' }, [invalid('spec.exposure.host', 'unknown field; exposure has type, ingressClassName, gateway and issuer')]],
    ['an unknown type', { type: 'LoadBalancer' }, [invalid('spec.exposure.type', '"LoadBalancer" is not one of Route, Ingress, Gateway')]],
    ['a lower-case type', { type: 'ingress' }, [invalid('spec.exposure.type', '"ingress" is not one of Route, Ingress, Gateway')]],
    ['a class with capitals', { ingressClassName: 'Nginx' }, [invalid('spec.exposure.ingressClassName', '"Nginx" is not a valid IngressClass name')]],
    ['a class of 254 characters', { ingressClassName: 'a'.repeat(254) }, [invalid('spec.exposure.ingressClassName', `"${'a'.repeat(254)}" is not a valid IngressClass name`)]],
    ['a numeric class', { ingressClassName: 7 }, [invalid('spec.exposure.ingressClassName', '7 is not a valid IngressClass name')]],
    ['gateway: null', { gateway: null }, [invalid('spec.exposure.gateway', 'must be a mapping with name, namespace, sectionName')]],
    ['gateway: a string', { gateway: 'public' }, [invalid('spec.exposure.gateway', 'must be a mapping with name, namespace, sectionName')]],
    ['gateway: a list', { gateway: ['public'] }, [invalid('spec.exposure.gateway', 'must be a mapping with name, namespace, sectionName')]],
    ['issuer: null', { issuer: null }, [invalid('spec.exposure.issuer', 'must be a mapping with name, kind')]],
    ['a gateway without name', { gateway: { namespace: 'gateways' } }, [invalid('spec.exposure.gateway.name', 'is required')]],
    ['an unknown gateway field', { gateway: { name: 'public', port: 443 } }, [invalid('spec.exposure.gateway.port', 'unknown field; gateway has name, namespace, sectionName')]],
    ['an unknown issuer field', { issuer: { name: 'ca', group: 'cert-manager.io' } }, [invalid('spec.exposure.issuer.group', 'unknown field; issuer has name, kind')]],
    ['a bad Gateway name', { gateway: { name: 'Public' } }, [invalid('spec.exposure.gateway.name', '"Public" is not a valid Gateway name')]],
    ['a dotted namespace', { gateway: { name: 'public', namespace: 'gate.ways' } }, [invalid('spec.exposure.gateway.namespace', '"gate.ways" is not a valid namespace name')]],
    ['a namespace of 64 characters', { gateway: { name: 'public', namespace: 'n'.repeat(64) } }, [invalid('spec.exposure.gateway.namespace', `"${'n'.repeat(64)}" is not a valid namespace name`)]],
    ['a bad listener', { gateway: { name: 'public', sectionName: 'https_443' } }, [invalid('spec.exposure.gateway.sectionName', '"https_443" is not a valid listener name')]],
    ['a bad issuer name', { issuer: { name: '-ca' } }, [invalid('spec.exposure.issuer.name', '"-ca" is not a valid issuer name')]],
    ['an issuer without name', { issuer: { kind: 'Issuer' } }, [invalid('spec.exposure.issuer.name', 'is required')]],
    ['an unknown issuer kind', { issuer: { name: 'ca', kind: 'clusterissuer' } }, [invalid('spec.exposure.issuer.kind', '"clusterissuer" is not Issuer or ClusterIssuer')]],
    // Field problems stop the cross-field rules: no second "gateway is required".
    ['type Gateway with a bad field', { type: 'Gateway', extra: 1 }, [invalid('spec.exposure.extra', 'unknown field; exposure has type, ingressClassName, gateway and issuer')]],
    ['type Gateway, class, gateway not a mapping', { type: 'Gateway', ingressClassName: 'nginx', gateway: 5 }, [invalid('spec.exposure.gateway', 'must be a mapping with name, namespace, sectionName')]],
  ])('refuses %s, naming the field', (_, raw, expected) => {
    expect(parse(raw)).toEqual({ exposure: undefined, problems: expected });
  });

  const onlyIngress = invalid('spec.exposure.ingressClassName', 'applies only to type Ingress');
  it.each<[string, unknown, Problem[]]>([
    ['type Gateway without gateway', { type: 'Gateway' }, [invalid('spec.exposure.gateway', 'is required with type Gateway: name the Gateway the routes attach to')]],
    ['a class with type Route', { type: 'Route', ingressClassName: 'nginx' }, [onlyIngress]],
    ['a class with type Gateway', { type: 'Gateway', ingressClassName: 'nginx', gateway: { name: 'public' } }, [onlyIngress]],
    ['a class with a gateway and no type', { ingressClassName: 'nginx', gateway: { name: 'public' } }, [onlyIngress]],
    ['a gateway with type Ingress', { type: 'Ingress', gateway: { name: 'public' } }, [invalid('spec.exposure.gateway', 'applies only to type Gateway, not Ingress')]],
    ['a gateway and class with type Ingress', { type: 'Ingress', ingressClassName: 'nginx', gateway: { name: 'public' } }, [invalid('spec.exposure.gateway', 'applies only to type Gateway, not Ingress')]],
    ['a gateway with type Route', { type: 'Route', gateway: { name: 'public' } }, [invalid('spec.exposure.gateway', 'applies only to type Gateway, not Route')]],
  ])('refuses %s (fields that do not go together)', (_, raw, expected) => {
    expect(parse(raw)).toEqual({ exposure: undefined, problems: expected });
  });

  it('appends to the problems already found, and checks against its own', () => {
    const problems = [invalid('spec.tlsSecret', 'earlier')];
    expect(parseExposure({ type: 'Ingress', ingressClassName: 'nginx' }, problems)).toEqual({ type: 'Ingress', ingressClassName: 'nginx' });
    expect(parseExposure({ type: 'Route', gateway: { name: 'g' } }, problems)).toBeUndefined();
    expect(problems).toEqual([invalid('spec.tlsSecret', 'earlier'), invalid('spec.exposure.gateway', 'applies only to type Gateway, not Route')]);
  });
});

describe('chooseExposure', () => {
  it.each<[string, Exposure | undefined, Partial<ExposureCapabilities>, string | undefined]>([
    ['the declared type, whatever is served', { type: 'Gateway', gateway: { name: 'g' } }, { routes: true, ingress: true }, 'Gateway'],
    ['the declared Ingress on OpenShift', { type: 'Ingress' }, { routes: true }, 'Ingress'],
    ['Route where Routes are served', undefined, { routes: true, ingress: true, httpRoutes: true }, 'Route'],
    ['Route over a gateway without type', { gateway: { name: 'g' } }, { routes: true, ingress: true }, 'Route'],
    ['Gateway for a gateway without Routes', { gateway: { name: 'g' } }, { ingress: true }, 'Gateway'],
    ['Gateway even with nothing served', { gateway: { name: 'g' } }, {}, 'Gateway'],
    ['Ingress otherwise', { ingressClassName: 'nginx' }, { ingress: true, httpRoutes: true }, 'Ingress'],
    ['nothing when nothing is served', {}, { httpRoutes: true, tlsRoutes: true }, undefined],
  ])('picks %s', (_, exposure, c, expected) => {
    expect(chooseExposure(exposure, caps(c))).toEqual(expected);
  });
});

describe('exposureUnavailable', () => {
  const ALL = caps({ routes: true, ingress: true, httpRoutes: true, tlsRoutes: true, certificates: true });
  it.each<[string, Parameters<typeof exposureUnavailable>[0], Exposure | undefined, ExposureCapabilities, string | undefined]>([
    ['no type', undefined, undefined, ALL, 'Route API not available (route.openshift.io/v1), nor Ingress (networking.k8s.io/v1)'],
    ['Route served', 'Route', undefined, caps({ routes: true }), undefined],
    ['Route not served', 'Route', undefined, caps({ ingress: true }), 'Route API not available (route.openshift.io/v1)'],
    ['Ingress served', 'Ingress', { issuer: undefined }, caps({ ingress: true }), undefined],
    ['Ingress not served', 'Ingress', undefined, caps({ routes: true, certificates: true }), 'Ingress API not available (networking.k8s.io/v1)'],
    ['Ingress not served, with an issuer', 'Ingress', { issuer: { name: 'ca' } }, caps({ certificates: true }), 'Ingress API not available (networking.k8s.io/v1)'],
    ['an issuer without cert-manager', 'Ingress', { issuer: { name: 'ca' } }, caps({ ingress: true }), 'cert-manager API not available (cert-manager.io/v1 Certificate) for spec.exposure.issuer'],
    ['an issuer with cert-manager', 'Ingress', { issuer: { name: 'ca' } }, caps({ ingress: true, certificates: true }), undefined],
    ['Gateway with HTTPRoutes only', 'Gateway', undefined, caps({ httpRoutes: true }), undefined],
    ['Gateway with TLSRoutes only', 'Gateway', undefined, caps({ tlsRoutes: true }), undefined],
    ['Gateway with neither', 'Gateway', undefined, caps({ routes: true, ingress: true }), 'Gateway API not available (gateway.networking.k8s.io/v1 httproutes, tlsroutes)'],
  ])('%s', (_, type, exposure, c, expected) => {
    expect(exposureUnavailable(type, exposure, c)).toEqual(expected);
  });
});

describe('resolveExposure', () => {
  const inputs = (over: Partial<ExposureInputs>): ExposureInputs => ({
    exposure: undefined,
    routeManaged: true,
    tlsManaged: true,
    quayCertificate: 'none',
    capabilities: caps({ ingress: true }),
    ...over,
  });
  const ok = (type: string, settings: Exposure = {}) => ({ exposure: { type, settings }, problems: [] });
  const refused = (...problems: Problem[]) => ({ problems });
  const ISSUER: Exposure = { issuer: { name: 'letsencrypt', kind: 'ClusterIssuer' } };
  const GW: Exposure = { type: 'Gateway', gateway: { name: 'public' } };

  it.each<[string, Partial<ExposureInputs>, unknown]>([
    ['route unmanaged, no exposure', { routeManaged: false }, refused()],
    ['route unmanaged, with exposure', { routeManaged: false, exposure: { type: 'Ingress' } }, refused(invalid('spec.exposure', 'the route component is unmanaged: remove spec.exposure, or set route managed'))],
    ['no exposure API (refused elsewhere)', { capabilities: NONE }, refused()],
    ['Route on OpenShift', { capabilities: caps({ routes: true }) }, ok('Route')],
    ['Ingress, tls managed, no settings', {}, ok('Ingress')],
    ['Ingress with an issuer, tls managed', { exposure: ISSUER }, ok('Ingress', ISSUER)],
    ['Ingress with an issuer, tls managed, a bundle certificate too', { exposure: ISSUER, quayCertificate: 'bundle' }, ok('Ingress', ISSUER)],
    ['Ingress re-encrypting to a tlsSecret, nothing else served', { exposure: { type: 'Ingress' }, tlsManaged: false, quayCertificate: 'tlsSecret' }, ok('Ingress', { type: 'Ingress' })],
    ['Ingress, tls unmanaged without a certificate of Quay', { exposure: { type: 'Ingress' }, tlsManaged: false }, ok('Ingress', { type: 'Ingress' })],
    ['Ingress with an issuer, tls unmanaged without a certificate of Quay', { exposure: ISSUER, tlsManaged: false }, ok('Ingress', ISSUER)],
    ['Ingress passthrough of a bundle certificate', { exposure: { type: 'Ingress' }, tlsManaged: false, quayCertificate: 'bundle' },
      refused(invalid('spec.exposure', 'an Ingress cannot pass TLS through to Quay and reads its certificate from a kubernetes.io/tls Secret: move ssl.cert/ssl.key into one and name it in spec.tlsSecret, or use type Gateway (TLSRoute passthrough)'))],
    ['an issuer with type Route', { exposure: { ...ISSUER, type: 'Route' }, capabilities: caps({ routes: true }) },
      refused(invalid('spec.exposure.issuer', "applies to type Ingress only; with Route the certificate is the router's"))],
    ['an issuer without type on OpenShift', { exposure: ISSUER, capabilities: caps({ routes: true, ingress: true }) },
      refused(invalid('spec.exposure.issuer', "applies to type Ingress only; with Route the certificate is the router's"))],
    ['an issuer with type Gateway', { exposure: { ...GW, ...ISSUER }, capabilities: caps({ httpRoutes: true }) },
      refused(invalid('spec.exposure.issuer', "applies to type Ingress only; with Gateway the certificate is the Gateway listener's"))],
    ['an issuer with Quay serving its certificate', { exposure: ISSUER, tlsManaged: false, quayCertificate: 'tlsSecret' },
      refused(invalid('spec.exposure.issuer', 'applies when tls is managed; Quay serves your certificate (tls unmanaged)'))],
    ['Gateway, tls managed, HTTPRoutes served', { exposure: GW, capabilities: caps({ httpRoutes: true }) }, ok('Gateway', GW)],
    ['Gateway, tls managed, only TLSRoutes served', { exposure: GW, capabilities: caps({ tlsRoutes: true }) },
      refused(invalid('spec.exposure', 'Gateway API HTTPRoute not available (gateway.networking.k8s.io/v1 httproutes)'))],
    ['Gateway passthrough, only TLSRoutes served', { exposure: GW, tlsManaged: false, quayCertificate: 'bundle', capabilities: caps({ tlsRoutes: true }) }, ok('Gateway', GW)],
    ['Gateway passthrough, only HTTPRoutes served', { exposure: GW, tlsManaged: false, quayCertificate: 'tlsSecret', capabilities: caps({ httpRoutes: true }) },
      refused(invalid('spec.exposure', 'Gateway API TLSRoute not available (gateway.networking.k8s.io/v1 tlsroutes), needed to pass TLS through to Quay'))],
    ['Ingress, no Gateway API at all (its rules do not apply)', { exposure: { type: 'Ingress' }, capabilities: caps({ ingress: true }) }, ok('Ingress', { type: 'Ingress' })],
    ['an issuer with Gateway passthrough and no TLSRoutes: every problem', { exposure: { ...GW, ...ISSUER }, tlsManaged: false, quayCertificate: 'bundle', capabilities: caps({ httpRoutes: true }) },
      refused(
        invalid('spec.exposure.issuer', "applies to type Ingress only; with Gateway the certificate is the Gateway listener's"),
        invalid('spec.exposure.issuer', 'applies when tls is managed; Quay serves your certificate (tls unmanaged)'),
        invalid('spec.exposure', 'Gateway API TLSRoute not available (gateway.networking.k8s.io/v1 tlsroutes), needed to pass TLS through to Quay'),
      )],
  ])('%s', (_, over, expected) => {
    const result = resolveExposure(inputs(over));
    expect(result).toEqual(expected);
    expect('exposure' in result).toEqual(result.problems.length === 0 && over.capabilities !== NONE && over.routeManaged !== false);
  });
});
