// spec.exposure's objects in the cases test/synth/exposure.test.ts (the seeds' TLS × exposure table)
// leaves out: the build manager's Ingress, an issuer without a kind, and the route component's
// annotation overrides on Ingresses and Gateway routes.
import { App, Chart } from 'cdk8s';
import { Exposure } from '../../constructs/exposure';
import type { RegistryModel } from '../../lib/model';
import { S3_STORAGE_CONFIG, testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;
const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const BUILDER = 'example-registry-quay-builder-quay-enterprise.apps.example.com';
const PAIR = { 'tls.crt': tlsFixture('leaf-chain.crt'), 'tls.key': tlsFixture('leaf.key') };

function render(model: RegistryModel): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: model.namespace, disableResourceNameHashes: true });
  new Exposure(chart, 'route', { model });
  const objects = chart.toJson() as Obj[];
  validateAll(objects);
  return objects;
}
const model = (spec: Obj, config = '', tlsSecret?: Record<string, string>) =>
  testModel({ platform: 'kubernetes', files: { 'config.yaml': `${S3_STORAGE_CONFIG}${config}` }, spec, ...(tlsSecret ? { tlsSecret } : {}) });
const builderConfig = `BUILDMAN_HOSTNAME: ${BUILDER}\n`;
const ingress = (objects: Obj[], name: string) => objects.find((o) => o.kind === 'Ingress' && o.metadata.name === name)!;

describe("the build manager's Ingress (BUILDMAN_HOSTNAME set)", () => {
  test('gRPC to Quay\'s grpc port on the builder host, with the same certificate and annotations as Quay\'s', () => {
    const objects = render(model({ exposure: { type: 'Ingress', ingressClassName: 'nginx' } }, builderConfig));
    expect(objects.filter((o) => o.kind === 'Ingress').map((o) => o.metadata.name)).toEqual(['example-registry-quay', 'example-registry-quay-builder', 'example-registry-quay-config-editor']);
    const builder = ingress(objects, 'example-registry-quay-builder');
    expect(builder.metadata.labels).toEqual({ 'quay-component': 'quay-builder-route', 'quay-operator/quayregistry': 'example-registry' });
    expect(builder.metadata.annotations).toEqual({
      'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC',
      'nginx.ingress.kubernetes.io/proxy-body-size': '0',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '1800',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '1800',
    });
    expect(builder.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: [BUILDER] }],
      rules: [{ host: BUILDER, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'example-registry-quay-app', port: { name: 'grpc' } } } }] } }],
    });
  });

  test('with spec.tlsSecret: GRPCS (Quay serves TLS), the Secret served; the Certificate of an issuer covers the builder host', () => {
    const tls = render(model({ exposure: { type: 'Ingress' }, tlsSecret: 'registry-tls' }, builderConfig, PAIR));
    const builder = ingress(tls, 'example-registry-quay-builder');
    expect(builder.metadata.annotations['nginx.ingress.kubernetes.io/backend-protocol']).toBe('GRPCS');
    expect(builder.spec.tls).toEqual([{ hosts: [BUILDER], secretName: 'registry-tls' }]);
    const issued = render(model({ exposure: { issuer: { name: 'letsencrypt' } } }, builderConfig));
    expect(issued.find((o) => o.kind === 'Certificate')!.spec).toEqual({
      secretName: 'example-registry-quay-ingress-tls',
      dnsNames: [HOST, BUILDER, 'example-registry-quay-config-editor-quay-enterprise.apps.example.com'],
      // An issuer without a kind is an Issuer in the registry's namespace.
      issuerRef: { name: 'letsencrypt', kind: 'Issuer', group: 'cert-manager.io' },
    });
  });
});

describe("the route component's annotation overrides", () => {
  const overrides = { components: [{ kind: 'route', managed: true, overrides: { annotations: { 'example.com/team': 'registry' } } }] };

  test('on every Ingress, beside the nginx defaults; one of the defaults can be overridden', () => {
    const objects = render(model({ exposure: { type: 'Ingress' }, components: [{ kind: 'route', managed: true, overrides: { annotations: { 'example.com/team': 'registry', 'nginx.ingress.kubernetes.io/proxy-body-size': '10g' } } }] }));
    expect(ingress(objects, 'example-registry-quay').metadata.annotations).toEqual({
      'example.com/team': 'registry',
      'nginx.ingress.kubernetes.io/proxy-body-size': '10g',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '1800',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '1800',
    });
  });

  test('on the Gateway routes', () => {
    const objects = render(model({ exposure: { gateway: { name: 'public' } }, ...overrides }));
    expect(objects.map((o) => [o.kind, o.metadata.name, o.metadata.annotations])).toEqual([
      ['HTTPRoute', 'example-registry-quay', { 'example.com/team': 'registry' }],
      ['HTTPRoute', 'example-registry-quay-config-editor', { 'example.com/team': 'registry' }],
    ]);
  });
});
