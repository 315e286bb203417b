import { App, Chart } from 'cdk8s';
import { ObjectStorage, datastoreName, objectBucketFromProvisioner } from '../../constructs/object-storage';
import type { RegistryModel } from '../../lib/model';
import { testModel } from '../support/model';
import { validateAll } from '../support/schema';

function render(model: RegistryModel): any[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new ObjectStorage(chart, 'objectstorage', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function provisionerSecret(data: Record<string, string> = { AWS_ACCESS_KEY_ID: b64('ACCESS'), AWS_SECRET_ACCESS_KEY: b64('SECRET') }) {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'example-registry-quay-datastore' }, data };
}

function provisionerConfigMap(data: Record<string, string> = { BUCKET_NAME: 'quay-datastore-1234', BUCKET_HOST: 's3.openshift-storage.svc', BUCKET_PORT: '443' }) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'example-registry-quay-datastore' }, data };
}

describe('ObjectStorage', () => {
  it('renders the ObjectBucketClaim <name>-quay-datastore for NooBaa', () => {
    const model = testModel();
    const objs = render(model);
    expect(objs).toHaveLength(1);
    const [obc] = objs;
    expect(obc.apiVersion).toBe('objectbucket.io/v1alpha1');
    expect(obc.kind).toBe('ObjectBucketClaim');
    expect(obc.metadata.name).toBe('example-registry-quay-datastore');
    expect(datastoreName(model.name)).toBe('example-registry-quay-datastore');
    expect(obc.metadata.namespace).toBe('quay-enterprise');
    expect(obc.metadata.labels).toEqual({ 'quay-component': 'quay-datastore', 'quay-operator/quayregistry': 'example-registry' });
    expect(obc.spec).toEqual({
      generateBucketName: 'quay-datastore',
      storageClassName: 'openshift-storage.noobaa.io',
      additionalConfig: { bucketclass: 'noobaa-default-bucket-class' },
    });
  });

  it('renders the claim before it is bound too', () => {
    expect(render(testModel({ objectBucket: null })).map((o) => o.metadata.name)).toEqual(['example-registry-quay-datastore']);
  });

  it('takes the objectstorage override labels and annotations', () => {
    const model = testModel({ spec: { components: [{ kind: 'objectstorage', managed: true, overrides: { labels: { team: 'storage' }, annotations: { note: 'bucket' } } }] } });
    const [obc] = render(model);
    expect(obc.metadata.labels).toEqual({ team: 'storage', 'quay-component': 'quay-datastore', 'quay-operator/quayregistry': 'example-registry' });
    expect(obc.metadata.annotations).toEqual({ note: 'bucket' });
  });
});

describe('objectBucketFromProvisioner', () => {
  it('reads the credentials and expands a .svc host to .svc.cluster.local', () => {
    expect(objectBucketFromProvisioner(provisionerSecret(), provisionerConfigMap())).toEqual({
      host: 's3.openshift-storage.svc.cluster.local',
      port: 443,
      bucketName: 'quay-datastore-1234',
      accessKey: 'ACCESS',
      secretKey: 'SECRET',
    });
  });

  it('keeps an external or already qualified host as it is', () => {
    for (const host of ['s3.openshift-storage.svc.cluster.local', 's3.example.com', 'svc.example.com']) {
      expect(objectBucketFromProvisioner(provisionerSecret(), provisionerConfigMap({ BUCKET_NAME: 'b', BUCKET_HOST: host }))?.host).toBe(host);
    }
  });

  it('omits a missing or invalid port', () => {
    expect(objectBucketFromProvisioner(provisionerSecret(), provisionerConfigMap({ BUCKET_NAME: 'b', BUCKET_HOST: 'h.example.com' }))).not.toHaveProperty('port');
    expect(objectBucketFromProvisioner(provisionerSecret(), provisionerConfigMap({ BUCKET_NAME: 'b', BUCKET_HOST: 'h.example.com', BUCKET_PORT: 'x' }))).not.toHaveProperty('port');
    expect(objectBucketFromProvisioner(provisionerSecret(), provisionerConfigMap({ BUCKET_NAME: 'b', BUCKET_HOST: 'h.example.com', BUCKET_PORT: '70000' }))).not.toHaveProperty('port');
  });

  it('is undefined while the Secret or the ConfigMap is missing', () => {
    expect(objectBucketFromProvisioner(undefined, provisionerConfigMap())).toBeUndefined();
    expect(objectBucketFromProvisioner(provisionerSecret(), undefined)).toBeUndefined();
    expect(objectBucketFromProvisioner(undefined, undefined)).toBeUndefined();
  });

  it('is undefined while either is incomplete', () => {
    expect(objectBucketFromProvisioner(provisionerSecret({ AWS_ACCESS_KEY_ID: b64('ACCESS') }), provisionerConfigMap())).toBeUndefined();
    expect(objectBucketFromProvisioner(provisionerSecret({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: b64('SECRET') }), provisionerConfigMap())).toBeUndefined();
    expect(objectBucketFromProvisioner(provisionerSecret(), provisionerConfigMap({ BUCKET_HOST: 's3.example.com' }))).toBeUndefined();
    expect(objectBucketFromProvisioner(provisionerSecret(), provisionerConfigMap({ BUCKET_NAME: 'b', BUCKET_HOST: '' }))).toBeUndefined();
    expect(objectBucketFromProvisioner({ kind: 'Secret' }, provisionerConfigMap())).toBeUndefined();
    expect(objectBucketFromProvisioner(provisionerSecret(), { kind: 'ConfigMap', data: 'nonsense' })).toBeUndefined();
  });
});

describe('objectBucketFromProvisioner: values at their edges', () => {
  const withPort = (BUCKET_PORT: string) => objectBucketFromProvisioner(provisionerSecret(), provisionerConfigMap({ BUCKET_NAME: 'b', BUCKET_HOST: 'h.example.com', BUCKET_PORT }))?.port;

  it('a port is 1 to 65535, written as digits only (spaces around are trimmed)', () => {
    expect(withPort('1')).toBe(1);
    expect(withPort('65535')).toBe(65535);
    expect(withPort(' 8443 ')).toBe(8443);
    for (const bad of ['0', '65536', '99999', '80x', 'x80', '-1', '1e3', '']) expect(withPort(bad)).toBeUndefined();
  });

  it('values are trimmed; a blank one is missing', () => {
    const secret = provisionerSecret({ AWS_ACCESS_KEY_ID: b64(' ACCESS '), AWS_SECRET_ACCESS_KEY: b64('SECRET\n') });
    expect(objectBucketFromProvisioner(secret, provisionerConfigMap({ BUCKET_NAME: ' b ', BUCKET_HOST: ' h.example.com ' }))).toEqual({
      host: 'h.example.com',
      bucketName: 'b',
      accessKey: 'ACCESS',
      secretKey: 'SECRET',
    });
    expect(objectBucketFromProvisioner(provisionerSecret(), provisionerConfigMap({ BUCKET_NAME: '  ', BUCKET_HOST: 'h.example.com' }))).toBeUndefined();
  });

  it("a ConfigMap whose data is not a mapping has no bucket", () => {
    for (const data of [null, ['BUCKET_NAME'], 'BUCKET_NAME=b']) {
      expect(objectBucketFromProvisioner(provisionerSecret(), { ...provisionerConfigMap(), data } as never)).toBeUndefined();
    }
  });
});

describe('ObjectStorage: the storageClassName override', () => {
  it('replaces NooBaa\'s class', () => {
    const [obc] = render(testModel({ spec: { components: [{ kind: 'objectstorage', managed: true, overrides: { storageClassName: 'ceph-bucket' } }] } }));
    expect(obc.spec.storageClassName).toBe('ceph-bucket');
  });
});
