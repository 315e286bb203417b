import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ConfigEditor } from '../../constructs/config-editor';
import { Mirror } from '../../constructs/mirror';
import { Quay } from '../../constructs/quay';
import { quayConfigAssemblyName } from '../../constructs/quay-volumes';
import { ComponentProps } from '../../constructs/shared/component';
import type { RegistryModel } from '../../lib/model';
import { TestModelOptions, testModel } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;
type ComponentClass = new (scope: Construct, id: string, props: ComponentProps) => Construct;

const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const TLS_DIR = path.resolve(__dirname, '../fixtures/tls');
const LEAF_CERT = fs.readFileSync(path.join(TLS_DIR, 'leaf.crt'), 'utf8');
const LEAF_KEY = fs.readFileSync(path.join(TLS_DIR, 'leaf.key'), 'utf8');

function render(model: RegistryModel, ...classes: ComponentClass[]): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  (classes.length ? classes : [Quay]).forEach((C, i) => new C(chart, `c${i}`, { model }));
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not rendered; have ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

const deployment = (objs: Obj[]) => find(objs, 'Deployment', 'example-registry-quay-app');
const job = (objs: Obj[]) => find(objs, 'Job', 'example-registry-quay-app-upgrade');
const podSpec = (objs: Obj[]) => deployment(objs).spec.template.spec;
const container = (objs: Obj[]) => podSpec(objs).containers[0];
const envOf = (c: Obj) => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));

function quayModel(overrides: Record<string, unknown>, options: TestModelOptions = {}): RegistryModel {
  return testModel({ ...options, spec: { components: [{ kind: 'quay', managed: true, overrides }] } });
}

/** The user's certificate with Quay terminating TLS (tls unmanaged), as in the seeds. */
function tlsModel(): RegistryModel {
  return testModel({
    files: { 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n`, 'ssl.cert': LEAF_CERT, 'ssl.key': LEAF_KEY },
    spec: { components: [{ kind: 'tls', managed: false }] },
  });
}

/** Plain Kubernetes: no Routes, no bucket claims; storage, hostname and certificate come from the bundle. */
function kubernetesModel(): RegistryModel {
  return testModel({
    platform: 'kubernetes',
    files: {
      'config.yaml': yaml.dump({
        SERVER_HOSTNAME: HOST,
        DISTRIBUTED_STORAGE_CONFIG: { default: ['S3Storage', { host: 's3.example.com', s3_bucket: 'quay', storage_path: '/registry', s3_access_key: 'a', s3_secret_key: 'b' }] },
        DISTRIBUTED_STORAGE_PREFERENCE: ['default'],
        DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: ['default'],
      }),
      'ssl.cert': LEAF_CERT,
      'ssl.key': LEAF_KEY,
    },
  });
}

describe('Quay', () => {
  const model = testModel();
  const objs = render(model);
  const assembly = quayConfigAssemblyName(model);

  test('ServiceAccount and Service, labelled for the registry', () => {
    const labels = { 'quay-component': 'quay-app', 'quay-operator/quayregistry': 'example-registry' };
    expect(find(objs, 'ServiceAccount', 'example-registry-quay-app').metadata.labels).toEqual(labels);
    const service = find(objs, 'Service', 'example-registry-quay-app');
    expect(service.metadata).toMatchObject({ namespace: 'quay-enterprise', labels });
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.selector).toEqual(labels);
    expect(service.spec.ports.map((p: Obj) => [p.name, p.port, p.targetPort])).toEqual([
      ['https', 443, 8443],
      ['http', 80, 8080],
      ['jwtproxy', 8081, 8081],
      ['grpc', 55443, 55443],
    ]);
  });

  test('the quay-app Deployment', () => {
    const d = deployment(objs);
    const selector = { 'quay-component': 'quay-app', 'quay-operator/quayregistry': 'example-registry' };
    expect(d.metadata.labels).toEqual(selector);
    expect(d.spec.selector.matchLabels).toEqual(selector);
    // app: quay, which the seeds' backup procedure selects; not in the (immutable) selector.
    expect(d.spec.template.metadata.labels).toEqual({ ...selector, app: 'quay' });
    // Determinism: the template changes only with what the pods read (a digest of it).
    expect(Object.keys(d.spec.template.metadata.annotations)).toEqual(['quay-operator/config-hash']);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const spec = podSpec(objs);
    expect(spec.serviceAccountName).toBe('example-registry-quay-app');
    expect(spec.terminationGracePeriodSeconds).toBe(60);
    expect(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions).toContainEqual({
      key: 'quay-component',
      operator: 'In',
      values: ['quay-app'],
    });
    // OpenShift's SCC picks the ids.
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = container(objs);
    expect(c.name).toBe('quay-app');
    expect(c.image).toBe(model.environment.images.quay);
    expect(c.args).toEqual(['registry-nomigrate']);
    // No bundle Secret: QE_K8S_CONFIG_SECRET names none.
    expect(c.env.map((e: Obj) => e.name)).toEqual(['QE_K8S_NAMESPACE', 'DEBUGLOG', 'WORKER_COUNT_WEB', 'WORKER_COUNT_SECSCAN', 'WORKER_COUNT_REGISTRY', 'QUAY_VERSION']);
    expect(envOf(c)).toEqual({
      QE_K8S_NAMESPACE: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
      DEBUGLOG: 'false',
      WORKER_COUNT_WEB: '4',
      WORKER_COUNT_SECSCAN: '2',
      WORKER_COUNT_REGISTRY: '8',
      QUAY_VERSION: model.environment.quayVersion,
    });
    expect(c.ports.map((p: Obj) => p.containerPort)).toEqual([8443, 8080, 8081, 9091, 55443]);
    expect(c.resources).toEqual({ requests: { cpu: '2000m', memory: '8Gi' }, limits: { memory: '8Gi' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(c[probe]).toMatchObject({ httpGet: { path: '/health/instance', port: 8080, scheme: 'HTTP' }, periodSeconds: 15, failureThreshold: 10 });
    }
    expect(c.startupProbe.timeoutSeconds).toBe(20);
    expect(c.livenessProbe.timeoutSeconds).toBe(10);
  });

  test('config, CA and database-certificate volumes', () => {
    const spec = podSpec(objs);
    expect(container(objs).volumeMounts).toEqual([
      { name: 'config', mountPath: '/conf/stack' },
      { name: 'extra-ca-certs', mountPath: '/conf/stack/extra_ca_certs', readOnly: true },
      { name: 'postgres-certs', mountPath: '/run/secrets/postgresql', readOnly: true },
      { name: 'postgres-certs-store', mountPath: '/.postgresql' },
    ]);
    const volumes = Object.fromEntries(spec.volumes.map((v: Obj) => [v.name, v]));
    // /conf/stack is written at pod start by quay-config-init.
    expect(volumes.config.emptyDir).toEqual({ sizeLimit: '16Mi' });
    expect(volumes['config-assembly'].configMap).toEqual({ name: assembly });
    // No bundle: nothing of it mounted, no extra CA of its own.
    expect(volumes['config-bundle']).toBeUndefined();
    expect(volumes['extra-ca-certs'].projected.sources).toEqual([
      { configMap: { name: 'example-registry-cluster-service-ca', items: [{ key: 'service-ca.crt', path: 'service-ca.crt' }], optional: true } },
      { configMap: { name: 'example-registry-cluster-trusted-ca', items: [{ key: 'ca-bundle.crt', path: 'ca-bundle.crt' }], optional: true } },
    ]);
    expect(volumes['postgres-certs'].projected.sources).toEqual([
      { secret: { name: 'postgresql-ca', optional: true } },
      { secret: { name: 'postgresql-client-certs', optional: true } },
    ]);
    expect(volumes['postgres-certs-store'].emptyDir).toEqual({ sizeLimit: '5Mi' });
  });

  test('quay-config-init assembles config.yaml from the ConfigMap, the keys Secret and the bucket, by reference', () => {
    const init = podSpec(objs).initContainers;
    expect(init.map((c: Obj) => c.name)).toEqual(['quay-config-init']);
    expect(init[0]).toMatchObject({
      image: model.environment.images.quay,
      command: ['python3', '/quay-config-assembly/assemble.py', '/quay-config-assembly/spec.json'],
      volumeMounts: [
        { name: 'config', mountPath: '/conf/stack' },
        { name: 'config-assembly', mountPath: '/quay-config-assembly', readOnly: true },
      ],
    });
    const keys = 'example-registry-quay-registry-managed-secret-keys';
    const bucket = 'example-registry-quay-datastore';
    expect(envOf(init[0])).toEqual({
      QUAY_DB_URI: { secretKeyRef: { name: keys, key: 'DB_URI' } },
      QUAY_SECRET_KEY: { secretKeyRef: { name: keys, key: 'SECRET_KEY' } },
      QUAY_DATABASE_SECRET_KEY: { secretKeyRef: { name: keys, key: 'DATABASE_SECRET_KEY' } },
      QUAY_SECURITY_SCANNER_V4_PSK: { secretKeyRef: { name: keys, key: 'SECURITY_SCANNER_V4_PSK' } },
      BUCKET_HOST: { configMapKeyRef: { name: bucket, key: 'BUCKET_HOST' } },
      BUCKET_PORT: { configMapKeyRef: { name: bucket, key: 'BUCKET_PORT', optional: true } },
      BUCKET_NAME: { configMapKeyRef: { name: bucket, key: 'BUCKET_NAME' } },
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: bucket, key: 'AWS_ACCESS_KEY_ID' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: bucket, key: 'AWS_SECRET_ACCESS_KEY' } },
    });
    const cm = find(objs, 'ConfigMap', assembly);
    expect(assembly).toMatch(/^example-registry-quay-config-[0-9a-f]{10}$/);
    expect(Object.keys(cm.data)).toEqual(['assemble.py', 'spec.json']);
    expect(JSON.parse(cm.data['spec.json']).output).toBe('/conf/stack/config.yaml');
    // No Secret at all: every credential stays where it is.
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('bundle files: the bundle Secret mounted and copied by reference, except extra CAs and Clair files', () => {
    const m = testModel({
      files: {
        'config.yaml': 'FEATURE_UI_V2: true\n',
        'ldap.crt': 'LDAP CERT',
        'extra_ca_cert_corp-ca.crt': 'CORP CA',
        'clair-config.yaml': 'log_level: debug\n',
        'clair-ssl.crt': 'C',
        'clair-ssl.key': 'K',
      },
    });
    const rendered = render(m);
    const spec = JSON.parse(find(rendered, 'ConfigMap', quayConfigAssemblyName(m)).data['spec.json']);
    expect(spec.user).toBe('/quay-bundle/config.yaml');
    expect(spec.copy).toEqual([['/quay-bundle/ldap.crt', '/conf/stack/ldap.crt']]);
    const pod = podSpec(rendered);
    const volumes = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v]));
    expect(volumes['config-bundle'].secret).toEqual({ secretName: 'config-bundle-secret' });
    expect(pod.initContainers[0].volumeMounts).toContainEqual({ name: 'config-bundle', mountPath: '/quay-bundle', readOnly: true });
    expect(volumes['extra-ca-certs'].projected.sources[0]).toEqual({ secret: { name: 'config-bundle-secret', items: [{ key: 'extra_ca_cert_corp-ca.crt', path: 'corp-ca.crt' }] } });
    expect(envOf(pod.containers[0]).QE_K8S_CONFIG_SECRET).toBe('config-bundle-secret');
    // None of the bundle's values is in any object.
    const text = JSON.stringify(rendered);
    for (const value of ['LDAP CERT', 'CORP CA', 'log_level', 'FEATURE_UI_V2']) expect(text).not.toContain(value);
  });

  test('the CA ConfigMaps carry the injection markers and no data', () => {
    const service = find(objs, 'ConfigMap', 'example-registry-cluster-service-ca');
    expect(service.metadata.annotations).toEqual({ 'service.beta.openshift.io/inject-cabundle': 'true' });
    expect(service.data).toBeUndefined();
    const trusted = find(objs, 'ConfigMap', 'example-registry-cluster-trusted-ca');
    expect(trusted.metadata.labels['config.openshift.io/inject-trusted-cabundle']).toBe('true');
    expect(trusted.data).toBeUndefined();
  });

  test('the migration Job', () => {
    const j = job(objs);
    const version = { 'quay-operator/quay-version': model.environment.quayVersion };
    expect(j.metadata.labels['quay-component']).toBe('quay-app-upgrade');
    expect(j.metadata.annotations).toEqual(version);
    expect(j.spec.backoffLimit).toBe(0);
    expect(j.spec.template.metadata.annotations).toEqual({ ...version, 'quay-operator/config-hash': deployment(objs).spec.template.metadata.annotations['quay-operator/config-hash'] });
    expect(j.spec.template.metadata.labels).toEqual({ 'quay-component': 'quay-app-upgrade', 'quay-operator/quayregistry': 'example-registry' });
    const spec = j.spec.template.spec;
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.serviceAccountName).toBe('example-registry-quay-app');
    const c = spec.containers[0];
    expect(c.image).toBe(model.environment.images.quay);
    expect(c.args).toEqual(['migrate', 'head']);
    expect(spec.initContainers).toEqual(podSpec(objs).initContainers);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    // The same volumes as quay-app (upstream's Job mounted the config Secret alone).
    expect(spec.volumes).toEqual(podSpec(objs).volumes);
    expect(c.volumeMounts).toEqual(container(objs).volumeMounts);
  });

  test('the same model renders identically twice', () => {
    expect(render(testModel())).toEqual(render(testModel()));
  });

  test('a bundle change changes the config hash of every pod template that reads it, and nothing else', () => {
    const all = [Quay, Mirror, ConfigEditor];
    // The editor reads the mounted bundle at each request: it shows a change without a restart.
    const before = render(testModel({ files: { 'config.yaml': 'FEATURE_UI_V2: true\n' } }), ...all);
    const after = render(testModel({ files: { 'config.yaml': 'FEATURE_UI_V2: false\n' } }), ...all);
    const templates: [string, string][] = [
      ['Deployment', 'example-registry-quay-app'],
      ['Deployment', 'example-registry-quay-mirror'],
      ['Job', 'example-registry-quay-app-upgrade'],
    ];
    expect(find(after, 'Deployment', 'example-registry-quay-config-editor')).toEqual(find(before, 'Deployment', 'example-registry-quay-config-editor'));
    const hash = (objs: Obj[], kind: string, n: string) => find(objs, kind, n).spec.template.metadata.annotations['quay-operator/config-hash'];
    for (const [kind, n] of templates) {
      expect(hash(after, kind, n)).toMatch(/^[0-9a-f]{10}$/);
      expect(hash(after, kind, n)).not.toBe(hash(before, kind, n));
      const strip = (o: Obj) => JSON.stringify(o).replace(/"quay-operator\/config-hash":"[0-9a-f]{10}"/, '');
      expect(strip(find(after, kind, n))).toBe(strip(find(before, kind, n)));
    }
    // Same operator part: the same ConfigMap.
    expect(before.filter((o) => o.kind === 'ConfigMap')).toEqual(after.filter((o) => o.kind === 'ConfigMap'));
  });

  test('the keys and the bucket roll the pods only when the renderer knows them (the controller), a GitOps render does not', () => {
    const hash = (m: RegistryModel) => deployment(render(m)).spec.template.metadata.annotations['quay-operator/config-hash'];
    const base = testModel();
    expect(hash(testModel({ objectBucket: { ...(base.objectBucket as any), secretKey: 'rotated' } }))).not.toBe(hash(base));
    const unknown = testModel({ objectBucket: null });
    expect(hash(unknown)).not.toBe(hash(base));
    expect(hash({ ...unknown, keysKnown: false })).toBe(hash({ ...unknown, keysKnown: false, keys: { ...unknown.keys, SECRET_KEY: 'other' } }));
    expect(hash(unknown)).not.toBe(hash({ ...unknown, keys: { ...unknown.keys, SECRET_KEY: 'other' } }));
  });
});

describe('Quay overrides', () => {
  test('env: new variables are appended, DEBUGLOG replaces the default in place, on quay-app and the Job', () => {
    const objs = render(
      quayModel({
        env: [
          { name: 'DEBUGLOG', value: 'true' },
          { name: 'HTTP_PROXY', value: 'quayproxy.qe.devcluster.openshift.com:3128' },
        ],
      }),
    );
    const names = container(objs).env.map((e: Obj) => e.name);
    expect(names.indexOf('DEBUGLOG')).toBe(1);
    expect(names.filter((n: string) => n === 'DEBUGLOG')).toHaveLength(1);
    expect(names[names.length - 1]).toBe('HTTP_PROXY');
    expect(envOf(container(objs))).toMatchObject({ DEBUGLOG: 'true', HTTP_PROXY: 'quayproxy.qe.devcluster.openshift.com:3128' });
    expect(envOf(job(objs).spec.template.spec.containers[0])).toMatchObject({ DEBUGLOG: 'true', HTTP_PROXY: 'quayproxy.qe.devcluster.openshift.com:3128' });
  });

  test("env: the seeds' geo-replication storage preference", () => {
    const objs = render(quayModel({ env: [{ name: 'QUAY_DISTRIBUTED_STORAGE_PREFERENCE', value: 'usstorage' }] }));
    expect(envOf(container(objs)).QUAY_DISTRIBUTED_STORAGE_PREFERENCE).toBe('usstorage');
  });

  test('the cluster proxy: HTTP(S)_PROXY, and NO_PROXY with the registry host and cluster domains', () => {
    const objs = render(testModel({ environment: { proxy: { httpProxy: 'http://proxy:3128', httpsProxy: 'http://proxy:3129', noProxy: 'internal.example.com' } } }));
    const env = envOf(container(objs));
    expect(env.HTTP_PROXY).toBe('http://proxy:3128');
    expect(env.HTTPS_PROXY).toBe('http://proxy:3129');
    expect(env.NO_PROXY.split(',')).toEqual(expect.arrayContaining(['internal.example.com', HOST, '.svc', '.cluster.local']));
    // Without a proxy, no proxy variables.
    expect(envOf(container(render(testModel())))).not.toHaveProperty('NO_PROXY');
  });

  test('resources: the override replaces defaults key by key', () => {
    const objs = render(quayModel({ resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } } }));
    expect(container(objs).resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } });
  });

  test('affinity, tolerations and nodeSelector land in the pod spec as written', () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'node-role.kubernetes.io/infra', operator: 'Exists' }] }] },
      },
    };
    const tolerations = [{ key: 'node-role.kubernetes.io/infra', operator: 'Exists', effect: 'NoSchedule' }];
    const nodeSelector = { 'node-role.kubernetes.io/infra': '' };
    const objs = render(quayModel({ affinity, tolerations, nodeSelector }));
    for (const spec of [podSpec(objs), job(objs).spec.template.spec]) {
      expect(spec.affinity).toEqual(affinity);
      expect(spec.tolerations).toEqual(tolerations);
      expect(spec.nodeSelector).toEqual(nodeSelector);
    }
  });

  test('labels and annotations go on the Deployment and its pod template; the selector stays', () => {
    const objs = render(quayModel({ labels: { team: 'registry' }, annotations: { 'example.com/owner': 'ops' } }));
    const d = deployment(objs);
    expect(d.metadata.labels.team).toBe('registry');
    expect(d.metadata.annotations).toEqual({ 'example.com/owner': 'ops' });
    expect(d.spec.template.metadata.labels.team).toBe('registry');
    expect(d.spec.template.metadata.annotations).toEqual({ 'example.com/owner': 'ops', 'quay-operator/config-hash': expect.stringMatching(/^[0-9a-f]{10}$/) });
    expect(d.spec.selector.matchLabels).toEqual({ 'quay-component': 'quay-app', 'quay-operator/quayregistry': 'example-registry' });
  });

  describe('replicas', () => {
    const replicas = (model: RegistryModel) => deployment(render(model)).spec.replicas;
    const hpaUnmanaged = (quay: Record<string, unknown>) =>
      testModel({ spec: { components: [{ kind: 'horizontalpodautoscaler', managed: false }, { kind: 'quay', managed: true, overrides: quay }] } });

    test('absent while the managed HPA scales quay', () => expect(replicas(testModel())).toBeUndefined());
    test('0 with an override of 0', () => expect(replicas(quayModel({ replicas: 0 }))).toBe(0));
    test('2 when the HPA is unmanaged', () => expect(replicas(testModel({ spec: { components: [{ kind: 'horizontalpodautoscaler', managed: false }] } }))).toBe(2));
    test('the override with the HPA unmanaged', () => expect(replicas(hpaUnmanaged({ replicas: 5 }))).toBe(5));
    test('absent with replicas: null (the user runs their own HPA)', () => expect(replicas(hpaUnmanaged({ replicas: null }))).toBeUndefined());
  });
});

describe('Quay with the user certificate (tls unmanaged)', () => {
  const model = tlsModel();
  const objs = render(model);

  test('probes use Quay’s HTTPS listener', () => {
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(container(objs)[probe].httpGet).toEqual({ path: '/health/instance', port: 8443, scheme: 'HTTPS' });
    }
  });

  test('ssl.cert and ssl.key are copied from the bundle into /conf/stack; the certificate (not the key) is trusted', () => {
    const spec = JSON.parse(find(objs, 'ConfigMap', quayConfigAssemblyName(model)).data['spec.json']);
    expect(spec.copy).toEqual([
      ['/quay-bundle/ssl.cert', '/conf/stack/ssl.cert'],
      ['/quay-bundle/ssl.key', '/conf/stack/ssl.key'],
    ]);
    const volumes = Object.fromEntries(podSpec(objs).volumes.map((v: Obj) => [v.name, v]));
    expect(volumes['extra-ca-certs'].projected.sources).toContainEqual({ secret: { name: 'config-bundle-secret', items: [{ key: 'ssl.cert', path: 'quay-registry.crt' }] } });
    // The Job sees the certificate too.
    expect(job(objs).spec.template.spec.volumes).toEqual(podSpec(objs).volumes);
    expect(JSON.stringify(objs)).not.toContain(Buffer.from(LEAF_KEY).toString('base64').slice(0, 40));
    expect(JSON.stringify(objs)).not.toContain('PRIVATE KEY');
  });
});

describe('Quay before the bucket is bound', () => {
  const objs = render(testModel({ objectBucket: null }));

  test('rendered all the same: the pods wait for the bucket Secret and ConfigMap when they start', () => {
    expect(objs.filter((o) => ['Deployment', 'Job'].map(String).includes(o.kind)).map((o) => o.metadata.name)).toEqual(['example-registry-quay-app', 'example-registry-quay-app-upgrade']);
    expect(envOf(podSpec(objs).initContainers[0]).AWS_SECRET_ACCESS_KEY).toEqual({ secretKeyRef: { name: 'example-registry-quay-datastore', key: 'AWS_SECRET_ACCESS_KEY' } });
  });
});

describe('Quay on plain Kubernetes', () => {
  const objs = render(kubernetesModel());

  test('no CA ConfigMaps, and none projected', () => {
    expect(objs.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual([quayConfigAssemblyName(kubernetesModel())]);
    const extraCa = podSpec(objs).volumes.find((v: Obj) => v.name === 'extra-ca-certs');
    expect(extraCa.projected.sources.filter((s: Obj) => s.configMap)).toEqual([]);
  });

  test('the pod names its user and fsGroup', () => {
    for (const spec of [podSpec(objs), job(objs).spec.template.spec]) {
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1001, fsGroup: 1001 });
    }
  });
});
