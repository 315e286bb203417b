// spec.tlsSecret: the certificate Quay serves from a kubernetes.io/tls Secret (tls.crt, tls.key), as
// cert-manager issues it, instead of ssl.cert/ssl.key in the config bundle.
import { buildModel } from '../../lib/model';
import { renderRegistry } from '../../lib/synth';
import { testBundle, testEnvironment, testModel, tlsSecretObject, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;
const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const CONFIG = `SERVER_HOSTNAME: ${HOST}\n`;
const PAIR = { 'tls.crt': tlsFixture('leaf-chain.crt'), 'tls.key': tlsFixture('leaf.key'), 'ca.crt': tlsFixture('ca.crt') };

function problemsFor(spec: Obj, tlsFiles: Record<string, string> | undefined, bundleFiles: Record<string, string> = { 'config.yaml': CONFIG }): string[] {
  const result = buildModel({
    registry: { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'example-registry', namespace: 'quay-enterprise' }, spec: { configBundleSecret: 'config-bundle-secret', ...spec } },
    bundle: testBundle(bundleFiles),
    ...(tlsFiles ? { tlsSecret: tlsSecretObject('registry-tls', tlsFiles) } : {}),
    environment: testEnvironment(),
  });
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('spec.tlsSecret: checked like the bundle pair', () => {
  test('a valid pair for the hostname: no problem, tls resolves unmanaged', () => {
    expect(problemsFor({ tlsSecret: 'registry-tls' }, PAIR)).toEqual([]);
    const model = testModel({ files: { 'config.yaml': CONFIG }, spec: { tlsSecret: 'registry-tls' }, tlsSecret: PAIR });
    expect(model.components.tls.managed).toBe(false);
    expect(model.certificate).toMatchObject({ secret: 'registry-tls', certKey: 'tls.crt', keyKey: 'tls.key' });
  });

  test.each([
    ['the Secret is missing', { tlsSecret: 'registry-tls' }, undefined, undefined, ['spec.tlsSecret: Secret `registry-tls` not found in namespace quay-enterprise']],
    [
      'not a tls Secret',
      { tlsSecret: 'registry-tls' },
      { 'ssl.cert': tlsFixture('leaf.crt') },
      undefined,
      ['spec.tlsSecret: Secret registry-tls: has no tls.crt and tls.key: name a kubernetes.io/tls Secret (as cert-manager writes them)'],
    ],
    [
      'the key of another certificate',
      { tlsSecret: 'registry-tls' },
      { 'tls.crt': tlsFixture('leaf.crt'), 'tls.key': tlsFixture('other.key') },
      undefined,
      ['spec.tlsSecret: Secret registry-tls: tls.key: does not match the certificate in tls.crt'],
    ],
    [
      'a certificate for other hosts',
      { tlsSecret: 'registry-tls' },
      { 'tls.crt': tlsFixture('ip.crt'), 'tls.key': tlsFixture('ip.key') },
      undefined,
      [
        `spec.tlsSecret: Secret registry-tls: tls.crt: provided certificate pair not valid for host '${HOST}': the certificate covers 192.0.2.10`,
      ],
    ],
    [
      'the bundle has ssl.cert and ssl.key too',
      { tlsSecret: 'registry-tls' },
      PAIR,
      { 'config.yaml': CONFIG, 'ssl.cert': tlsFixture('leaf.crt'), 'ssl.key': tlsFixture('leaf.key') },
      ['spec.tlsSecret: the config bundle has ssl.cert/ssl.key too: take the certificate from one place (remove them, or spec.tlsSecret)'],
    ],
    [
      'tls declared managed',
      { tlsSecret: 'registry-tls', components: [{ kind: 'tls', managed: true }] },
      PAIR,
      undefined,
      ["spec.tlsSecret: the tls component is managed (the route serves the cluster's certificate): set tls unmanaged to serve the certificate of spec.tlsSecret"],
    ],
  ])('refused: %s', (_, spec, tlsFiles, bundleFiles, expected) => {
    expect(problemsFor(spec, tlsFiles as Record<string, string> | undefined, bundleFiles as Record<string, string> | undefined)).toEqual(expected);
  });
});

describe('spec.tlsSecret: rendered by reference', () => {
  // Built in beforeAll, not while Jest collects the tests: an error then fails these tests rather
  // than the whole file (which mutation testing counts as a runtime error, not a detected fault).
  let objs: Obj[];
  let quayApp: Obj;
  const find = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === `example-registry-${name}`)!;
  beforeAll(() => {
    const model = testModel({ files: { 'config.yaml': CONFIG }, spec: { tlsSecret: 'registry-tls' }, tlsSecret: PAIR });
    objs = renderRegistry(model).objects as Obj[];
    validateAll(objs as never);
    quayApp = find('Deployment', 'quay-app').spec.template.spec;
  });

  test('the pair is copied to /conf/stack/ssl.cert and ssl.key at pod start, from the Secret mounted at /quay-tls', () => {
    expect(quayApp.volumes).toContainEqual({ name: 'tls-secret', secret: { secretName: 'registry-tls' } });
    expect(quayApp.initContainers[0].volumeMounts).toContainEqual({ name: 'tls-secret', mountPath: '/quay-tls', readOnly: true });
    const assembly = objs.find((o) => o.kind === 'ConfigMap' && /-quay-config-[0-9a-f]{10}$/.test(o.metadata.name))!;
    const spec = JSON.parse(assembly.data['spec.json']);
    expect(spec.copy).toEqual(expect.arrayContaining([['/quay-tls/tls.crt', '/conf/stack/ssl.cert'], ['/quay-tls/tls.key', '/conf/stack/ssl.key']]));
    expect(spec.managed.EXTERNAL_TLS_TERMINATION).toBe(false);
  });

  test('Quay serves it: the route passes TLS through, probes use HTTPS, Quay and Clair trust the certificate', () => {
    expect(find('Route', 'quay').spec.tls).toEqual({ termination: 'passthrough', insecureEdgeTerminationPolicy: 'Redirect' });
    expect(quayApp.containers[0].readinessProbe.httpGet.scheme).toBe('HTTPS');
    const ca = quayApp.volumes.find((v: Obj) => v.name === 'extra-ca-certs').projected.sources;
    expect(ca).toContainEqual({ secret: { name: 'registry-tls', items: [{ key: 'tls.crt', path: 'quay-registry.crt' }] } });
    const clairCerts = find('Deployment', 'clair-app').spec.template.spec.volumes.find((v: Obj) => v.name === 'certificates').projected.sources;
    expect(clairCerts).toContainEqual({ secret: { name: 'registry-tls', items: [{ key: 'tls.crt', path: 'ssl.cert' }] } });
  });

  test('no certificate or key in the render', () => {
    const text = JSON.stringify(objs);
    expect(text).not.toContain(Buffer.from(PAIR['tls.key']).toString('base64'));
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('BEGIN CERTIFICATE');
  });

  test('a renewal (cert-manager) changes the config hash of Quay and Clair pods: they roll and read the new pair', () => {
    const renewed = testModel({ files: { 'config.yaml': CONFIG }, spec: { tlsSecret: 'registry-tls' }, tlsSecret: { 'tls.crt': tlsFixture('leaf.crt'), 'tls.key': tlsFixture('leaf.key') } });
    const again = renderRegistry(renewed).objects as Obj[];
    const hash = (list: Obj[], name: string) => list.find((o) => o.kind === 'Deployment' && o.metadata.name === `example-registry-${name}`)!.spec.template.metadata.annotations['quay-operator/config-hash'];
    for (const d of ['quay-app', 'quay-mirror', 'clair-app']) expect([d, hash(again, d)]).not.toEqual([d, hash(objs, d)]);
  });
});
