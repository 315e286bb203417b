// spec.exposure on Kubernetes without Routes: Ingress or Gateway API routes, for each row of the
// seeds' TLS × route table, rendered, schema-validated, snapshotted, and accepted by the fake API
// server as the operator applies them (twice: the second a no-op).
import { KubeClient } from '../../lib/controller/kube-client';
import { resourceType } from '../../lib/controller/resources';
import { quayConfig } from '../../lib/config/quay-config';
import { buildModel } from '../../lib/model';
import { renderRegistry } from '../../lib/synth';
import { toYamlStream } from '../../lib/yaml';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { testBundle, testEnvironment, testModel, tlsSecretObject, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;
const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const PAIR = { 'tls.crt': tlsFixture('leaf-chain.crt'), 'tls.key': tlsFixture('leaf.key') };
const STORAGE = [
  'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, s3_access_key: a, s3_secret_key: b, storage_path: /registry}]}',
  'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
  'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: []',
].join('\n');
const FILES = { 'config.yaml': STORAGE };
const EXPOSED = ['Route', 'Ingress', 'HTTPRoute', 'TLSRoute', 'Certificate'];

function render(spec: Obj, options: { files?: Record<string, string>; tlsSecret?: Record<string, string> } = {}): Obj[] {
  const model = testModel({ platform: 'kubernetes', files: options.files ?? FILES, spec, ...(options.tlsSecret ? { tlsSecret: options.tlsSecret } : {}) });
  return renderRegistry(model).objects as Obj[];
}
const exposed = (objects: Obj[]) => objects.filter((o) => EXPOSED.includes(o.kind));
const names = (objects: Obj[]) => exposed(objects).map((o) => `${o.kind}/${o.metadata.name}`);

function problems(spec: Obj, files: Record<string, string> = FILES, tlsFiles?: Record<string, string>, capabilities?: Obj): string[] {
  const env = testEnvironment('kubernetes');
  const result = buildModel({
    registry: { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'example-registry', namespace: 'quay-enterprise' }, spec: { configBundleSecret: 'config-bundle-secret', ...spec } },
    bundle: testBundle(files),
    ...(tlsFiles ? { tlsSecret: tlsSecretObject('registry-tls', tlsFiles) } : {}),
    environment: { ...env, capabilities: { ...env.capabilities, ...capabilities } },
  });
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

// The table's rows (README "Exposure outside OpenShift"), each: spec, render options, objects, what they say.
const SCENARIOS: Record<string, { spec: Obj; files?: Record<string, string>; tlsSecret?: Record<string, string> }> = {
  'Ingress, tls managed (controller default certificate)': { spec: { exposure: { type: 'Ingress', ingressClassName: 'nginx' } } },
  'Ingress, tls managed with a cert-manager issuer': { spec: { exposure: { issuer: { name: 'letsencrypt', kind: 'ClusterIssuer' } } } },
  'Ingress, tls unmanaged with spec.tlsSecret (re-encrypt to Quay)': { spec: { exposure: { type: 'Ingress' }, tlsSecret: 'registry-tls' }, tlsSecret: PAIR },
  'Gateway, tls managed (HTTPRoute on the listener)': { spec: { exposure: { gateway: { name: 'public', namespace: 'gateways', sectionName: 'https' } } } },
  'Gateway, tls unmanaged with your certificate (TLSRoute passthrough)': {
    spec: { exposure: { type: 'Gateway', gateway: { name: 'public', namespace: 'gateways', sectionName: 'tls' } }, tlsSecret: 'registry-tls' },
    tlsSecret: PAIR,
    files: { 'config.yaml': `${STORAGE}\nBUILDMAN_HOSTNAME: example-registry-quay-builder-quay-enterprise.apps.example.com` },
  },
};
const rendered = Object.fromEntries(Object.entries(SCENARIOS).map(([k, s]) => [k, render(s.spec, s)]));

describe('exposure outside OpenShift: what each TLS × exposure row renders', () => {
  test.each(Object.keys(SCENARIOS))('%s: schema-valid, snapshot', (name) => {
    validateAll(rendered[name]);
    expect(toYamlStream(exposed(rendered[name]))).toMatchSnapshot();
  });

  test('Ingress with tls managed: edge to Quay\'s http port, TLS with the controller\'s default certificate, class and editor host', () => {
    const objects = rendered['Ingress, tls managed (controller default certificate)'];
    expect(names(objects)).toEqual(['Ingress/example-registry-quay', 'Ingress/example-registry-quay-config-editor']);
    const [quay] = exposed(objects);
    expect(quay.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: [HOST] }],
      rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'example-registry-quay-app', port: { name: 'http' } } } }] } }],
    });
    expect(quay.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('0');
    expect(quay.metadata.labels).toMatchObject({ 'quay-component': 'quay-app-route', 'quay-operator/quayregistry': 'example-registry' });
    expect(exposed(objects)[1].spec.rules[0].host).toBe('example-registry-quay-config-editor-quay-enterprise.apps.example.com');
  });

  test('an issuer adds a Certificate for every exposed host, and the Ingresses serve its Secret', () => {
    const objects = rendered['Ingress, tls managed with a cert-manager issuer'];
    const cert = objects.find((o) => o.kind === 'Certificate')!;
    expect(cert.metadata.name).toBe('example-registry-quay-ingress-tls');
    expect(cert.spec).toEqual({
      secretName: 'example-registry-quay-ingress-tls',
      dnsNames: [HOST, 'example-registry-quay-config-editor-quay-enterprise.apps.example.com'],
      issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
    for (const ing of objects.filter((o) => o.kind === 'Ingress')) expect(ing.spec.tls[0].secretName).toBe('example-registry-quay-ingress-tls');
  });

  test('spec.tlsSecret with an Ingress: the Ingress serves that Secret and re-encrypts to Quay\'s https port; the editor keeps the default certificate', () => {
    const objects = rendered['Ingress, tls unmanaged with spec.tlsSecret (re-encrypt to Quay)'];
    const [quay, editor] = exposed(objects);
    expect(quay.spec.tls).toEqual([{ hosts: [HOST], secretName: 'registry-tls' }]);
    expect(quay.spec.rules[0].http.paths[0].backend.service.port).toEqual({ name: 'https' });
    expect(quay.metadata.annotations['nginx.ingress.kubernetes.io/backend-protocol']).toBe('HTTPS');
    expect(editor.spec.tls).toEqual([{ hosts: ['example-registry-quay-config-editor-quay-enterprise.apps.example.com'] }]);
  });

  test('Gateway, edge: an HTTPRoute to port 80 on the named listener; no builder route (GRPCRoute)', () => {
    const objects = rendered['Gateway, tls managed (HTTPRoute on the listener)'];
    expect(names(objects)).toEqual(['HTTPRoute/example-registry-quay', 'HTTPRoute/example-registry-quay-config-editor']);
    expect(exposed(objects)[0].spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways', sectionName: 'https' }],
      hostnames: [HOST],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ group: '', kind: 'Service', name: 'example-registry-quay-app', port: 80, weight: 1 }] }],
    });
  });

  test('Gateway with your certificate: TLSRoutes passing TLS through to 443 and the builder\'s 55443; no editor route on a passthrough listener', () => {
    const objects = rendered['Gateway, tls unmanaged with your certificate (TLSRoute passthrough)'];
    expect(names(objects)).toEqual(['TLSRoute/example-registry-quay', 'TLSRoute/example-registry-quay-builder']);
    expect(exposed(objects).map((o) => o.spec.rules[0].backendRefs[0].port)).toEqual([443, 55443]);
  });

  test('Quay\'s config is filled as the Route fills it: SERVER_HOSTNAME, https, and who terminates TLS', () => {
    const config = (spec: Obj, opts: Obj = {}) => {
      const model = testModel({ platform: 'kubernetes', files: opts.files ?? FILES, spec, ...(opts.tlsSecret ? { tlsSecret: opts.tlsSecret } : {}) });
      const c = quayConfig(model) as Obj;
      return [c.SERVER_HOSTNAME, c.PREFERRED_URL_SCHEME, c.EXTERNAL_TLS_TERMINATION];
    };
    expect(config({ exposure: { type: 'Ingress' } })).toEqual([HOST, 'https', true]);
    expect(config({ exposure: { type: 'Ingress' }, tlsSecret: 'registry-tls' }, { tlsSecret: PAIR })).toEqual([HOST, 'https', false]);
    expect(config({ exposure: { gateway: { name: 'g' } }, tlsSecret: 'registry-tls' }, { tlsSecret: PAIR })).toEqual([HOST, 'https', false]);
  });
});

describe('exposure: refusals name the field', () => {
  test.each([
    ['a bad type', { exposure: { type: 'LoadBalancer' } }, ['spec.exposure.type: "LoadBalancer" is not one of Route, Ingress, Gateway']],
    ['Gateway without a gateway', { exposure: { type: 'Gateway' } }, ['spec.exposure.gateway: is required with type Gateway: name the Gateway the routes attach to']],
    ['an unknown field', { exposure: { host: 'x' } }, ['spec.exposure.host: unknown field; exposure has type, ingressClassName, gateway and issuer']],
    ['a bad class name', { exposure: { ingressClassName: 'Nginx!' } }, ['spec.exposure.ingressClassName: "Nginx!" is not a valid IngressClass name']],
    ['a gateway without a name', { exposure: { gateway: { namespace: 'x' } } }, ['spec.exposure.gateway.name: is required']],
    ['an issuer of another kind', { exposure: { issuer: { name: 'x', kind: 'Vault' } } }, ['spec.exposure.issuer.kind: "Vault" is not Issuer or ClusterIssuer']],
    ['a class with a Gateway', { exposure: { type: 'Gateway', gateway: { name: 'g' }, ingressClassName: 'nginx' } }, ['spec.exposure.ingressClassName: applies only to type Ingress']],
    ['an issuer with a Gateway', { exposure: { gateway: { name: 'g' }, issuer: { name: 'le' } } }, ["spec.exposure.issuer: applies to type Ingress only; with Gateway the certificate is the Gateway listener's"]],
    ['exposure with route unmanaged', { exposure: { type: 'Ingress' }, components: [{ kind: 'route', managed: false }] }, ['spec.exposure: the route component is unmanaged: remove spec.exposure, or set route managed']],
  ])('%s', (_name, spec, expected) => {
    expect(problems(spec).filter((p) => p.startsWith('spec.exposure'))).toEqual(expected);
  });

  test('an Ingress cannot pass through the bundle\'s ssl.cert: name a kubernetes.io/tls Secret instead', () => {
    const files = { ...FILES, 'config.yaml': `${STORAGE}\nSERVER_HOSTNAME: ${HOST}`, 'ssl.cert': tlsFixture('leaf.crt'), 'ssl.key': tlsFixture('leaf.key') };
    expect(problems({ exposure: { type: 'Ingress' } }, files)).toEqual([
      'spec.exposure: an Ingress cannot pass TLS through to Quay and reads its certificate from a kubernetes.io/tls Secret: move ssl.cert/ssl.key into one and name it in spec.tlsSecret, or use type Gateway (TLSRoute passthrough)',
    ]);
    expect(problems({ exposure: { gateway: { name: 'g' } } }, files)).toEqual([]);
  });

  test('a Gateway passthrough needs TLSRoutes served', () => {
    expect(problems({ exposure: { gateway: { name: 'g' } }, tlsSecret: 'registry-tls' }, FILES, PAIR, { tlsRoutes: false })).toEqual([
      'spec.exposure: Gateway API TLSRoute not available (gateway.networking.k8s.io/v1 tlsroutes), needed to pass TLS through to Quay',
    ]);
  });
});

describe('exposure objects: applied by the operator ServiceAccount into a new cluster, twice (the second a no-op)', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  beforeEach(async () => {
    server = await FakeApiServer.start();
    client = new KubeClient(installOperator(server));
    server.createNamespace('quay-enterprise');
  });
  afterEach(() => server.stop());

  test.each(Object.keys(SCENARIOS))('%s', async (name) => {
    const objects = exposed(rendered[name]);
    for (const o of objects) await client.apply(resourceType(o.apiVersion, o.kind), o as never);
    server.advanceClock(1);
    const before = server.resourceVersion;
    for (const o of objects) await client.apply(resourceType(o.apiVersion, o.kind), o as never);
    expect(server.resourceVersion).toBe(before);
  });
});
