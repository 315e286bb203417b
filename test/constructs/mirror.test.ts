import * as fs from 'fs';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { Mirror } from '../../constructs/mirror';
import { Quay } from '../../constructs/quay';
import { quayConfigAnnotations } from '../../constructs/quay-volumes';
import type { RegistryModel } from '../../lib/model';
import { TestModelOptions, testModel } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const TLS_DIR = path.resolve(__dirname, '../fixtures/tls');

function render(model: RegistryModel): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new Mirror(chart, 'mirror', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}

function mirror(objs: Obj[]): Obj {
  const found = objs.filter((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-quay-mirror');
  expect(found).toHaveLength(1);
  return found[0];
}

const podSpec = (objs: Obj[]) => mirror(objs).spec.template.spec;
const container = (objs: Obj[]) => podSpec(objs).containers[0];
/** The wait for Quay (after quay-config-init). */
const init = (objs: Obj[]) => podSpec(objs).initContainers[1];
const envOf = (c: Obj) => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));

function mirrorModel(overrides: Record<string, unknown>, options: TestModelOptions = {}, extra: Record<string, unknown>[] = []): RegistryModel {
  return testModel({ ...options, spec: { components: [...extra, { kind: 'mirror', managed: true, overrides }] } });
}

describe('Mirror', () => {
  const model = testModel();
  const objs = render(model);

  test('renders only the mirror Deployment, labelled and selected as quay-mirror', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/example-registry-quay-mirror']);
    const d = mirror(objs);
    const selector = { 'quay-component': 'quay-mirror', 'quay-operator/quayregistry': 'example-registry' };
    expect(d.metadata).toMatchObject({ namespace: 'quay-enterprise', labels: selector });
    expect(d.spec.selector.matchLabels).toEqual(selector);
    expect(d.spec.template.metadata.labels).toEqual(selector);
    expect(d.spec.template.metadata.annotations).toEqual(quayConfigAnnotations(model));
    expect(podSpec(objs).initContainers.map((c: Obj) => c.name)).toEqual(['quay-config-init', 'quay-mirror-init']);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  });

  test('the workers', () => {
    const spec = podSpec(objs);
    expect(spec.serviceAccountName).toBe('example-registry-quay-app');
    expect(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions).toContainEqual({
      key: 'quay-component',
      operator: 'In',
      values: ['quay-mirror'],
    });
    const c = container(objs);
    expect(c.name).toBe('quay-mirror');
    expect(c.image).toBe(model.environment.images.quay);
    expect(c.command).toEqual(['/quay-registry/quay-entrypoint.sh']);
    expect(c.args).toEqual(['repomirror-nomigrate']);
    expect(envOf(c)).toEqual({
      QE_K8S_NAMESPACE: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
      DEBUGLOG: 'false',
      ENSURE_NO_MIGRATION: 'true',
    });
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1000m', memory: '2Gi' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
  });

  test('mounts the same volumes as quay-app', () => {
    const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
    new Quay(chart, 'quay', { model });
    const quayApp = chart.toJson().find((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-quay-app');
    expect(podSpec(objs).volumes).toEqual(quayApp.spec.template.spec.volumes);
    expect(container(objs).volumeMounts).toEqual(quayApp.spec.template.spec.containers[0].volumeMounts);
  });

  test('an init container waits for Quay’s health check, with a pause between attempts', () => {
    const c = init(objs);
    expect(c.name).toBe('quay-mirror-init');
    expect(c.image).toBe(model.environment.images.quay);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.command.slice(0, 2)).toEqual(['python', '-c']);
    expect(envOf(c)).toEqual({ QUAY_HEALTH_URL: 'http://example-registry-quay-app:80/health/instance' });
    const script: string = c.command[2];
    expect(script).toMatch(/time\.sleep\(5\)/);
    expect(script).toMatch(/timeout=5/);
    expect(c.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } });
  });

  describe('replicas', () => {
    const replicas = (model: RegistryModel) => mirror(render(model)).spec.replicas;
    const hpaUnmanaged = [{ kind: 'horizontalpodautoscaler', managed: false }];

    test('absent while the managed HPA scales mirror', () => expect(replicas(testModel())).toBeUndefined());
    test('0 with an override of 0', () => expect(replicas(mirrorModel({ replicas: 0 }))).toBe(0));
    test('2 when the HPA is unmanaged', () => expect(replicas(testModel({ spec: { components: hpaUnmanaged } }))).toBe(2));
    test('the override with the HPA unmanaged', () => expect(replicas(mirrorModel({ replicas: 5 }, {}, hpaUnmanaged))).toBe(5));
    test('absent with replicas: null', () => expect(replicas(mirrorModel({ replicas: null }, {}, hpaUnmanaged))).toBeUndefined());
  });
});

describe('Mirror overrides', () => {
  test("env: the seeds' proxy and geo-replication variables reach the workers, not the init container", () => {
    const objs = render(
      mirrorModel({
        env: [
          { name: 'DEBUGLOG', value: 'true' },
          { name: 'HTTP_PROXY', value: 'quayproxy.qe.devcluster.openshift.com:3128' },
          { name: 'QUAY_DISTRIBUTED_STORAGE_PREFERENCE', value: 'usstorage' },
        ],
      }),
    );
    const env = envOf(container(objs));
    expect(env).toMatchObject({ DEBUGLOG: 'true', HTTP_PROXY: 'quayproxy.qe.devcluster.openshift.com:3128', QUAY_DISTRIBUTED_STORAGE_PREFERENCE: 'usstorage' });
    expect(container(objs).env.filter((e: Obj) => e.name === 'DEBUGLOG')).toHaveLength(1);
    expect(Object.keys(envOf(init(objs)))).toEqual(['QUAY_HEALTH_URL']);
  });

  test('quay’s env overrides do not reach mirror', () => {
    const objs = render(testModel({ spec: { components: [{ kind: 'quay', managed: true, overrides: { env: [{ name: 'QUAY_DISTRIBUTED_STORAGE_PREFERENCE', value: 'eustorage' }] } }] } }));
    expect(envOf(container(objs))).not.toHaveProperty('QUAY_DISTRIBUTED_STORAGE_PREFERENCE');
  });

  test('the cluster proxy', () => {
    const objs = render(testModel({ environment: { proxy: { httpsProxy: 'http://proxy:3128' } } }));
    const env = envOf(container(objs));
    expect(env.HTTPS_PROXY).toBe('http://proxy:3128');
    expect(env.NO_PROXY.split(',')).toEqual(expect.arrayContaining([HOST, '.svc', '.cluster.local']));
  });

  test('resources', () => {
    const objs = render(mirrorModel({ resources: { requests: { memory: '1Gi' }, limits: { cpu: '2000m' } } }));
    expect(container(objs).resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2000m', memory: '2Gi' } });
  });

  test('affinity, tolerations and nodeSelector as written', () => {
    const affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    const tolerations = [{ key: 'infra', operator: 'Equal', value: 'reserved', effect: 'NoExecute', tolerationSeconds: 60 }];
    const nodeSelector = { 'node-role.kubernetes.io/infra': '' };
    const spec = podSpec(render(mirrorModel({ affinity, tolerations, nodeSelector })));
    expect(spec.affinity).toEqual(affinity);
    expect(spec.tolerations).toEqual(tolerations);
    expect(spec.nodeSelector).toEqual(nodeSelector);
  });

  test('labels and annotations on the Deployment and the pod template', () => {
    const d = mirror(render(mirrorModel({ labels: { team: 'mirroring' }, annotations: { 'example.com/owner': 'ops' } })));
    expect(d.metadata.labels.team).toBe('mirroring');
    expect(d.metadata.annotations).toEqual({ 'example.com/owner': 'ops' });
    expect(d.spec.template.metadata.labels.team).toBe('mirroring');
    expect(d.spec.template.metadata.annotations).toEqual({ 'example.com/owner': 'ops', 'quay-operator/config-hash': expect.stringMatching(/^[0-9a-f]{10}$/) });
    expect(d.spec.selector.matchLabels).toEqual({ 'quay-component': 'quay-mirror', 'quay-operator/quayregistry': 'example-registry' });
  });
});

describe('Mirror, other configurations', () => {
  test('with Quay terminating TLS, the wait asks its HTTPS port', () => {
    const model = testModel({
      files: {
        'config.yaml': `SERVER_HOSTNAME: ${HOST}\n`,
        'ssl.cert': fs.readFileSync(path.join(TLS_DIR, 'leaf.crt'), 'utf8'),
        'ssl.key': fs.readFileSync(path.join(TLS_DIR, 'leaf.key'), 'utf8'),
      },
      spec: { components: [{ kind: 'tls', managed: false }] },
    });
    expect(envOf(init(render(model))).QUAY_HEALTH_URL).toBe('https://example-registry-quay-app:443/health/instance');
  });

  test('rendered before the bucket is bound too: its pods read the bucket when they start', () => {
    expect(render(testModel({ objectBucket: null })).map((o) => o.metadata.name)).toEqual(['example-registry-quay-mirror']);
  });

  test('plain Kubernetes: the pod names its user and fsGroup, no CA ConfigMaps are projected', () => {
    const model = testModel({
      platform: 'kubernetes',
      files: {
        'config.yaml': [
          `SERVER_HOSTNAME: ${HOST}`,
          'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, storage_path: /registry}]}',
          'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
          '',
        ].join('\n'),
        'ssl.cert': fs.readFileSync(path.join(TLS_DIR, 'leaf.crt'), 'utf8'),
        'ssl.key': fs.readFileSync(path.join(TLS_DIR, 'leaf.key'), 'utf8'),
      },
    });
    const spec = podSpec(render(model));
    expect(spec.securityContext).toMatchObject({ runAsUser: 1001, fsGroup: 1001 });
    expect(JSON.stringify(spec.volumes)).not.toContain('cluster-service-ca');
  });
});
