// What quay-config-init and the pods mount, case by case (constructs/quay-volumes.ts): a certificate
// from spec.tlsSecret (copied where Quay reads it, trusted, its renewal rolling the pods), no bundle
// at all, a bundle without CAs, the order of extra CAs, the init container's sizing, the proxy list.
import { App, Chart } from 'cdk8s';
import { Quay } from '../../constructs/quay';
import { proxyEnv, quayConfigAnnotations, quayConfigVolumes, tlsSecretSource } from '../../constructs/quay-volumes';
import type { RegistryModel } from '../../lib/model';
import { S3_STORAGE_CONFIG, TestModelOptions, ingressTerminatedModel, testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const SERVICE_CA = { configMap: { name: 'example-registry-cluster-service-ca', items: [{ key: 'service-ca.crt', path: 'service-ca.crt' }], optional: true } };
const TRUSTED_CA = { configMap: { name: 'example-registry-cluster-trusted-ca', items: [{ key: 'ca-bundle.crt', path: 'ca-bundle.crt' }], optional: true } };

function render(model: RegistryModel): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new Quay(chart, 'quay', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}
const podSpec = (objs: Obj[]) => (objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-quay-app') as Obj).spec.template.spec;
const volume = (objs: Obj[], name: string) => podSpec(objs).volumes.find((v: Obj) => v.name === name);
const init = (objs: Obj[]) => podSpec(objs).initContainers[0];
const specJson = (objs: Obj[]) => {
  const cm = objs.find((o) => o.kind === 'ConfigMap' && /^example-registry-quay-config-[0-9a-f]{10}$/.test(o.metadata.name)) as Obj;
  return JSON.parse(cm.data['spec.json']);
};

/** Quay serving the certificate of spec.tlsSecret (tls unmanaged), a bundle with config.yaml only. */
function tlsSecretModel(cert = tlsFixture('leaf.crt'), key = tlsFixture('leaf.key'), options: TestModelOptions = {}): RegistryModel {
  return testModel({
    ...options,
    files: { 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n` },
    spec: { tlsSecret: 'registry-tls', components: [{ kind: 'tls', managed: false }] },
    tlsSecret: { 'tls.crt': cert, 'tls.key': key },
  });
}

describe('a certificate from spec.tlsSecret', () => {
  const model = tlsSecretModel();
  const objs = render(model);

  test('is that Secret, not the bundle', () => {
    expect(tlsSecretSource(model)?.secret).toBe('registry-tls');
  });

  test('mounted for quay-config-init, which copies the pair where Quay reads ssl.cert and ssl.key', () => {
    expect(volume(objs, 'tls-secret')).toEqual({ name: 'tls-secret', secret: { secretName: 'registry-tls' } });
    expect(init(objs).volumeMounts).toEqual([
      { name: 'config', mountPath: '/conf/stack' },
      { name: 'config-assembly', mountPath: '/quay-config-assembly', readOnly: true },
      { name: 'config-bundle', mountPath: '/quay-bundle', readOnly: true },
      { name: 'tls-secret', mountPath: '/quay-tls', readOnly: true },
    ]);
    expect(specJson(objs).copy).toEqual([
      ['/quay-tls/tls.crt', '/conf/stack/ssl.cert'],
      ['/quay-tls/tls.key', '/conf/stack/ssl.key'],
    ]);
  });

  test('trusted by Quay: its certificate only (never the key), besides the cluster CAs', () => {
    expect(volume(objs, 'extra-ca-certs')).toEqual({
      name: 'extra-ca-certs',
      projected: { sources: [{ secret: { name: 'registry-tls', items: [{ key: 'tls.crt', path: 'quay-registry.crt' }] } }, SERVICE_CA, TRUSTED_CA] },
    });
  });

  test('a renewed certificate rolls the pods (the config hash), the same one does not', () => {
    const hash = quayConfigAnnotations(model);
    expect(quayConfigAnnotations(tlsSecretModel())).toEqual(hash);
    expect(quayConfigAnnotations(tlsSecretModel(tlsFixture('wildcard.crt'), tlsFixture('wildcard.key')))).not.toEqual(hash);
    expect(quayConfigAnnotations(tlsSecretModel(tlsFixture('leaf.crt'), tlsFixture('leaf.key')))).toEqual(hash);
  });
});


describe('no config bundle (OpenShift)', () => {
  const objs = render(testModel());

  test('no bundle volume or mount, nothing to copy, no user config.yaml', () => {
    expect(podSpec(objs).volumes.map((v: Obj) => v.name)).toEqual(['config', 'config-assembly', 'extra-ca-certs', 'postgres-certs', 'postgres-certs-store']);
    expect(init(objs).volumeMounts).toEqual([
      { name: 'config', mountPath: '/conf/stack' },
      { name: 'config-assembly', mountPath: '/quay-config-assembly', readOnly: true },
    ]);
    expect(specJson(objs).copy).toEqual([]);
    expect(specJson(objs)).not.toHaveProperty('user');
  });

  test('only the cluster CAs are trusted', () => {
    expect(volume(objs, 'extra-ca-certs')).toEqual({ name: 'extra-ca-certs', projected: { sources: [SERVICE_CA, TRUSTED_CA] } });
  });
});

describe('extra CAs of the bundle', () => {
  test('none, and no certificate of Quay\'s: a CA volume without sources (no empty list for the API server to drop)', () => {
    expect(volume(render(ingressTerminatedModel()), 'extra-ca-certs')).toEqual({ name: 'extra-ca-certs', projected: {} });
  });

  test('projected in name order whatever order the bundle lists them; a key that is only the prefix is no CA', () => {
    const model = ingressTerminatedModel({ 'extra_ca_cert_b.crt': 'B', extra_ca_cert_: 'X', 'extra_ca_cert_a.crt': 'A' });
    expect(quayConfigVolumes(model).find((v) => v.name === 'extra-ca-certs')).toEqual({
      name: 'extra-ca-certs',
      projected: {
        sources: [
          {
            secret: {
              name: 'config-bundle-secret',
              items: [
                { key: 'extra_ca_cert_a.crt', path: 'a.crt' },
                { key: 'extra_ca_cert_b.crt', path: 'b.crt' },
              ],
            },
          },
        ],
      },
    });
  });

  test('bundle files (config.yaml aside: the assembly reads it) are copied in name order, so the same bundle listed differently renders the same', () => {
    const copy = (files: Record<string, string>) => specJson(render(ingressTerminatedModel(files))).copy;
    expect(copy({ 'ldap.crt': 'L', 'db.pem': 'D' })).toEqual([
      ['/quay-bundle/db.pem', '/conf/stack/db.pem'],
      ['/quay-bundle/ldap.crt', '/conf/stack/ldap.crt'],
    ]);
    expect(copy({ 'db.pem': 'D', 'ldap.crt': 'L' })).toEqual(copy({ 'ldap.crt': 'L', 'db.pem': 'D' }));
  });
});

describe('quay-config-init', () => {
  test('sized for a Python script, a memory limit and no CPU limit', () => {
    expect(init(render(testModel())).resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
  });

  test('every credential in your config.yaml (databases, Redis, storage and Clair yours): no env key at all, not an empty list', () => {
    const config = [
      'DB_URI: postgresql://quay:pw@db.example.com/quay',
      'SECRET_KEY: s1',
      'DATABASE_SECRET_KEY: s2',
      'BUILDLOGS_REDIS: {host: redis.example.com, port: 6379}',
      'USER_EVENTS_REDIS: {host: redis.example.com, port: 6379}',
      S3_STORAGE_CONFIG,
    ].join('\n');
    const external = ['postgres', 'redis', 'objectstorage', 'clair', 'clairpostgres'].map((kind) => ({ kind, managed: false }));
    expect(Object.keys(init(render(testModel({ files: { 'config.yaml': config }, spec: { components: external } }))))).not.toContain('env');
  });
});

describe('the proxy', () => {
  test("NO_PROXY: the cluster's list trimmed, empty entries dropped, repeats once, then the registry's own", () => {
    const model = testModel({ environment: { proxy: { httpsProxy: 'http://proxy:3129', noProxy: ' a.example.com , ,b.example.com,a.example.com,' } } });
    expect(proxyEnv(model)).toEqual([
      { name: 'HTTPS_PROXY', value: 'http://proxy:3129' },
      { name: 'NO_PROXY', value: `a.example.com,b.example.com,${HOST},localhost,127.0.0.1,.svc,.cluster.local` },
    ]);
  });

  test("a managed Clair behind its own endpoint (geo-replication's global one) skips the proxy too; the Service's or an unmanaged Clair's does not need to", () => {
    const proxy = { httpProxy: 'http://proxy:3128' };
    const noProxy = (files: Record<string, string> | undefined, spec: Record<string, unknown> = {}) =>
      proxyEnv(testModel({ environment: { proxy }, ...(files ? { files } : {}), spec })).find((e) => e.name === 'NO_PROXY')?.value;
    const global = { 'config.yaml': 'SECURITY_SCANNER_V4_ENDPOINT: https://clair.global.example.com/\n' };
    expect(noProxy(global)).toBe(`${HOST},clair.global.example.com,localhost,127.0.0.1,.svc,.cluster.local`);
    expect(noProxy(undefined)).toBe(`${HOST},localhost,127.0.0.1,.svc,.cluster.local`);
    expect(noProxy(global, { components: [{ kind: 'clair', managed: false }] })).toBe(`${HOST},localhost,127.0.0.1,.svc,.cluster.local`);
  });

  test('no proxy: no variables, even with a NO_PROXY list', () => {
    expect(proxyEnv(testModel({ environment: { proxy: { noProxy: 'a.example.com' } } }))).toEqual([]);
  });
});
