// Details of Quay's render that quay.test.ts leaves loose: the migration Job's container and its
// retry annotation, the spreading rule, env overrides replacing the first default or taking a
// valueFrom, metadata without empty annotations, the shared helpers' key order and readiness.
import { App, Chart } from 'cdk8s';
import { Mirror } from '../../constructs/mirror';
import { Quay } from '../../constructs/quay';
import { quaySchemaCheckJobName } from '../../constructs/quay-schema-check';
import { quayConfigReady } from '../../constructs/shared/component';
import { contentHash, secretData } from '../../constructs/shared/hash';
import { metadataFor, podTemplateMetadata } from '../../constructs/shared/metadata';
import { RETRY_MIGRATION_ANNOTATION } from '../../lib/names';
import type { RegistryModel } from '../../lib/model';
import { testModel } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

function render(model: RegistryModel, C: typeof Quay | typeof Mirror = Quay): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new C(chart, 'c', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}
const find = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name) as Obj;
const job = (objs: Obj[]) => find(objs, 'Job', 'example-registry-quay-app-upgrade');
const app = (objs: Obj[]) => find(objs, 'Deployment', 'example-registry-quay-app');
const withAnnotations = (model: RegistryModel, annotations: Record<string, string>): RegistryModel => ({
  ...model,
  registry: { ...model.registry, metadata: { ...model.registry.metadata, annotations } },
});

describe('the migration Job', () => {
  const model = testModel({ files: { 'config.yaml': 'FEATURE_UI_V2: true\n' } });

  test("its container: the bundle's location, DEBUGLOG off, the version it migrates to, sized for a migration", () => {
    const c = job(render(model)).spec.template.spec.containers[0];
    expect(c.env).toEqual([
      { name: 'QE_K8S_CONFIG_SECRET', value: 'config-bundle-secret' },
      { name: 'QE_K8S_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      { name: 'DEBUGLOG', value: 'false' },
      { name: 'QUAY_VERSION', value: model.environment.quayVersion },
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '1000m', memory: '3Gi' }, limits: { memory: '8Gi' } });
  });

  test("a retry the admin asked for is on the Job, so the controller tells it from the failed one", () => {
    const annotations = job(render(withAnnotations(model, { [RETRY_MIGRATION_ANNOTATION]: '2026-12-01T10:00:00Z', note: 'x' }))).metadata.annotations;
    expect(annotations).toEqual({ 'quay-operator/quay-version': model.environment.quayVersion, [RETRY_MIGRATION_ANNOTATION]: '2026-12-01T10:00:00Z' });
  });

  test('a site that does not migrate renders no migration Job, and its schema check carries the retry too', () => {
    // Another site migrates the shared, external database.
    const files = { 'config.yaml': 'DB_URI: postgresql://quay:pw@db.example.com/quay\nBUILDLOGS_REDIS: {host: redis.example.com, port: 6379}\nUSER_EVENTS_REDIS: {host: redis.example.com, port: 6379}\n' };
    const components = [{ kind: 'postgres', managed: false }, { kind: 'redis', managed: false }];
    const site = withAnnotations(testModel({ files, spec: { migrations: { run: false }, components } }), { [RETRY_MIGRATION_ANNOTATION]: 'r1' });
    const objs = render(site);
    expect(job(objs)).toBeUndefined();
    const check = objs.find((o) => o.kind === 'Job') as Obj;
    expect(check.metadata.name).toBe(quaySchemaCheckJobName(site));
    expect(check.metadata.annotations).toEqual({ 'quay-operator/quay-version': site.environment.quayVersion, [RETRY_MIGRATION_ANNOTATION]: 'r1' });
  });
});

describe('pods', () => {
  test("quay-app's pods prefer distinct nodes (by hostname) unless the user sets an affinity", () => {
    const labels = { 'quay-component': 'quay-app', 'quay-operator/quayregistry': 'example-registry' };
    expect(app(render(testModel())).spec.template.spec.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchExpressions: Object.entries(labels).map(([key, value]) => ({ key, operator: 'In', values: [value] })) },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    });
  });

  test('no placement overrides: no tolerations or nodeSelector keys at all', () => {
    const spec = app(render(testModel())).spec.template.spec;
    expect(Object.keys(spec)).not.toContain('tolerations');
    expect(Object.keys(spec)).not.toContain('nodeSelector');
  });

  test("an env override replaces the first default in place, and one may come from a Secret", () => {
    const model = testModel({
      spec: {
        components: [
          {
            kind: 'quay',
            managed: true,
            overrides: { env: [{ name: 'QE_K8S_NAMESPACE', value: 'other' }, { name: 'PROXY', valueFrom: { secretKeyRef: { name: 'proxy', key: 'url' } } }] },
          },
        ],
      },
    });
    const env = app(render(model)).spec.template.spec.containers[0].env as Obj[];
    expect(env[0]).toEqual({ name: 'QE_K8S_NAMESPACE', value: 'other' });
    expect(env.filter((e) => e.name === 'QE_K8S_NAMESPACE')).toHaveLength(1);
    expect(env[env.length - 1]).toEqual({ name: 'PROXY', valueFrom: { secretKeyRef: { name: 'proxy', key: 'url' } } });
  });
});

describe('shared helpers', () => {
  const model = testModel();

  test('metadata: no annotations key when there are none; the override annotations when there are', () => {
    expect(metadataFor(model, 'x', { component: 'quay-app' })).toEqual({
      name: 'x',
      namespace: 'quay-enterprise',
      labels: { 'quay-component': 'quay-app', 'quay-operator/quayregistry': 'example-registry' },
    });
    expect(metadataFor(model, 'x', { component: 'quay-app', namespace: 'openshift-config-managed' }).namespace).toBe('openshift-config-managed');
    expect(podTemplateMetadata({ app: 'a' }, undefined)).toEqual({ labels: { app: 'a' } });
    expect(podTemplateMetadata({ app: 'a' }, { annotations: { n: '1' } } as never)).toEqual({ labels: { app: 'a' }, annotations: { n: '1' } });
  });

  test('content hashes and Secret data do not depend on the order of keys', () => {
    expect(contentHash({ a: '1', b: '2' })).toBe(contentHash({ b: '2', a: '1' }));
    expect(contentHash({ a: '1', b: '2' })).not.toBe(contentHash({ a: '2', b: '1' }));
    expect(Object.keys(secretData({ b: 'x', a: Buffer.from('y') }))).toEqual(['a', 'b']);
    expect(secretData({ b: 'x', a: Buffer.from('y') })).toEqual({ a: 'eQ==', b: 'eA==' });
  });

  test("Quay's config is ready once the managed bucket is bound, or at once with your own storage", () => {
    expect(quayConfigReady(testModel())).toBe(true);
    expect(quayConfigReady(testModel({ objectBucket: null }))).toBe(false);
    const own = testModel({
      objectBucket: null,
      files: { 'config.yaml': 'DISTRIBUTED_STORAGE_CONFIG: {default: [LocalStorage, {storage_path: /datastorage}]}\nDISTRIBUTED_STORAGE_PREFERENCE: [default]\nDISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: []\n' },
      spec: { components: [{ kind: 'objectstorage', managed: false }] },
    });
    expect(quayConfigReady(own)).toBe(true);
  });
});
