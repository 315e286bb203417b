import { App, Chart } from 'cdk8s';
import * as yaml from 'js-yaml';
import { Clair, clairConfigMapName } from '../../constructs/clair';
import { ClairPostgres } from '../../constructs/clair-postgres';
import { clairBaseConfig, clairConfig } from '../../lib/config/clair-config';
import { quayConfig } from '../../lib/config/quay-config';
import type { RegistryModel } from '../../lib/model';
import { renderCredentials } from '../../lib/synth';
import { TestModelOptions, testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

function render(model: RegistryModel, withDatabase = false): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new Clair(chart, 'clair', { model });
  if (withDatabase) new ClairPostgres(chart, 'clair-postgres', { model });
  const credentials = withDatabase ? renderCredentials(model).filter((o) => o.metadata.name === 'example-registry-clairpostgres-config-secret') : [];
  const objs = [...chart.toJson(), ...credentials];
  validateAll(objs);
  return objs;
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered; got ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

const NAME = 'example-registry-clair-app';
const CONFIG_MAP_PATTERN = /^example-registry-clair-config-[0-9a-f]{10}$/;
const decode = (secret: Obj, key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');
const configMapOf = (objs: Obj[]) => {
  const s = objs.filter((o) => o.kind === 'ConfigMap' && CONFIG_MAP_PATTERN.test(o.metadata.name));
  expect(s).toHaveLength(1);
  return s[0];
};
/** The root config.yaml the ConfigMap holds (no credential). */
const rootOf = (objs: Obj[]) => yaml.load(configMapOf(objs).data['config.yaml']) as Obj;
const deploymentOf = (objs: Obj[]) => find(objs, 'Deployment', NAME);
const podOf = (objs: Obj[]) => deploymentOf(objs).spec.template.spec;
const containerOf = (objs: Obj[]) => podOf(objs).containers[0];
const volume = (objs: Obj[], name: string) => podOf(objs).volumes.find((v: Obj) => v.name === name);
const mount = (objs: Obj[], name: string) => containerOf(objs).volumeMounts.find((m: Obj) => m.name === name);
const withClair = (overrides: Obj, files?: Record<string, string>): TestModelOptions => ({
  ...(files ? { files } : {}),
  spec: { components: [{ kind: 'clair', managed: true, overrides }] },
});

function kubernetesModel(): RegistryModel {
  return testModel({
    platform: 'kubernetes',
    appsDomain: null,
    objectBucket: null,
    files: {
      'config.yaml': [
        'SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com',
        'DISTRIBUTED_STORAGE_CONFIG: {default: [LocalStorage, {storage_path: /data}]}',
        'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
        'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [default]',
      ].join('\n'),
      'ssl.cert': tlsFixture('leaf.crt'),
      'ssl.key': tlsFixture('leaf.key'),
    },
  });
}

describe('Clair', () => {
  const model = testModel();
  const objs = render(model);
  const selector = { 'quay-component': 'clair-app', 'quay-operator/quayregistry': 'example-registry' };

  it('renders a hashed config ConfigMap, a ServiceAccount, a Service and a Deployment, labelled clair-app; no Secret', () => {
    const name = configMapOf(objs).metadata.name;
    expect(name).toBe(clairConfigMapName(model));
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([`ConfigMap/${name}`, `Deployment/${NAME}`, `Service/${NAME}`, `ServiceAccount/${NAME}`]);
    for (const o of objs) expect(o.metadata.labels).toEqual(selector);
  });

  it('serves the API on 80 and introspection on 8089', () => {
    const service = find(objs, 'Service', NAME);
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.selector).toEqual(selector);
    expect(service.spec.ports).toEqual([
      { name: 'clair-http', protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: 'clair-introspection', protocol: 'TCP', port: 8089, targetPort: 8089 },
    ]);
    expect(deploymentOf(objs).spec.selector.matchLabels).toEqual(selector);
    expect(deploymentOf(objs).spec.template.metadata.labels).toEqual(selector);
  });

  describe('config', () => {
    it('the ConfigMap holds the root config.yaml (no PSK, no password); /clair projects it with the PSK drop-in', () => {
      expect(rootOf(objs)).toEqual(clairBaseConfig(model));
      expect(Object.keys(configMapOf(objs).data)).toEqual(['config.yaml']);
      expect(JSON.stringify(objs)).not.toContain(model.keys.SECURITY_SCANNER_V4_PSK);
      expect(JSON.stringify(objs)).not.toContain(model.keys.CLAIR_DB_PASSWORD);
      expect(volume(objs, 'config').projected.sources).toEqual([
        { configMap: { name: configMapOf(objs).metadata.name, items: [{ key: 'config.yaml', path: 'config.yaml' }] } },
        { secret: { name: 'example-registry-clair-auth', items: [{ key: 'auth.yaml', path: 'config.yaml.d/10-auth.yaml' }] } },
      ]);
    });

    it("shares Quay's PSK (the drop-in `keys` renders)", () => {
      const auth = renderCredentials(model).find((o) => o.metadata.name === 'example-registry-clair-auth') as Obj;
      expect(yaml.load(decode(auth, 'auth.yaml'))).toEqual({ auth: { psk: { iss: ['quay', 'clairctl'], key: quayConfig(model).SECURITY_SCANNER_V4_PSK } } });
      expect(clairConfig(model).auth).toEqual({ psk: { iss: ['quay', 'clairctl'], key: model.keys.SECURITY_SCANNER_V4_PSK } });
    });

    it("logs in to the managed Clair database with PG* variables from that database's Secret", () => {
      const both = render(model, true);
      const db = find(both, 'Secret', 'example-registry-clairpostgres-config-secret');
      expect(rootOf(both).indexer.connstring).toBe('host=example-registry-clair-postgres port=5432 sslmode=disable pool_max_conns=33');
      const env = Object.fromEntries((containerOf(both).env as Obj[]).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
      expect(env.PGUSER).toEqual({ name: db.metadata.name, key: 'database-username' });
      expect(env.PGPASSWORD).toEqual({ name: db.metadata.name, key: 'database-password' });
      expect(env.PGDATABASE).toEqual({ name: db.metadata.name, key: 'database-name' });
    });

    it('restarts when the keys change (the controller knows them), not for a GitOps render', () => {
      const hash = (objs2: Obj[]) => deploymentOf(objs2).spec.template.metadata.annotations['quay-operator/config-hash'];
      const rotated = { ...model, keys: { ...model.keys, SECURITY_SCANNER_V4_PSK: Buffer.from('another-psk-another-psk-another!').toString('base64') } };
      expect(hash(render(rotated))).not.toBe(hash(objs));
      expect(hash(render({ ...rotated, keysKnown: false }))).toBe(hash(render({ ...model, keysKnown: false })));
    });

    it("keeps everything when only Quay's config.yaml changes", () => {
      const a = render(testModel({ files: { 'config.yaml': 'REGISTRY_TITLE: One\n' } }));
      const b = render(testModel({ files: { 'config.yaml': 'REGISTRY_TITLE: Two\n' } }));
      expect(JSON.stringify(b)).toEqual(JSON.stringify(a));
    });

    it("the user's clair-config.yaml is a drop-in from the bundle Secret; airgap adds one that disables the updaters", () => {
      const m = testModel({ files: { 'config.yaml': '', 'clair-config.yaml': 'log_level: debug\nindexer:\n  airgap: true\n' } });
      const o = render(m);
      const config = clairConfig(m);
      expect(config.log_level).toBe('debug');
      expect((config.indexer as Obj).airgap).toBe(true);
      expect((config.matcher as Obj).disable_updaters).toBe(true);
      expect(yaml.load(configMapOf(o).data['90-airgap.yaml'])).toEqual({ matcher: { disable_updaters: true } });
      expect(volume(o, 'config').projected.sources).toContainEqual({ secret: { name: 'config-bundle-secret', items: [{ key: 'clair-config.yaml', path: 'config.yaml.d/50-user.yaml' }] } });
      expect(volume(o, 'config').projected.sources[0].configMap.items).toContainEqual({ key: '90-airgap.yaml', path: 'config.yaml.d/90-airgap.yaml' });
      expect(JSON.stringify(o)).not.toContain('log_level: debug');
      expect((clairConfig(testModel()).matcher as Obj).disable_updaters).toBeUndefined();
    });

    it("uses the user's connstrings when clairpostgres is unmanaged, and no PG* variables", () => {
      const conn = 'host=db.example.com port=5432 dbname=clair user=clair password=secret sslmode=verify-full';
      const m = testModel({
        files: { 'config.yaml': '', 'clair-config.yaml': yaml.dump({ indexer: { connstring: conn }, matcher: { connstring: conn }, notifier: { connstring: conn } }) },
        spec: { components: [{ kind: 'clairpostgres', managed: false }] },
      });
      for (const section of ['indexer', 'matcher', 'notifier']) expect((clairConfig(m)[section] as Obj).connstring).toBe(conn);
      const o = render(m);
      expect(rootOf(o).indexer.connstring).toBeUndefined();
      expect((containerOf(o).env as Obj[]).map((e) => e.name)).not.toContain('PGPASSWORD');
      expect(JSON.stringify(o)).not.toContain('password=secret');
    });

    it("projects the bundle's certificates and Clair's TLS pair from the bundle Secret, never Quay's key", () => {
      const files = {
        'config.yaml': '',
        'extra_ca_cert_rds-ca-2019-root.pem': tlsFixture('ca.crt'),
        'clair-ssl.crt': tlsFixture('wildcard.crt'),
        'clair-ssl.key': tlsFixture('wildcard.key'),
        'ssl.cert': tlsFixture('leaf.crt'),
        'ssl.key': tlsFixture('leaf.key'),
      };
      const o = render(testModel({ files }));
      // /clair: config.yaml next to Clair's own certificate and key.
      expect(volume(o, 'config').projected.sources[2]).toEqual({
        secret: { name: 'config-bundle-secret', items: [{ key: 'clair-ssl.crt', path: 'clair-ssl.crt' }, { key: 'clair-ssl.key', path: 'clair-ssl.key' }] },
      });
      // /var/run/certs (in the image's SSL_CERT_DIR): the extra CA under its own name, as upstream.
      expect(volume(o, 'certificates').projected.sources[0]).toEqual({
        secret: {
          name: 'config-bundle-secret',
          items: [
            { key: 'extra_ca_cert_rds-ca-2019-root.pem', path: 'rds-ca-2019-root.pem' },
            { key: 'ssl.cert', path: 'ssl.cert' },
          ],
        },
      });
      expect(JSON.stringify(o)).not.toContain('PRIVATE KEY');
    });

    it('restarts when an extra CA changes (the config hash)', () => {
      const hash = (objs2: Obj[]) => deploymentOf(objs2).spec.template.metadata.annotations['quay-operator/config-hash'];
      const a = render(testModel({ files: { 'config.yaml': '', 'extra_ca_cert_corp.pem': tlsFixture('ca.crt') } }));
      const b = render(testModel({ files: { 'config.yaml': '', 'extra_ca_cert_corp.pem': tlsFixture('wildcard.crt') } }));
      expect(hash(a)).not.toBe(hash(b));
    });
  });

  describe('Deployment', () => {
    it('runs clair-app in combo mode with its config from /clair', () => {
      const c = containerOf(objs);
      expect(c.name).toBe('clair-app');
      expect(c.image).toBe(model.environment.images.clair);
      expect((c.env as Obj[]).map((e) => e.name)).toEqual(['CLAIR_CONF', 'CLAIR_MODE', 'PGUSER', 'PGPASSWORD', 'PGDATABASE']);
      expect(c.env.slice(0, 2)).toEqual([
        { name: 'CLAIR_CONF', value: '/clair/config.yaml' },
        { name: 'CLAIR_MODE', value: 'combo' },
      ]);
      expect(c.ports).toEqual([
        { name: 'clair-http', containerPort: 8080, protocol: 'TCP' },
        { name: 'clair-intro', containerPort: 8089, protocol: 'TCP' },
      ]);
      expect(c.resources).toEqual({ requests: { cpu: '2000m', memory: '2Gi' }, limits: { cpu: '4000m', memory: '16Gi' } });
      expect(podOf(objs).serviceAccountName).toBe(NAME);
      expect(podOf(objs).automountServiceAccountToken).toBe(false);
    });

    it('probes as upstream: long startup for migrations, readiness on the API, liveness on /healthz', () => {
      const c = containerOf(objs);
      expect(c.startupProbe).toEqual({ tcpSocket: { port: 'clair-intro' }, periodSeconds: 10, failureThreshold: 300 });
      expect(c.readinessProbe.tcpSocket).toEqual({ port: 'clair-http' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'clair-intro', scheme: 'HTTP' });
    });

    it('mounts config, certificates, the cluster CA bundle and the layer scratch volume', () => {
      expect(mount(objs, 'config')).toEqual({ name: 'config', mountPath: '/clair', readOnly: true });
      expect(mount(objs, 'certificates')).toEqual({ name: 'certificates', mountPath: '/var/run/certs', readOnly: true });
      expect(volume(objs, 'certificates').projected.sources).toEqual([{ configMap: { name: 'example-registry-cluster-service-ca', optional: true } }]);
      expect(mount(objs, 'cluster-trusted-ca')).toEqual({ name: 'cluster-trusted-ca', mountPath: '/etc/pki/ca-trust/extracted/pem', readOnly: true });
      expect(volume(objs, 'cluster-trusted-ca').configMap).toEqual({
        name: 'example-registry-cluster-trusted-ca',
        items: [{ key: 'ca-bundle.crt', path: 'tls-ca-bundle.pem' }],
        optional: true,
      });
      expect(mount(objs, 'indexer-layer-storage')).toEqual({ name: 'indexer-layer-storage', mountPath: '/var/tmp' });
      expect(volume(objs, 'indexer-layer-storage').ephemeral.volumeClaimTemplate.spec).toEqual({
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '20Gi' } },
      });
    });

    it('leaves replicas to the HPA while it is managed, and spreads pods across nodes', () => {
      expect(deploymentOf(objs).spec.replicas).toBeUndefined();
      expect(podOf(objs).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions).toContainEqual({
        key: 'quay-component',
        operator: 'In',
        values: ['clair-app'],
      });
    });

    it('runs 2 replicas without the HPA, or what the override says', () => {
      const noHpa = { kind: 'horizontalpodautoscaler', managed: false };
      expect(deploymentOf(render(testModel({ spec: { components: [noHpa] } }))).spec.replicas).toBe(2);
      expect(deploymentOf(render(testModel({ spec: { components: [noHpa, { kind: 'clair', managed: true, overrides: { replicas: 3 } }] } }))).spec.replicas).toBe(3);
    });

    it("passes the operator's proxy on, with Quay's hostname exempt", () => {
      const o = render({ ...model, environment: { ...model.environment, proxy: { httpProxy: 'http://proxy:3128', httpsProxy: 'http://proxy:3128', noProxy: '.cluster.local, 10.0.0.0/8' } } });
      expect(containerOf(o).env.slice(5)).toEqual([
        { name: 'HTTP_PROXY', value: 'http://proxy:3128' },
        { name: 'HTTPS_PROXY', value: 'http://proxy:3128' },
        { name: 'NO_PROXY', value: 'example-registry-quay-quay-enterprise.apps.example.com,.cluster.local,10.0.0.0/8' },
      ]);
    });

    it('uses the operator-configured image', () => {
      const images = { ...model.environment.images, clair: 'quay.io/projectquay/clair:4.9.1' };
      expect(containerOf(render({ ...model, environment: { ...model.environment, images } })).image).toBe('quay.io/projectquay/clair:4.9.1');
    });
  });

  describe('overrides', () => {
    it('volumeSize sizes the layer scratch volume', () => {
      const o = render(testModel(withClair({ volumeSize: '100Gi' })));
      expect(volume(o, 'indexer-layer-storage').ephemeral.volumeClaimTemplate.spec.resources.requests.storage).toBe('100Gi');
    });

    it('env replaces defaults and adds variables', () => {
      const o = render(testModel(withClair({ env: [{ name: 'CLAIR_MODE', value: 'indexer' }, { name: 'HTTPS_PROXY', value: 'http://other:8080' }] })));
      expect((containerOf(o).env as Obj[]).filter((e) => !e.name.startsWith('PG'))).toEqual([
        { name: 'CLAIR_CONF', value: '/clair/config.yaml' },
        { name: 'CLAIR_MODE', value: 'indexer' },
        { name: 'HTTPS_PROXY', value: 'http://other:8080' },
      ]);
    });

    it('resources replace the defaults key by key', () => {
      const o = render(testModel(withClair({ resources: { requests: { cpu: '500m' }, limits: { memory: '4Gi' } } })));
      expect(containerOf(o).resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '4000m', memory: '4Gi' } });
    });

    it("an affinity replaces the default spreading; tolerations and nodeSelector are added", () => {
      const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'scanner', operator: 'Exists' }] }] } } };
      const tolerations = [{ key: 'scanner', operator: 'Exists' }];
      const o = render(testModel(withClair({ affinity, tolerations, nodeSelector: { pool: 'scan' } })));
      expect(podOf(o).affinity).toEqual(affinity);
      expect(podOf(o).tolerations).toEqual(tolerations);
      expect(podOf(o).nodeSelector).toEqual({ pool: 'scan' });
    });

    it('labels and annotations go on every object and the pods, selectors unchanged', () => {
      const o = render(testModel(withClair({ labels: { scanner: 'clair' }, annotations: { 'example.com/owner': 'sec' } })));
      for (const obj of o) {
        expect(obj.metadata.labels.scanner).toBe('clair');
        expect(obj.metadata.annotations['example.com/owner']).toBe('sec');
      }
      expect(deploymentOf(o).spec.template.metadata).toEqual({
        labels: { ...selector, scanner: 'clair' },
        annotations: { 'example.com/owner': 'sec', 'quay-operator/config-hash': expect.stringMatching(/^[0-9a-f]{10}$/) },
      });
      expect(deploymentOf(o).spec.selector.matchLabels).toEqual(selector);
      expect(find(o, 'Service', NAME).spec.selector).toEqual(selector);
    });
  });

  describe('pod security', () => {
    it("leaves UIDs to OpenShift's SCC", () => {
      expect(podOf(objs).securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(containerOf(objs).securityContext).toEqual({
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    });

    it('runs as nobody (65534) elsewhere, without OpenShift-only CA ConfigMaps', () => {
      const o = render(kubernetesModel());
      expect(podOf(o).securityContext).toMatchObject({ runAsUser: 65534, fsGroup: 65534 });
      expect(volume(o, 'cluster-trusted-ca')).toBeUndefined();
      expect(mount(o, 'cluster-trusted-ca')).toBeUndefined();
      // Quay's own certificate (ssl.cert, the user's TLS) is still trusted.
      expect(volume(o, 'certificates').projected.sources).toEqual([{ secret: { name: 'config-bundle-secret', items: [{ key: 'ssl.cert', path: 'ssl.cert' }] } }]);
    });
  });
});
