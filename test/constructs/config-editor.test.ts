import * as fs from 'fs';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { CONFIG_EDITOR_PORT_NAME, ConfigEditor, configEditorCredentialsSecretName } from '../../constructs/config-editor';
import { quayConfigVolumes } from '../../constructs/quay-volumes';
import { ensureManagedKeys } from '../../lib/keys';
import type { RegistryModel } from '../../lib/model';
import { renderCredentials } from '../../lib/synth';
import { fixedRandom, testModel } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const TLS_DIR = path.resolve(__dirname, '../fixtures/tls');

function render(model: RegistryModel): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new ConfigEditor(chart, 'config-editor', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not rendered; have ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

const deployment = (objs: Obj[]) => find(objs, 'Deployment', 'example-registry-quay-config-editor');
const container = (objs: Obj[]) => deployment(objs).spec.template.spec.containers[0];
const envOf = (c: Obj) => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));
const decode = (secret: Obj, key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');
const selector = { 'quay-component': 'quay-config-editor', 'quay-operator/quayregistry': 'example-registry' };

describe('ConfigEditor', () => {
  const model = testModel();
  const objs = render(model);
  const secretName = configEditorCredentialsSecretName(model);

  test('the credentials Secret (rendered with the keys): user quayconfig and the managed password, by a stable name', () => {
    expect(secretName).toBe('example-registry-quay-config-editor-credentials');
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    const secret = find(renderCredentials(model), 'Secret', secretName);
    expect(secret.metadata.labels).toEqual(selector);
    expect(decode(secret, 'username')).toBe('quayconfig');
    expect(decode(secret, 'password')).toBe(model.keys.CONFIG_EDITOR_PW);
  });

  test('the name does not depend on the password (the render does not know it) nor on the config', () => {
    const reconfigured = testModel({ files: { 'config.yaml': 'SUPER_USERS: [quayadmin]\n' } });
    expect(configEditorCredentialsSecretName(reconfigured)).toBe(secretName);
    const other = { ...model, keys: ensureManagedKeys('example-registry', {}, fixedRandom(99)) };
    expect(configEditorCredentialsSecretName(other)).toBe(secretName);
  });

  test('the Service: port http 80 → 8080, for the Route', () => {
    const service = find(objs, 'Service', 'example-registry-quay-config-editor');
    expect(service.metadata.labels).toEqual(selector);
    expect(service.spec.selector).toEqual(selector);
    expect(service.spec.ports).toEqual([{ name: CONFIG_EDITOR_PORT_NAME, protocol: 'TCP', port: 80, targetPort: 8080 }]);
    expect(CONFIG_EDITOR_PORT_NAME).toBe('http');
  });

  test('the Deployment', () => {
    const d = deployment(objs);
    expect(d.metadata.labels).toEqual(selector);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.selector.matchLabels).toEqual(selector);
    expect(d.spec.template.metadata.labels).toEqual(selector);
    const spec = d.spec.template.spec;
    expect(spec.serviceAccountName).toBe('example-registry-quay-app');
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = container(objs);
    expect(c.image).toBe(model.environment.images.quay);
    expect(c.args).toEqual(['config']);
    expect(envOf(c)).toEqual({
      CONFIG_APP_PASSWORD: { secretKeyRef: { name: secretName, key: 'password' } },
      QE_K8S_NAMESPACE: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
    });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/', port: 8080, scheme: 'HTTP' });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/conf/stack', '/conf/stack/extra_ca_certs', '/run/secrets/postgresql', '/.postgresql']);
    // The same config as Quay's, assembled by the same init container.
    expect(spec.volumes.map((v: Obj) => v.name)).toEqual(quayConfigVolumes(model).map((v) => v.name));
    expect(spec.initContainers.map((c: Obj) => c.name)).toEqual(['quay-config-init']);
  });

  test('the same model renders identically twice', () => {
    expect(render(testModel())).toEqual(render(testModel()));
  });
});

describe('ConfigEditor and the quay component’s overrides', () => {
  const quay = (overrides: Record<string, unknown>) => testModel({ spec: { components: [{ kind: 'quay', managed: true, overrides }] } });

  test('placement follows Quay (e.g. the infrastructure nodes)', () => {
    const tolerations = [{ key: 'node-role.kubernetes.io/infra', operator: 'Exists', effect: 'NoSchedule' }];
    const nodeSelector = { 'node-role.kubernetes.io/infra': '' };
    const affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }] } };
    const spec = deployment(render(quay({ tolerations, nodeSelector, affinity }))).spec.template.spec;
    expect(spec.tolerations).toEqual(tolerations);
    expect(spec.nodeSelector).toEqual(nodeSelector);
    expect(spec.affinity).toEqual(affinity);
  });

  test('labels and annotations on the Deployment and the pod template', () => {
    const d = deployment(render(quay({ labels: { team: 'registry' }, annotations: { 'example.com/owner': 'ops' } })));
    expect(d.metadata.labels.team).toBe('registry');
    expect(d.spec.template.metadata.labels.team).toBe('registry');
    expect(d.spec.template.metadata.annotations).toEqual({ 'example.com/owner': 'ops', 'quay-operator/config-hash': expect.stringMatching(/^[0-9a-f]{10}$/) });
    expect(d.spec.selector.matchLabels).toEqual(selector);
  });

  test('env and resources tune the registry, not the editor', () => {
    const objs = render(quay({ env: [{ name: 'DEBUGLOG', value: 'true' }], resources: { requests: { memory: '16Gi' } } }));
    expect(envOf(container(objs))).not.toHaveProperty('DEBUGLOG');
    expect(container(objs).resources.requests.memory).toBe('256Mi');
  });
});

describe('ConfigEditor, other configurations', () => {
  test('rendered before the bucket is bound too: its pod reads the bucket when it starts', () => {
    expect(render(testModel({ objectBucket: null })).map((o) => `${o.kind}/${o.metadata.name}`)).toContain('Deployment/example-registry-quay-config-editor');
  });

  test('plain Kubernetes: the pod names its user and fsGroup', () => {
    const model = testModel({
      platform: 'kubernetes',
      files: {
        'config.yaml': [`SERVER_HOSTNAME: ${HOST}`, 'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay}]}', ''].join('\n'),
        'ssl.cert': fs.readFileSync(path.join(TLS_DIR, 'leaf.crt'), 'utf8'),
        'ssl.key': fs.readFileSync(path.join(TLS_DIR, 'leaf.key'), 'utf8'),
      },
    });
    expect(deployment(render(model)).spec.template.spec.securityContext).toMatchObject({ runAsUser: 1001, fsGroup: 1001 });
  });
});
