// The storageClassName and securityContext overrides in what is rendered: the databases' claims,
// Clair's layer volume, the bucket claim; the pod securityContext of every component with pods.
import { renderRegistry } from '../../lib/synth';
import { testModel, tlsFixture } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

function render(components: Obj[], platform: 'openshift' | 'kubernetes' = 'openshift'): Obj[] {
  // Plain Kubernetes: no route or bucket provisioner, so the user's hostname, certificate and storage.
  const files: Record<string, string> =
    platform === 'kubernetes'
      ? {
          'config.yaml': 'SERVER_HOSTNAME: example-registry-quay-quay-enterprise.apps.example.com\nDISTRIBUTED_STORAGE_CONFIG: {default: [S3Storage, {host: s3.example.com, s3_bucket: quay}]}\n',
          'ssl.cert': tlsFixture('leaf.crt'),
          'ssl.key': tlsFixture('leaf.key'),
        }
      : { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n' };
  const objs = renderRegistry(testModel({ platform, files, spec: { components } })).objects as Obj[];
  validateAll(objs as never);
  return objs;
}
const find = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === `example-registry-${name}`)!;

describe('storageClassName', () => {
  const objs = render([
    { kind: 'postgres', managed: true, overrides: { storageClassName: 'fast-ssd' } },
    { kind: 'clairpostgres', managed: true, overrides: { storageClassName: 'fast-ssd-2' } },
    { kind: 'clair', managed: true, overrides: { storageClassName: 'scratch' } },
    { kind: 'objectstorage', managed: true, overrides: { storageClassName: 'ocs-storagecluster-ceph-rgw' } },
  ]);

  test('the database claims, the layer volume and the bucket claim take it', () => {
    expect(find(objs, 'PersistentVolumeClaim', 'quay-postgres-13').spec.storageClassName).toBe('fast-ssd');
    expect(find(objs, 'PersistentVolumeClaim', 'clair-postgres-15').spec.storageClassName).toBe('fast-ssd-2');
    const layers = find(objs, 'Deployment', 'clair-app').spec.template.spec.volumes.find((v: Obj) => v.name === 'indexer-layer-storage');
    expect(layers.ephemeral.volumeClaimTemplate.spec.storageClassName).toBe('scratch');
    expect(find(objs, 'ObjectBucketClaim', 'quay-datastore').spec.storageClassName).toBe('ocs-storagecluster-ceph-rgw');
  });

  test("without it: the cluster's default class for volumes, NooBaa's for the bucket", () => {
    const plain = render([]);
    expect(find(plain, 'PersistentVolumeClaim', 'quay-postgres-13').spec).not.toHaveProperty('storageClassName');
    expect(find(plain, 'ObjectBucketClaim', 'quay-datastore').spec.storageClassName).toBe('openshift-storage.noobaa.io');
  });
});

describe('securityContext', () => {
  const ids = { runAsUser: 1000680000, runAsGroup: 1000680000, fsGroup: 1000680000, supplementalGroups: [5555], fsGroupChangePolicy: 'OnRootMismatch' };
  const restricted = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
  const pod = (objs: Obj[], kind: string, name: string) => find(objs, kind, name).spec.template.spec.securityContext;

  test.each([
    ['quay', [['Deployment', 'quay-app'], ['Job', 'quay-app-upgrade'], ['Deployment', 'quay-config-editor']]],
    ['mirror', [['Deployment', 'quay-mirror']]],
    ['clair', [['Deployment', 'clair-app']]],
    ['postgres', [['Deployment', 'quay-database']]],
    ['clairpostgres', [['Deployment', 'clair-postgres']]],
    ['redis', [['Deployment', 'quay-redis']]],
  ])("%s: the ids on its pods (OpenShift too), the restrictions kept", (kind, workloads) => {
    const objs = render([{ kind, managed: true, overrides: { securityContext: ids } }]);
    for (const [k, name] of workloads) expect([name, pod(objs, k, name)]).toEqual([name, { ...restricted, ...ids }]);
  });

  test("only the component's own pods: mirror's override leaves quay-app alone, and the reverse", () => {
    const objs = render([{ kind: 'mirror', managed: true, overrides: { securityContext: { runAsUser: 4242 } } }]);
    expect(pod(objs, 'Deployment', 'quay-app')).toEqual(restricted);
    expect(pod(objs, 'Deployment', 'quay-mirror')).toEqual({ ...restricted, runAsUser: 4242 });
  });

  test('plain Kubernetes: the override replaces the image defaults it names and keeps the others', () => {
    const objs = render([{ kind: 'postgres', managed: true, overrides: { securityContext: { fsGroup: 2000 } } }], 'kubernetes');
    expect(pod(objs, 'Deployment', 'quay-database')).toEqual({ ...restricted, runAsUser: 26, runAsGroup: 26, fsGroup: 2000 });
  });
});
