import { App, Chart } from 'cdk8s';
import { Redis } from '../../constructs/redis';
import { quayConfig } from '../../lib/config/quay-config';
import type { RegistryModel } from '../../lib/model';
import { TestModelOptions, testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

function render(model: RegistryModel): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new Redis(chart, 'redis', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered; got ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

const NAME = 'example-registry-quay-redis';
const deploymentOf = (objs: Obj[]) => find(objs, 'Deployment', NAME);
const podOf = (objs: Obj[]) => deploymentOf(objs).spec.template.spec;
const containerOf = (objs: Obj[]) => podOf(objs).containers[0];
const withRedis = (overrides: Obj): TestModelOptions => ({ spec: { components: [{ kind: 'redis', managed: true, overrides }] } });

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

describe('Redis', () => {
  const model = testModel();
  const objs = render(model);
  const selector = { 'quay-component': 'redis', 'quay-operator/quayregistry': 'example-registry' };

  it('renders a ServiceAccount, a Service and a Deployment, labelled redis', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([`Deployment/${NAME}`, `Service/${NAME}`, `ServiceAccount/${NAME}`]);
    for (const o of objs) expect(o.metadata.labels).toEqual(selector);
  });

  it("serves 6379 on the host Quay's config names", () => {
    const service = find(objs, 'Service', NAME);
    expect(service.spec.selector).toEqual(selector);
    expect(service.spec.ports).toEqual([{ name: 'redis', protocol: 'TCP', port: 6379, targetPort: 6379 }]);
    expect(quayConfig(model).BUILDLOGS_REDIS).toEqual({ host: NAME, port: 6379 });
    expect(quayConfig(model).USER_EVENTS_REDIS).toEqual({ host: NAME, port: 6379 });
  });

  it('runs a single redis-master', () => {
    const d = deploymentOf(objs);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.selector.matchLabels).toEqual(selector);
    expect(d.spec.template.metadata.labels).toEqual(selector);
    expect(podOf(objs).serviceAccountName).toBe(NAME);
    expect(podOf(objs).automountServiceAccountToken).toBe(false);
    const c = containerOf(objs);
    expect(c.name).toBe('redis-master');
    expect(c.image).toBe('quay.io/sclorg/redis-7-c9s:latest');
    expect(c.ports).toEqual([{ name: 'redis', containerPort: 6379, protocol: 'TCP' }]);
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '4000m', memory: '16Gi' } });
    expect(c.env).toBeUndefined();
  });

  it('is ready and live only while it accepts connections', () => {
    const c = containerOf(objs);
    expect(c.readinessProbe.tcpSocket).toEqual({ port: 6379 });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 6379 });
  });

  it('uses the operator-configured image', () => {
    const images = { ...model.environment.images, redis: 'mirror.example.com/sclorg/redis-7-c9s:7.2' };
    expect(containerOf(render({ ...model, environment: { ...model.environment, images } })).image).toBe('mirror.example.com/sclorg/redis-7-c9s:7.2');
  });

  it('is byte-identical whatever config.yaml says', () => {
    const a = render(testModel({ files: { 'config.yaml': 'REGISTRY_TITLE: One\n' } }));
    const b = render(testModel({ files: { 'config.yaml': 'REGISTRY_TITLE: Two\nFEATURE_UI_V2: true\n' } }));
    expect(JSON.stringify(b)).toEqual(JSON.stringify(a));
  });

  describe('overrides', () => {
    it('env is added', () => {
      const o = render(testModel(withRedis({ env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'password' } } }] })));
      expect(containerOf(o).env).toEqual([{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'password' } } }]);
    });

    it('resources replace the defaults key by key', () => {
      const o = render(testModel(withRedis({ resources: { limits: { memory: '4Gi' } } })));
      expect(containerOf(o).resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '4000m', memory: '4Gi' } });
    });

    it('placement goes into the pod spec', () => {
      const affinity = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { labelSelector: { matchLabels: { app: 'quay' } }, topologyKey: 'kubernetes.io/hostname' } }] } };
      const o = render(testModel(withRedis({ affinity, nodeSelector: { zone: 'a' } })));
      expect(podOf(o).affinity).toEqual(affinity);
      expect(podOf(o).nodeSelector).toEqual({ zone: 'a' });
      expect(podOf(objs).affinity).toBeUndefined();
    });

    it('labels and annotations go on every object and the pods, selectors unchanged', () => {
      const o = render(testModel(withRedis({ labels: { cache: 'true' }, annotations: { note: 'ephemeral' } })));
      for (const obj of o) {
        expect(obj.metadata.labels.cache).toBe('true');
        expect(obj.metadata.annotations.note).toBe('ephemeral');
      }
      expect(deploymentOf(o).spec.template.metadata).toEqual({ labels: { ...selector, cache: 'true' }, annotations: { note: 'ephemeral' } });
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

    it("runs as the image's uid 1001 elsewhere", () => {
      expect(podOf(render(kubernetesModel())).securityContext.runAsUser).toBe(1001);
    });
  });
});
