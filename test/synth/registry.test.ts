// Whole-registry renders: the seeds' examples as snapshots, schema-valid and deterministic.
import * as path from 'node:path';
import { Platform } from '../../lib/api/components';
import { readInputs, objectKey } from '../../lib/cli/inputs';
import { renderInput } from '../../lib/cli/render-inputs';
import { ensureManagedKeys, managedKeysSecretName } from '../../lib/keys';
import { KubeObject, renderRegistry } from '../../lib/synth';
import { toYamlStream } from '../../lib/yaml';
import { KubeClient } from '../../lib/controller/kube-client';
import { resourceType } from '../../lib/controller/resources';
import { openshiftCluster } from '../support/cluster-sim';
import { FakeApiServer } from '../support/fake-apiserver';
import { installOperator } from '../support/operator-install';
import { validateAll } from '../support/schema';
import { fixedRandom, testEnvironment, testModel } from '../support/model';

const ROOT = path.resolve(__dirname, '../..');

/** Renders example files as the CLI does, with the managed-keys Secret passed in (stable keys). */
function renderFiles(files: string[], platform: Platform = 'openshift', appsDomain: string | null = null): KubeObject[][] {
  const { inputs, problems } = readInputs(files.map((f) => path.join(ROOT, f)), 'default');
  expect(problems).toEqual([]);
  for (const doc of inputs.registries) {
    const meta = doc.object.metadata as { name: string; namespace: string };
    const stringData = ensureManagedKeys(meta.name, {}, fixedRandom());
    inputs.objects.set(objectKey('Secret', meta.namespace, managedKeysSecretName(meta.name)), { file: 'test', index: 0, object: { stringData } });
  }
  return inputs.registries.map((doc) => {
    const outcome = renderInput(doc, inputs, testEnvironment(platform, appsDomain), { defaultNamespace: 'default' });
    expect(outcome.problems).toEqual([]);
    return outcome.rendered!.objects;
  });
}

const names = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);
const find = (objects: KubeObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as any;

function expectRestrictedPods(objects: KubeObject[]) {
  for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
    const pod = (o as any).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      expect({ object: o.metadata.name, container: c.name, sc: c.securityContext }).toEqual({
        object: o.metadata.name,
        container: c.name,
        sc: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
      });
    }
  }
}

describe('the default all-managed example-registry in quay-enterprise', () => {
  const [objects] = renderFiles(['examples/quayregistry.yaml']);

  test('renders every component the seeds list, under the seeds\' names', () => {
    expect(names(objects)).toEqual(
      expect.arrayContaining([
        'Deployment/example-registry-quay-app',
        'Service/example-registry-quay-app',
        'ServiceAccount/example-registry-quay-app',
        'Job/example-registry-quay-app-upgrade',
        'Deployment/example-registry-quay-config-editor',
        'Service/example-registry-quay-config-editor',
        'Deployment/example-registry-quay-database',
        'Service/example-registry-quay-database',
        'PersistentVolumeClaim/example-registry-quay-postgres-13',
        'Deployment/example-registry-clair-app',
        'Service/example-registry-clair-app',
        'Deployment/example-registry-clair-postgres',
        'PersistentVolumeClaim/example-registry-clair-postgres-15',
        'Deployment/example-registry-quay-redis',
        'Deployment/example-registry-quay-mirror',
        'HorizontalPodAutoscaler/example-registry-quay-app',
        'HorizontalPodAutoscaler/example-registry-clair-app',
        'HorizontalPodAutoscaler/example-registry-quay-mirror',
        'ObjectBucketClaim/example-registry-quay-datastore',
        'Route/example-registry-quay',
        'Route/example-registry-quay-builder',
        'Route/example-registry-quay-config-editor',
        'Service/example-registry-quay-metrics',
        'ServiceMonitor/example-registry-quay-metrics-monitor',
        'PrometheusRule/example-registry-quay-prometheus-rules',
        'ConfigMap/example-registry-grafana-dashboard-quay',
      ]),
    );
    // Quay's config is assembled in the pods, from a ConfigMap and references.
    expect(names(objects).filter((n) => /^ConfigMap\/example-registry-quay-config-[0-9a-f]{10}$/.test(n))).toHaveLength(1);
    expect(names(objects).filter((n) => n.startsWith('Secret/example-registry-quay-config-secret-'))).toEqual([]);
    // The generated keys and what derives from them are `quay-operator keys`' (renderCredentials).
    expect(names(objects).filter((n) => /managed-secret-keys|postgres-config-secret|editor-credentials/.test(n))).toEqual([]);
  });

  test('every object is schema-valid and labelled for its registry', () => {
    validateAll(objects);
    for (const o of objects) expect([o.metadata.name, o.metadata.labels?.['quay-operator/quayregistry']]).toEqual([o.metadata.name, 'example-registry']);
  });

  test('no replicas on autoscaled Deployments while the HPA is managed', () => {
    for (const n of ['quay-app', 'clair-app', 'quay-mirror']) expect(find(objects, 'Deployment', `example-registry-${n}`).spec).not.toHaveProperty('replicas');
  });

  test('every pod meets the restricted Pod Security Standard', () => expectRestrictedPods(objects));

  test('snapshot', () => expect(toYamlStream(objects)).toMatchSnapshot());
});

describe('the seeds\' "some components unmanaged" example', () => {
  const [objects] = renderFiles(['examples/unmanaged-components.yaml'], 'openshift', 'apps.example.com');

  test('renders no objects for clair, the HPA, mirror or monitoring, and pins 2 replicas', () => {
    // Without the HPA, quay-app runs the seeds' 2 replicas.
    expect(find(objects, 'Deployment', 'example-registry-quay-app').spec.replicas).toBe(2);
    const rendered = names(objects);
    for (const absent of ['Deployment/example-registry-clair-app', 'Deployment/example-registry-quay-mirror', 'ServiceMonitor/example-registry-quay-metrics-monitor']) {
      expect(rendered).not.toContain(absent);
    }
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    // clairpostgres is still managed (it was not listed), as upstream does.
    expect(rendered).toContain('Deployment/example-registry-clair-postgres');
    expect(rendered).toContain('ObjectBucketClaim/example-registry-quay-datastore');
    validateAll(objects);
  });

  test('snapshot', () => expect(toYamlStream(objects)).toMatchSnapshot());
});

describe('the seeds\' geo-replication example, both clusters', () => {
  const [us] = renderFiles(['examples/geo-replication/config-bundle.yaml', 'examples/geo-replication/us.yaml']);
  const [eu] = renderFiles(['examples/geo-replication/config-bundle.yaml', 'examples/geo-replication/eu.yaml']);
  const env = (objects: KubeObject[], deployment: string) =>
    find(objects, 'Deployment', `example-registry-${deployment}`).spec.template.spec.containers[0].env.find((e: any) => e.name === 'QUAY_DISTRIBUTED_STORAGE_PREFERENCE')?.value;

  test('each cluster prefers its own storage, in Quay and mirror', () => {
    expect([env(us, 'quay-app'), env(us, 'quay-mirror')]).toEqual(['usstorage', 'usstorage']);
    expect([env(eu, 'quay-app'), env(eu, 'quay-mirror')]).toEqual(['eustorage', 'eustorage']);
  });

  test('the clusters differ only in that preference', () => {
    const strip = (objects: KubeObject[]) => toYamlStream(objects).replace(/(us|eu)storage\n/g, 'PREFERRED\n');
    expect(strip(us)).toBe(strip(eu));
  });

  test('shared external services: no managed database, redis or bucket; passthrough Route to SERVER_HOSTNAME', () => {
    const rendered = names(us);
    for (const absent of ['Deployment/example-registry-quay-database', 'Deployment/example-registry-clair-postgres', 'Deployment/example-registry-quay-redis', 'ObjectBucketClaim/example-registry-quay-datastore']) {
      expect(rendered).not.toContain(absent);
    }
    const route = find(us, 'Route', 'example-registry-quay');
    expect(route.spec).toMatchObject({ host: 'georep.example.com', tls: { termination: 'passthrough' } });
    validateAll(us);
    validateAll(eu);
  });

  test('snapshots', () => {
    expect(toYamlStream(us)).toMatchSnapshot('us');
    expect(toYamlStream(eu)).toMatchSnapshot('eu');
  });
});

describe('determinism', () => {
  const config = (extra: string) => ({ 'config.yaml': `SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com\n${extra}` });
  const before = renderRegistry(testModel({ files: config('FEATURE_USER_INITIALIZE: true\n') })).objects;
  const after = renderRegistry(testModel({ files: config('FEATURE_USER_INITIALIZE: true\nTAG_EXPIRATION_OPTIONS: [2w, 4w]\n') })).objects;
  const json = (o: unknown) => JSON.stringify(o);

  test('two renders of the same inputs are byte-identical', () => {
    const again = renderRegistry(testModel({ files: config('FEATURE_USER_INITIALIZE: true\n') })).objects;
    expect(toYamlStream(again)).toBe(toYamlStream(before));
  });

  test('a config.yaml change rolls only Quay and mirror (their config hash)', () => {
    for (const d of ['quay-app', 'quay-mirror']) {
      expect(json(find(after, 'Deployment', `example-registry-${d}`).spec.template)).not.toBe(json(find(before, 'Deployment', `example-registry-${d}`).spec.template));
    }
    for (const d of ['quay-database', 'clair-postgres', 'quay-redis', 'clair-app']) {
      expect(json(find(after, 'Deployment', `example-registry-${d}`))).toBe(json(find(before, 'Deployment', `example-registry-${d}`)));
    }
  });
});

const KUBERNETES_FILES = {
  'config.yaml': [
    'SERVER_HOSTNAME: quay.example.com',
    'EXTERNAL_TLS_TERMINATION: true',
    'DISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay, s3_access_key: a, s3_secret_key: b, storage_path: /registry}]}',
    'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
    'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: []',
  ].join('\n'),
};

describe('platform kubernetes', () => {
  const files = KUBERNETES_FILES;
  const objects = renderRegistry(testModel({ platform: 'kubernetes', files, appsDomain: null })).objects;

  test('no Route, ObjectBucketClaim or Prometheus objects; pods name their user', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of ['Route', 'ObjectBucketClaim', 'ServiceMonitor', 'PrometheusRule']) expect(kinds.has(k)).toBe(false);
    expect(find(objects, 'Deployment', 'example-registry-clair-app').spec.template.spec.securityContext).toMatchObject({ runAsUser: 65534, fsGroup: 65534 });
    expect(find(objects, 'Deployment', 'example-registry-quay-database').spec.template.spec.securityContext).toMatchObject({ runAsUser: 26, fsGroup: 26 });
    expectRestrictedPods(objects);
    validateAll(objects);
  });

  test('asking for a managed Route there is an error naming the missing API', () => {
    expect(() => testModel({ platform: 'kubernetes', files, spec: { exposure: { type: 'Route' }, components: [{ kind: 'route', managed: true }] } })).toThrow(
      'spec.components[0]: error validating component `route`: Route API not available (route.openshift.io/v1); mark it managed: false and configure it in the config bundle',
    );
  });
});

describe('a real API server accepts every rendered object (the fake, which validates as one does)', () => {
  const scenarios: [string, KubeObject[]][] = [
    ['default', renderFiles(['examples/quayregistry.yaml'])[0]],
    ['unmanaged components', renderFiles(['examples/unmanaged-components.yaml'], 'openshift', 'apps.example.com')[0]],
    ['geo-replication us', renderFiles(['examples/geo-replication/config-bundle.yaml', 'examples/geo-replication/us.yaml'])[0]],
    ['geo-replication eu', renderFiles(['examples/geo-replication/config-bundle.yaml', 'examples/geo-replication/eu.yaml'])[0]],
    ['platform kubernetes', renderRegistry(testModel({ platform: 'kubernetes', files: KUBERNETES_FILES, appsDomain: null })).objects],
  ];
  let server: FakeApiServer;
  let client: KubeClient;

  beforeEach(async () => {
    server = await FakeApiServer.start();
    openshiftCluster(server);
    client = new KubeClient(installOperator(server));
  });

  afterEach(async () => {
    await server.stop();
  });

  test.each(scenarios)('%s: server-side applied by the operator ServiceAccount into a new cluster, twice (the second a no-op)', async (_name, objects) => {
    for (const ns of new Set(objects.map((o) => o.metadata.namespace).filter(Boolean))) if (!server.get('v1', 'Namespace', undefined, ns!)) server.createNamespace(ns!);
    for (const o of objects) await client.apply(resourceType(o.apiVersion, o.kind), o);
    // A second later: an apply whose merge differs from the live object before defaulting (an omitted
    // default inside an atomic struct, an empty map) stamps a new managedFields time and so writes
    // every second, forever (kubernetes/kubernetes#121404). Rendered objects must not do that.
    server.advanceClock(1);
    const before = server.resourceVersion;
    const changed: string[] = [];
    for (const o of objects) {
      const r = await client.apply(resourceType(o.apiVersion, o.kind), o);
      if (Number(r.metadata.resourceVersion) > Number(before)) changed.push(`${o.kind}/${o.metadata.name}`);
    }
    expect(changed).toEqual([]);
    expect(server.resourceVersion).toBe(before);
  });
});
