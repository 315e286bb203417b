import * as fs from 'fs';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { CONFIG_EDITOR_PORT_NAME, ConfigEditor, configEditorCredentialsSecretName } from '../../constructs/config-editor';
import { ensureManagedKeys, reconfigureToken } from '../../lib/keys';
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
const CONFIG = `SERVER_HOSTNAME: ${HOST}\nSUPER_USERS: [quayadmin]\n`;
/** The editor edits a config bundle Secret: the models here name one. */
const withBundle = (options: Parameters<typeof testModel>[0] = {}) => testModel({ files: { 'config.yaml': CONFIG }, ...options });

describe('ConfigEditor', () => {
  const model = withBundle();
  const objs = render(model);
  const secretName = configEditorCredentialsSecretName(model);

  test('the credentials Secret (rendered with the keys): user quayconfig and the managed password, by a stable name', () => {
    expect(secretName).toBe('example-registry-quay-config-editor-credentials');
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    const secret = find(renderCredentials(model), 'Secret', secretName);
    expect(secret.metadata.labels).toEqual(selector);
    expect(decode(secret, 'username')).toBe('quayconfig');
    expect(decode(secret, 'password')).toBe(model.keys.CONFIG_EDITOR_PW);
    // The token the editor presents to the operator: derived from the password, bound to this registry.
    expect(decode(secret, 'reconfigure-token')).toBe(reconfigureToken(model.keys.CONFIG_EDITOR_PW, 'quay-enterprise', 'example-registry'));
    expect(decode(secret, 'reconfigure-token')).toMatch(/^[0-9a-f]{64}$/);
    expect(reconfigureToken(model.keys.CONFIG_EDITOR_PW, 'quay-enterprise', 'other-registry')).not.toBe(decode(secret, 'reconfigure-token'));
    expect(reconfigureToken(model.keys.CONFIG_EDITOR_PW, 'other-namespace', 'example-registry')).not.toBe(decode(secret, 'reconfigure-token'));
  });

  test('the name does not depend on the password (the render does not know it) nor on the config', () => {
    const reconfigured = testModel({ files: { 'config.yaml': 'SUPER_USERS: [quayadmin, other]\n' } });
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
    // Its own image: the config-tool left the Quay image after 3.9.
    expect(c.image).toBe('quay.io/projectquay/quay:v3.9.8');
    expect(c.image).toBe(model.environment.images.configEditor);
    expect(c.args).toEqual(['config']);
    expect(envOf(c)).toEqual({
      CONFIG_APP_PASSWORD: { secretKeyRef: { name: secretName, key: 'password' } },
      RECONFIGURE_TOKEN: { secretKeyRef: { name: secretName, key: 'reconfigure-token' } },
      // The kubelet expands $(RECONFIGURE_TOKEN): the render holds no credential.
      OPERATOR_ENDPOINT: 'http://quayconfig:$(RECONFIGURE_TOKEN)@quay-operator.quay-operator.svc:7071',
      QUAY_CONFIG_READ_ONLY_FIELD_GROUPS: 'SecurityScanner,Database,Redis,DistributedStorage,RepoMirror,HostSettings',
      MY_POD_NAME: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
      MY_POD_NAMESPACE: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
    });
    // The token variable is defined before the endpoint that refers to it (the kubelet expands in order).
    expect(c.env.map((e: Obj) => e.name).indexOf('RECONFIGURE_TOKEN')).toBeLessThan(c.env.map((e: Obj) => e.name).indexOf('OPERATOR_ENDPOINT'));
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    // Ready when an authenticated request is answered: the editor requires basic auth on every path.
    expect(c.readinessProbe.httpGet).toBeUndefined();
    expect(c.readinessProbe.exec.command.slice(0, 2)).toEqual(['python3', '-c']);
    expect(c.readinessProbe.exec.command[2]).toContain('os.environ["CONFIG_APP_PASSWORD"]');
    expect(c.readinessProbe.exec.command[2]).toContain('"Authorization": "Basic "');
    expect(c.readinessProbe.exec.command[2]).toContain('http://127.0.0.1:8080/api/v1/config');
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    // The user's bundle as it is, not the assembled config: what the editor shows and commits back.
    expect(c.volumeMounts).toEqual([{ name: 'config-bundle', mountPath: '/conf/stack', readOnly: true }]);
    expect(spec.volumes).toEqual([{ name: 'config-bundle', secret: { secretName: 'config-bundle-secret' } }]);
    expect(spec.initContainers).toBeUndefined();
  });

  test('the operator endpoint follows the environment (QUAY_OPERATOR_ENDPOINT or the operator namespace)', () => {
    const m = withBundle({ environment: { operatorEndpoint: 'https://quay-operator.operators.svc:7071' } });
    expect(envOf(container(render(m))).OPERATOR_ENDPOINT).toBe('https://quayconfig:$(RECONFIGURE_TOKEN)@quay-operator.operators.svc:7071');
  });

  test('managed field groups are read-only; an unmanaged component’s group is the user’s to edit', () => {
    const m = withBundle({
      files: { 'config.yaml': `${CONFIG}DB_URI: postgresql://u:p@db.example.com/quay\n` },
      spec: { components: [{ kind: 'postgres', managed: false }] },
    });
    expect(envOf(container(render(m))).QUAY_CONFIG_READ_ONLY_FIELD_GROUPS).toBe('SecurityScanner,Redis,DistributedStorage,RepoMirror,HostSettings');
  });

  test('no config bundle Secret: nothing to edit or commit to, so no editor (the operator never writes spec to name one)', () => {
    expect(render(testModel())).toEqual([]);
  });

  test('the same model renders identically twice', () => {
    expect(render(withBundle())).toEqual(render(withBundle()));
  });
});

describe('ConfigEditor and the quay component’s overrides', () => {
  const quay = (overrides: Record<string, unknown>) => withBundle({ spec: { components: [{ kind: 'quay', managed: true, overrides }] } });

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
    // No config hash: the editor reads the mounted bundle at every request, so a bundle change needs no restart.
    expect(d.spec.template.metadata.annotations).toEqual({ 'example.com/owner': 'ops' });
    expect(d.spec.selector.matchLabels).toEqual(selector);
  });

  test('env and resources tune the registry, not the editor', () => {
    const objs = render(quay({ env: [{ name: 'DEBUGLOG', value: 'true' }], resources: { requests: { memory: '16Gi' } } }));
    expect(envOf(container(objs))).not.toHaveProperty('DEBUGLOG');
    expect(container(objs).resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } });
  });
});

describe('ConfigEditor, other configurations', () => {
  test('rendered before the bucket is bound too: its pod reads the bucket when it starts', () => {
    expect(render(withBundle({ objectBucket: null })).map((o) => `${o.kind}/${o.metadata.name}`)).toContain('Deployment/example-registry-quay-config-editor');
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
