// spec.backup.destination.objectStorage: the bucket resolved from what the registry already has (the
// managed bucket's claim, or an S3-compatible location of config.yaml; the others refused, naming the
// field and why), the CronJob and restore Jobs rendered with references only (no credential in any
// render; an unmanaged location's Secret among the credentials the controller applies), and the
// Python program those pods run, run here by python3 against a fake S3 server that checks every
// request's SigV4 signature: upload, retention, multipart, retries, the region of an AWS bucket, a
// private CA, inspect and download (then the restore script on what was downloaded).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKUP_SCRIPT, keysDigest } from '../../constructs/backup';
import { OBJECT_STORAGE_PY, backupStorageSecretName } from '../../constructs/backup-object-storage';
import { INSPECT_SCRIPT, RESTORE_SCRIPT, renderRestoreJob } from '../../constructs/restore';
import { resolveBackupObjectStore } from '../../lib/config/backup-storage';
import { judgeDump } from '../../lib/controller/restore';
import { DEFAULT_IMAGES } from '../../lib/images';
import { buildModel } from '../../lib/model';
import { renderCredentials, renderRegistry } from '../../lib/synth';
import { credentialLeaks, forbiddenValues } from '../support/credential-scan';
import { FakeS3 } from '../support/fake-s3';
import { testBundle, testEnvironment, testModel } from '../support/model';
import { validateAll } from '../support/schema';
import { BACKUP_ENV } from '../support/backup-env';

type Obj = Record<string, any>;
const MANAGED = { schedule: '0 3 * * *', retention: 3, components: ['postgres', 'clairpostgres'], destination: { objectStorage: {} } };
const UNMANAGED_CONFIG = [
  'SERVER_HOSTNAME: quay.example.com',
  'DISTRIBUTED_STORAGE_CONFIG:',
  '  local: [LocalStorage, {storage_path: /datastorage/registry}]',
  '  s3Storage: [S3Storage, {host: s3.eu-central-1.amazonaws.com, s3_access_key: AKIAEXAMPLEUNMANAGED, s3_secret_key: "unmanaged/Secret+Key0123456789", s3_bucket: quay-bucket-example, storage_path: /datastorage/registry}]',
  'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [local]',
  'DISTRIBUTED_STORAGE_PREFERENCE: [local]',
  '',
].join('\n');
const unmanaged = (backup: Obj = { schedule: '@daily', destination: { objectStorage: { prefix: 'backups/quay' } } }, config = UNMANAGED_CONFIG) =>
  testModel({ files: { 'config.yaml': config }, spec: { backup, components: [{ kind: 'objectstorage', managed: false }] } });
const cronJobs = (objects: Obj[]) => objects.filter((o) => o.kind === 'CronJob');
const podOf = (cron: Obj) => cron.spec.jobTemplate.spec.template.spec;

describe('the bucket', () => {
  const problems = (config: string, objectStorage: Obj = {}, components: Obj[] = [{ kind: 'objectstorage', managed: false }]) => {
    const r = buildModel({
      registry: { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'example-registry', namespace: 'quay-enterprise' }, spec: { configBundleSecret: 'b', components, backup: { schedule: '@daily', destination: { objectStorage } } } },
      bundle: testBundle({ 'config.yaml': `SERVER_HOSTNAME: quay.example.com\n${config}` }),
      environment: testEnvironment(),
    });
    return r.problems.map((p) => `${p.path}: ${p.message}`);
  };
  const resolve = (config: string, location?: string) =>
    resolveBackupObjectStore({ schedule: '@daily', destination: { objectStorage: location ? { location } : {} } }, { objectstorage: { kind: 'objectstorage', managed: false } as never }, testBundle({ 'config.yaml': config }));

  test('managed: the claim\'s bucket, nothing resolved from config.yaml; a location is refused', () => {
    expect(resolveBackupObjectStore(MANAGED as never, { objectstorage: { kind: 'objectstorage', managed: true } as never }, { config: {} })).toEqual({ store: { kind: 'managed' }, problems: [] });
    expect(problems('', { location: 'default' }, [])).toEqual([
      "spec.backup.destination.objectStorage.location: objectstorage is managed: dumps go to its bucket (the ObjectBucketClaim's); a location of DISTRIBUTED_STORAGE_CONFIG applies only with objectstorage unmanaged. Remove location",
    ]);
  });

  test('unmanaged, no location named: the first S3-compatible one (default locations, preference, then config order)', () => {
    expect(resolve(UNMANAGED_CONFIG).store).toEqual({
      kind: 'location',
      location: 's3Storage',
      driver: 'S3Storage',
      endpoint: 'https://s3.eu-central-1.amazonaws.com',
      bucket: 'quay-bucket-example',
      // From the AWS host name: Quay's boto3 follows a bucket's region by itself, a SigV4 signature must name it.
      region: 'eu-central-1',
      accessKey: 'AKIAEXAMPLEUNMANAGED',
      secretKey: 'unmanaged/Secret+Key0123456789',
    });
    const two = 'DISTRIBUTED_STORAGE_CONFIG:\n  a: [RadosGWStorage, {hostname: a.example.com, is_secure: true, access_key: ak, secret_key: sk, bucket_name: ba}]\n  b: [RHOCSStorage, {hostname: b.example.com, port: "8443", is_secure: true, access_key: ak, secret_key: sk, bucket_name: bb}]\nDISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [b]\n';
    expect(resolve(two).store).toMatchObject({ location: 'b', endpoint: 'https://b.example.com:8443', bucket: 'bb', region: 'us-east-1' });
  });

  test.each([
    ['RadosGWStorage, is_secure "false" and a port', "[RadosGWStorage, {hostname: rgw.example.com, is_secure: 'false', port: '8080', access_key: ak, secret_key: sk, bucket_name: b}]", { endpoint: 'http://rgw.example.com:8080', region: 'us-east-1' }],
    ['IBMCloudStorage', '[IBMCloudStorage, {hostname: s3.us-south.cloud-object-storage.appdomain.cloud, is_secure: true, access_key: ak, secret_key: sk, bucket_name: b}]', { endpoint: 'https://s3.us-south.cloud-object-storage.appdomain.cloud' }],
    ['S3Storage with endpoint_url and s3_region (MinIO)', '[S3Storage, {endpoint_url: "http://minio.example.com:9000/", s3_region: eu-west-1, s3_access_key: ak, s3_secret_key: sk, s3_bucket: b}]', { endpoint: 'http://minio.example.com:9000', region: 'eu-west-1' }],
    ['S3Storage on AWS without host: the region\'s endpoint', '[S3Storage, {s3_region: us-west-2, s3_access_key: ak, s3_secret_key: sk, s3_bucket: b}]', { endpoint: 'https://s3.us-west-2.amazonaws.com', region: 'us-west-2' }],
    ['CloudFrontedS3Storage: its S3 bucket', '[CloudFrontedS3Storage, {cloudfront_distribution_domain: d.cloudfront.net, cloudfront_key_id: K, cloudfront_privatekey_filename: k.pem, host: s3.amazonaws.com, s3_access_key: ak, s3_secret_key: sk, s3_bucket: b}]', { endpoint: 'https://s3.amazonaws.com', region: 'us-east-1' }],
    ['GoogleCloudStorage: the XML API with HMAC keys', '[GoogleCloudStorage, {access_key: GOOG1, secret_key: sk, bucket_name: b, storage_path: /x}]', { endpoint: 'https://storage.googleapis.com', region: 'auto' }],
  ])('%s', (_what, entry, expected) => {
    expect(resolve(`DISTRIBUTED_STORAGE_CONFIG:\n  loc: ${entry}\n`, 'loc').store).toMatchObject({ kind: 'location', location: 'loc', bucket: 'b', ...expected });
  });

  test.each([
    ['LocalStorage', '[LocalStorage, {storage_path: /datastorage/registry}]', "location `loc` is local storage: a directory inside Quay's own pods, which no other pod can reach; the backups need an S3-compatible location: Amazon S3 (also behind CloudFront, Cloudflare or Akamai), Ceph RadosGW, NooBaa (OpenShift Data Foundation), IBM Cloud Object Storage, Google Cloud Storage"],
    ['AzureStorage', '[AzureStorage, {azure_container: c, azure_account_name: n, azure_account_key: k, storage_path: /x}]', 'location `loc` is Azure Blob Storage, which has its own API, not the S3 API the backup pods speak;'],
    ['SwiftStorage', '[SwiftStorage, {swift_user: u, swift_password: p, swift_container: c, auth_url: "https://example.org/swift/v1", storage_path: /x}]', 'location `loc` is OpenStack Swift, which has its own API'],
    ['STSS3Storage', '[STSS3Storage, {sts_role_arn: arn, s3_bucket: b, storage_path: /x}]', 'location `loc` is S3 through AWS STS: its keys are exchanged for temporary ones (sts_role_arn)'],
    ['a driver Quay does not have', '[FancyStorage, {bucket: b}]', 'location `loc` is of a driver not known to speak the S3 API;'],
    ['an S3Storage without keys (the pod\'s cloud identity)', '[S3Storage, {s3_bucket: b, storage_path: /x}]', "location `loc` has no s3_access_key, s3_secret_key (without keys Quay uses its pods' own cloud identity, which the backup pods do not have)"],
    ['a RadosGWStorage without hostname', '[RadosGWStorage, {access_key: a, secret_key: s, bucket_name: b, is_secure: true}]', 'location `loc` has no hostname'],
  ])('refused, naming the field and why: %s', (_what, entry, message) => {
    const found = problems(`DISTRIBUTED_STORAGE_CONFIG:\n  loc: ${entry}\nDISTRIBUTED_STORAGE_PREFERENCE: [loc]\n`, { location: 'loc' });
    expect(found).toHaveLength(1);
    expect(found[0].startsWith(`spec.backup.destination.objectStorage.location: ${message}`)).toBe(true);
  });

  test('an unknown location names those there are; none S3-compatible says each one\'s reason', () => {
    expect(problems('DISTRIBUTED_STORAGE_CONFIG:\n  default: [LocalStorage, {storage_path: /d}]\nDISTRIBUTED_STORAGE_PREFERENCE: [default]\n', { location: 'elsewhere' })).toEqual([
      "spec.backup.destination.objectStorage.location: `elsewhere` is not a location of config.yaml's DISTRIBUTED_STORAGE_CONFIG (it has `default`)",
    ]);
    expect(problems('DISTRIBUTED_STORAGE_CONFIG:\n  default: [LocalStorage, {storage_path: /d}]\nDISTRIBUTED_STORAGE_PREFERENCE: [default]\n')).toEqual([
      "spec.backup.destination.objectStorage: no location of config.yaml's DISTRIBUTED_STORAGE_CONFIG can take the backups: location `default` is local storage: a directory inside Quay's own pods, which no other pod can reach; the backups need an S3-compatible location: Amazon S3 (also behind CloudFront, Cloudflare or Akamai), Ceph RadosGW, NooBaa (OpenShift Data Foundation), IBM Cloud Object Storage, Google Cloud Storage",
    ]);
  });
});

describe('rendered', () => {
  const managed = testModel({ spec: { backup: MANAGED } });
  const objects = renderRegistry(managed).objects as Obj[];

  test('managed bucket: pg_dump in an init container (the PVC script, on an emptyDir), the upload on the Quay image, the claim\'s Secret and ConfigMap by reference', () => {
    const crons = cronJobs(objects);
    expect(crons.map((c) => c.metadata.name)).toEqual(['example-registry-clairpostgres-backup', 'example-registry-postgres-backup']);
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name.includes('backup'))).toEqual([]);
    const pod = podOf(crons.find((c) => c.metadata.name === 'example-registry-postgres-backup')!);
    expect(pod.affinity).toBeUndefined();
    expect(crons[1].spec.jobTemplate.spec.template.metadata.labels).toEqual({ 'quay-component': 'postgres-backup', 'quay-operator/quayregistry': 'example-registry' });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes).toEqual([
      { name: 'backups', emptyDir: {} },
      {
        name: 'extra-ca-certs',
        projected: {
          sources: [
            { configMap: { name: 'example-registry-cluster-service-ca', items: [{ key: 'service-ca.crt', path: 'service-ca.crt' }], optional: true } },
            { configMap: { name: 'example-registry-cluster-trusted-ca', items: [{ key: 'ca-bundle.crt', path: 'ca-bundle.crt' }], optional: true } },
          ],
        },
      },
    ]);
    const [dump] = pod.initContainers;
    expect(dump).toMatchObject({ name: 'backup', image: DEFAULT_IMAGES.postgres, command: ['/bin/bash', '-c', BACKUP_SCRIPT], volumeMounts: [{ name: 'backups', mountPath: '/backups' }], terminationMessagePolicy: 'FallbackToLogsOnError' });
    expect(dump.env).toContainEqual({ name: 'KEYS_DIGEST', value: keysDigest(managed) });
    const [upload] = pod.containers;
    const cm = (key: string, optional = false) => ({ configMapKeyRef: { name: 'example-registry-quay-datastore', key, ...(optional ? { optional: true } : {}) } });
    const secret = (key: string) => ({ secretKeyRef: { name: 'example-registry-quay-datastore', key } });
    expect(upload).toEqual({
      name: 'upload',
      image: DEFAULT_IMAGES.quay,
      imagePullPolicy: 'IfNotPresent',
      command: ['python3', '-c', OBJECT_STORAGE_PY, 'upload'],
      env: [
        { name: 'BACKUP_DIR', value: '/backups' },
        { name: 'TERMINATION_LOG', value: '/dev/termination-log' },
        { name: 'REGISTRY_NAME', value: 'example-registry' },
        { name: 'COMPONENT', value: 'postgres' },
        { name: 'RETENTION', value: '3' },
        { name: 'OBJECT_PREFIX', value: 'quay-operator-backups/quay-enterprise/example-registry/' },
        { name: 'CA_DIR', value: '/certs' },
        { name: 'BUCKET_HOST', valueFrom: cm('BUCKET_HOST') },
        { name: 'BUCKET_PORT', valueFrom: cm('BUCKET_PORT', true) },
        { name: 'BUCKET_NAME', valueFrom: cm('BUCKET_NAME') },
        { name: 'AWS_ACCESS_KEY_ID', valueFrom: secret('AWS_ACCESS_KEY_ID') },
        { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: secret('AWS_SECRET_ACCESS_KEY') },
      ],
      resources: { requests: { cpu: '100m', memory: '128Mi' } },
      securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
      terminationMessagePolicy: 'FallbackToLogsOnError',
      volumeMounts: [
        { name: 'backups', mountPath: '/backups' },
        { name: 'extra-ca-certs', mountPath: '/certs', readOnly: true },
      ],
    });
    // The bucket's keys are known to the model (bound claim) and appear nowhere; no Secret of ours for it.
    expect(credentialLeaks(objects, forbiddenValues(managed))).toEqual([]);
    expect(renderCredentials(managed).map((o) => o.metadata.name)).not.toContain(backupStorageSecretName(managed));
  });

  test('managed bucket not bound yet: the same references (the pods wait for them, as Quay\'s do)', () => {
    const unbound = renderRegistry(testModel({ objectBucket: null, spec: { backup: MANAGED } })).objects as Obj[];
    expect(cronJobs(unbound).map((c) => podOf(c).containers[0].env)).toEqual(cronJobs(objects).map((c) => podOf(c).containers[0].env));
  });

  test('unmanaged location: the Secret <registry>-quay-backup-storage among the credentials, the render holds no value of config.yaml', () => {
    const model = unmanaged();
    const rendered = renderRegistry(model).objects as Obj[];
    const [cron] = cronJobs(rendered);
    const upload = podOf(cron).containers[0];
    const ref = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: 'example-registry-quay-backup-storage', key } } });
    expect(upload.env.slice(5)).toEqual([
      { name: 'OBJECT_PREFIX', value: 'backups/quay/quay-enterprise/example-registry/' },
      { name: 'CA_DIR', value: '/certs' },
      ref('S3_ENDPOINT'),
      ref('S3_REGION'),
      ref('BUCKET_NAME'),
      ref('AWS_ACCESS_KEY_ID'),
      ref('AWS_SECRET_ACCESS_KEY'),
    ]);
    // Off OpenShift-specific CAs here too: the pods trust what Quay trusts.
    expect(podOf(cron).volumes.map((v: Obj) => v.name)).toEqual(['backups', 'extra-ca-certs']);
    expect(credentialLeaks(rendered, forbiddenValues(model))).toEqual([]);
    expect(rendered.filter((o) => o.kind === 'Secret')).toEqual([]);
    const secret = renderCredentials(model).find((o) => o.metadata.name === 'example-registry-quay-backup-storage') as Obj;
    expect(secret.metadata).toEqual({ name: 'example-registry-quay-backup-storage', namespace: 'quay-enterprise', labels: { 'quay-component': 'backup', 'quay-operator/quayregistry': 'example-registry' } });
    expect(Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))).toEqual({
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEUNMANAGED',
      AWS_SECRET_ACCESS_KEY: 'unmanaged/Secret+Key0123456789',
      BUCKET_NAME: 'quay-bucket-example',
      S3_ENDPOINT: 'https://s3.eu-central-1.amazonaws.com',
      S3_REGION: 'eu-central-1',
    });
  });

  test('restore Jobs: inspect on the Quay image alone; restore downloads in an init container, then the restore script on the emptyDir', () => {
    const request = { dump: 'example-registry-postgres-20260101T030000Z-v3.17.3.dump', component: 'postgres' as const };
    const [inspect] = renderRestoreJob(managed, request, 'inspect') as Obj[];
    const [restore] = renderRestoreJob(managed, request, 'restore') as Obj[];
    const ipod = inspect.spec.template.spec;
    expect(ipod.initContainers).toBeUndefined();
    expect(ipod.containers.map((c: Obj) => [c.name, c.image, c.command.slice(-1)[0]])).toEqual([['inspect', DEFAULT_IMAGES.quay, 'inspect']]);
    expect(ipod.volumes.map((v: Obj) => v.name)).toEqual(['extra-ca-certs']);
    expect(ipod.containers[0].env).toContainEqual({ name: 'DUMP', value: request.dump });
    expect(ipod.containers[0].env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'example-registry-quay-datastore', key: 'AWS_SECRET_ACCESS_KEY' } } });
    const rpod = restore.spec.template.spec;
    expect(rpod.initContainers.map((c: Obj) => [c.name, c.image, c.command.slice(-1)[0]])).toEqual([['download', DEFAULT_IMAGES.quay, 'download']]);
    expect(rpod.containers.map((c: Obj) => [c.name, c.image, c.command])).toEqual([['restore', DEFAULT_IMAGES.postgres, ['/bin/bash', '-c', RESTORE_SCRIPT]]]);
    expect(rpod.containers[0].env).toContainEqual({ name: 'BACKUP_DIR', value: '/backups' });
    expect(rpod.containers[0].env).toContainEqual({ name: 'PGUSER', value: 'postgres' });
    expect(rpod.volumes.map((v: Obj) => v.name)).toEqual(['backups', 'extra-ca-certs']);
    expect(restore.spec.template.metadata.labels['quay-component']).toBe('postgres-restore');
    // Who mounts what, and asks for how much: the download stages into the emptyDir over TLS, the
    // restore reads the emptyDir only.
    const mounts = (c: Obj) => [c.name, (c.volumeMounts ?? []).map((m: Obj) => m.name), c.resources.requests];
    expect([...ipod.containers, ...rpod.initContainers, ...rpod.containers].map(mounts)).toEqual([
      ['inspect', ['extra-ca-certs'], { cpu: '10m', memory: '32Mi' }],
      ['download', ['backups', 'extra-ca-certs'], { cpu: '100m', memory: '64Mi' }],
      ['restore', ['backups'], { cpu: '500m', memory: '512Mi' }],
    ]);
    expect(credentialLeaks([inspect, restore], forbiddenValues(managed))).toEqual([]);
  });

  test('valid against the schemas', () => {
    const request = { dump: 'example-registry-postgres-20260101T030000Z-v3.17.3.dump', component: 'postgres' as const };
    const model = unmanaged();
    expect(() => validateAll([...objects, ...renderRegistry(model).objects, ...renderCredentials(model), ...renderRestoreJob(managed, request, 'inspect'), ...renderRestoreJob(model, request, 'restore')])).not.toThrow();
  });

  test("a restore's messages name the bucket by what holds it and the prefix, not by its name", () => {
    const dump = 'example-registry-postgres-20260102T030000Z-v3.17.3.dump';
    expect(judgeDump(managed, dump, 'postgres', { found: false, available: [] }).refused).toBe(
      `dump ${dump} is not in the managed bucket (ObjectBucketClaim example-registry-quay-datastore) under quay-operator-backups/quay-enterprise/example-registry/; this registry has no dump there`,
    );
    expect(judgeDump(unmanaged(), dump, 'postgres', { found: false, available: [] }).refused).toBe(
      `dump ${dump} is not in the bucket of location \`s3Storage\` (config.yaml's DISTRIBUTED_STORAGE_CONFIG) under backups/quay/quay-enterprise/example-registry/; this registry has no dump there`,
    );
  });
});

// ------------------------------------------------------------------------------- the program

// Each program test starts python3 (and bash) several times: seconds on a loaded machine, past
// Jest's 5 s default (a mutation re-check on two busy cores timed out unmutated).
jest.setTimeout(30_000);

const python = spawnSync('python3', ['--version']).status === 0;
const withPython = python ? describe : describe.skip;
const hasBash = spawnSync('bash', ['-c', 'true']).status === 0;

/** Runs a command without blocking the event loop (the fake S3 server answers in this process). */
function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

const BUCKET = { bucket: 'quay-backups-test', accessKey: 'AKIATESTBUCKETKEY', secretKey: 'test/Secret+Key/0123456789abcdef' };
const PREFIX = 'quay-operator-backups/quay-enterprise/example-registry/';

withPython('the program (python3) against a fake S3 that checks SigV4', () => {
  let dir: string;
  let s3: FakeS3;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-s3-'));
    fs.mkdirSync(path.join(dir, 'backups'));
  });
  afterEach(async () => {
    await s3?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const termination = () => (fs.existsSync(path.join(dir, 'termination-log')) ? fs.readFileSync(path.join(dir, 'termination-log'), 'utf8') : '');
  const bucketEnv = (extra: Record<string, string> = {}) => ({
    S3_ENDPOINT: s3.endpoint,
    BUCKET_NAME: BUCKET.bucket,
    AWS_ACCESS_KEY_ID: BUCKET.accessKey,
    AWS_SECRET_ACCESS_KEY: BUCKET.secretKey,
    OBJECT_PREFIX: PREFIX,
    RETRY_SECONDS: '0.05',
    BACKUP_DIR: path.join(dir, 'backups'),
    TERMINATION_LOG: path.join(dir, 'termination-log'),
    REGISTRY_NAME: 'example-registry',
    ...extra,
  });
  const py = (action: string, env: Record<string, string>) => run('python3', ['-c', OBJECT_STORAGE_PY, action], env);
  /** What the init container leaves in the emptyDir: the PVC flow's script with a pg_dump stand-in. */
  async function staged(content = 'PGDMP-example-registry-quay-database'): Promise<{ dump: string; metadata: string }> {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'pg_dump'), `#!/bin/bash\nfor a in "$@"; do case "$a" in --file=*) printf '%s' "$DUMP_CONTENT" > "\${a#--file=}";; esac; done\n`, { mode: 0o755 });
    const r = await run('bash', ['-c', BACKUP_SCRIPT], {
      PATH: `${bin}:${process.env.PATH}`,
      DUMP_CONTENT: content,
      BACKUP_DIR: path.join(dir, 'backups'),
      TERMINATION_LOG: path.join(dir, 'init-termination-log'),
      ...BACKUP_ENV,
    });
    expect(r.code).toBe(0);
    const dump = fs.readdirSync(path.join(dir, 'backups')).find((f) => f.endsWith('.dump'))!;
    return { dump, metadata: fs.readFileSync(path.join(dir, 'backups', `${dump}.json`), 'utf8') };
  }
  const uploadEnv = (extra: Record<string, string> = {}) => bucketEnv({ COMPONENT: 'postgres', RETENTION: '2', ...extra });
  /** No request refused for its signature, and host and payload hash signed in each. */
  const allSigned = () => s3.requests.every((r) => (r.error === undefined ? r.signedHeaders!.includes('host') && r.signedHeaders!.includes('x-amz-content-sha256') : r.error === 'NoSuchKey'));

  (hasBash ? test : test.skip)('upload: the dump and its metadata under the prefix, the metadata as termination message (as the PVC flow), every request signed', async () => {
    s3 = await FakeS3.start(BUCKET);
    const { dump, metadata } = await staged();
    const r = await py('upload', uploadEnv());
    expect(r.code).toBe(0);
    expect(s3.keys()).toEqual([`${PREFIX}${dump}`, `${PREFIX}${dump}.json`]);
    expect(s3.objects.get(`${PREFIX}${dump}`)!.body.toString()).toBe('PGDMP-example-registry-quay-database');
    expect(s3.objects.get(`${PREFIX}${dump}.json`)!.body.toString()).toBe(metadata);
    expect(termination()).toBe(metadata);
    expect(JSON.parse(termination())).toMatchObject({ dump, registry: 'example-registry', namespace: 'quay-enterprise', size: 36, format: 'pg_dump-custom' });
    expect(r.out).toContain(`done: ${dump} (36 bytes)`);
    expect(allSigned()).toBe(true);
    expect(r.out).not.toContain(BUCKET.secretKey);
    expect(r.out).not.toContain(BUCKET.bucket);
  });

  (hasBash ? test : test.skip)("retention: the newest N of this registry's dumps of this database, their metadata with them, listed page by page; no one else's", async () => {
    s3 = await FakeS3.start({ ...BUCKET, maxKeys: 2 });
    const keep = [`${PREFIX}example-registry-clairpostgres-20200101T000000Z-v3.17.3.dump`, 'quay-operator-backups/quay-enterprise/other/other-postgres-20200101T000000Z-v3.17.3.dump', `${PREFIX}notes.txt`];
    const old = ['20200101T000000Z-v3.16.0', '20200102T000000Z-v3.16.0', '20200103T000000Z-v3.17.3'].map((t) => `${PREFIX}example-registry-postgres-${t}.dump`);
    for (const k of [...keep, ...old]) {
      s3.put(k, 'x');
      s3.put(`${k}.json`, '{}');
    }
    const { dump } = await staged();
    const r = await py('upload', uploadEnv());
    expect(r.code).toBe(0);
    expect(s3.keys().filter((k) => k.startsWith(`${PREFIX}example-registry-postgres-`) && k.endsWith('.dump'))).toEqual([old[2], `${PREFIX}${dump}`]);
    for (const k of keep) expect(s3.keys()).toContain(k);
    expect(s3.keys()).not.toContain(`${old[0]}.json`);
    expect(r.out).toContain(`retention: removing ${old[1].slice(PREFIX.length)}`);
    expect(s3.requests.filter((q) => q.method === 'GET' && q.key === '').length).toBeGreaterThan(1);
    expect(allSigned()).toBe(true);
  });

  (hasBash ? test : test.skip)('a dump larger than PART_SIZE: a multipart upload, the same bytes; a refused part aborts it', async () => {
    s3 = await FakeS3.start(BUCKET);
    const content = Array.from({ length: 2500 }, (_, i) => String.fromCharCode(33 + (i % 90))).join('');
    const { dump } = await staged(content);
    const r = await py('upload', uploadEnv({ PART_SIZE: '1000' }));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`uploaded ${PREFIX}${dump} in 3 parts`);
    expect(s3.objects.get(`${PREFIX}${dump}`)!.body.toString()).toBe(content);
    expect(s3.requests.filter((q) => q.query.partNumber).map((q) => q.query.partNumber)).toEqual(['1', '2', '3']);

    // The second part refused (a 403 is not tried again): the upload is aborted, nothing left behind.
    s3.failNext(1, 403, (q) => q.query.partNumber === '2');
    const refused = await py('upload', uploadEnv({ PART_SIZE: '1000', OBJECT_PREFIX: 'other/' }));
    expect(refused.code).toBe(1);
    expect(refused.out.trim().split('\n').pop()).toBe(`object storage: PUT other/${dump}: HTTP 403 AccessDenied: Access Denied`);
    expect(s3.openUploads()).toBe(0);
    expect(s3.keys().filter((k) => k.startsWith('other/'))).toEqual([]);
    expect(s3.requests.filter((q) => q.method === 'DELETE' && q.query.uploadId)).toHaveLength(1);
  });

  (hasBash ? test : test.skip)('a 503 is tried again; a wrong secret key fails with the S3 error code, and says neither key nor bucket', async () => {
    s3 = await FakeS3.start(BUCKET);
    await staged();
    s3.failNext(2, 503);
    const r = await py('upload', uploadEnv());
    expect(r.code).toBe(0);
    expect(r.out).toContain('HTTP 503 SlowDown: Please reduce your request rate.; trying again');
    expect(s3.keys()).toHaveLength(2);

    fs.rmSync(path.join(dir, 'termination-log'));
    const wrong = await py('upload', uploadEnv({ AWS_SECRET_ACCESS_KEY: 'not-the-right-secret-key' }));
    expect(wrong.code).toBe(1);
    expect(wrong.out.trim().split('\n').pop()).toMatch(/^object storage: PUT quay-operator-backups\/quay-enterprise\/example-registry\/example-registry-postgres-\d{8}T\d{6}Z-v3\.17\.3\.dump: HTTP 403 SignatureDoesNotMatch: The request signature we calculated does not match/);
    expect(s3.requests.pop()).toMatchObject({ status: 403, error: 'SignatureDoesNotMatch' });
    for (const secret of ['not-the-right-secret-key', BUCKET.secretKey, BUCKET.accessKey, BUCKET.bucket]) expect(wrong.out).not.toContain(secret);
    expect(termination()).toBe('');
  });

  (hasBash ? test : test.skip)('an AWS bucket in another region than configured: followed once (x-amz-bucket-region)', async () => {
    s3 = await FakeS3.start({ ...BUCKET, region: 'eu-central-1' });
    await staged();
    const r = await py('upload', uploadEnv({ S3_REGION: 'us-east-1' }));
    expect(r.code).toBe(0);
    expect(r.out).toContain('the bucket is in region eu-central-1, not us-east-1: signing for it');
    expect(s3.requests.filter((q) => q.error === 'AuthorizationHeaderMalformed')).toHaveLength(1);
  });

  (hasBash ? test : test.skip)("the managed bucket's variables over TLS: trusted through CA_DIR (as the service CA is), refused without it", async () => {
    const fixtures = path.join(__dirname, '../fixtures/backup-s3');
    s3 = await FakeS3.start({ ...BUCKET, tls: { cert: fs.readFileSync(path.join(fixtures, 'localhost.crt'), 'utf8'), key: fs.readFileSync(path.join(fixtures, 'localhost.key'), 'utf8') } });
    await staged();
    const cas = path.join(dir, 'certs');
    fs.mkdirSync(cas);
    fs.copyFileSync(path.join(fixtures, 'ca.crt'), path.join(cas, 'service-ca.crt'));
    fs.writeFileSync(path.join(cas, 'not-a-certificate'), 'hello');
    const port = new URL(s3.endpoint).port;
    const managedEnv = { ...uploadEnv(), S3_ENDPOINT: '', BUCKET_HOST: 'localhost', BUCKET_PORT: port };
    const refused = await py('upload', { ...managedEnv, CA_DIR: path.join(dir, 'none') });
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('CERTIFICATE_VERIFY_FAILED');
    const r = await py('upload', { ...managedEnv, CA_DIR: cas });
    expect(r.code).toBe(0);
    expect(r.out).toContain('ignoring not-a-certificate: not a PEM certificate');
    expect(s3.keys()).toHaveLength(2);
  });

  (hasBash ? test : test.skip)('inspect: the same report as the PVC script; or not found, this registry\'s newest first', async () => {
    s3 = await FakeS3.start({ ...BUCKET, maxKeys: 3 });
    const { dump, metadata } = await staged();
    expect((await py('upload', uploadEnv())).code).toBe(0);
    const found = await py('inspect', bucketEnv({ DUMP: dump }));
    expect(found.code).toBe(0);
    expect(JSON.parse(termination())).toEqual({ found: true, actualSize: 36, metadata: JSON.parse(metadata) });
    // Byte for byte what INSPECT_SCRIPT writes for the same files on a claim.
    const pvc = await run('bash', ['-c', INSPECT_SCRIPT], { BACKUP_DIR: path.join(dir, 'backups'), TERMINATION_LOG: path.join(dir, 'pvc-log'), DUMP: dump, REGISTRY_NAME: 'example-registry' });
    expect(pvc.code).toBe(0);
    expect(termination()).toBe(fs.readFileSync(path.join(dir, 'pvc-log'), 'utf8'));

    s3.put(`${PREFIX}example-registry-clairpostgres-20990101T000000Z-v3.17.3.dump`, 'x');
    s3.put(`${PREFIX}example-registry-postgres-20000101T000000Z-v3.17.3.dump`, 'x');
    s3.put(`${PREFIX}example-registry-postgres-20000101T000000Z-v3.17.3.dump.json`, '{}');
    const missing = await py('inspect', bucketEnv({ DUMP: 'example-registry-postgres-20500101T000000Z-v3.17.3.dump' }));
    expect(missing.code).toBe(0);
    expect(JSON.parse(termination())).toEqual({ found: false, available: ['example-registry-clairpostgres-20990101T000000Z-v3.17.3.dump', dump, 'example-registry-postgres-20000101T000000Z-v3.17.3.dump'] });
    // A dump without its metadata is not found either (the upload writes the metadata last).
    s3.objects.delete(`${PREFIX}${dump}.json`);
    await py('inspect', bucketEnv({ DUMP: dump }));
    expect(JSON.parse(termination()).found).toBe(false);
    expect(allSigned()).toBe(true);
  });

  (hasBash ? test : test.skip)('download, then the restore script on the emptyDir: one transaction, as from a claim; a missing dump fails', async () => {
    s3 = await FakeS3.start(BUCKET);
    const { dump } = await staged();
    expect((await py('upload', uploadEnv())).code).toBe(0);
    const restoreDir = path.join(dir, 'restore');
    fs.mkdirSync(restoreDir);
    const r = await py('download', bucketEnv({ DUMP: dump, BACKUP_DIR: restoreDir }));
    expect(r.code).toBe(0);
    expect(fs.readdirSync(restoreDir).sort()).toEqual([dump, `${dump}.json`]);
    expect(fs.readFileSync(path.join(restoreDir, dump), 'utf8')).toBe('PGDMP-example-registry-quay-database');
    const bin = path.join(dir, 'bin');
    fs.writeFileSync(path.join(bin, 'pg_restore'), '#!/bin/bash\necho "CREATE TABLE restored_from (name text);"\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'psql'), `#!/bin/bash\ncat > "${dir}/psql-stdin"\n`, { mode: 0o755 });
    const restored = await run('bash', ['-c', RESTORE_SCRIPT], { PATH: `${bin}:${process.env.PATH}`, BACKUP_DIR: restoreDir, TERMINATION_LOG: path.join(dir, 'restore-log'), DUMP: dump, REGISTRY_NAME: 'example-registry', PGHOST: 'h', PGDATABASE: 'd', DB_OWNER: 'o' });
    expect(restored.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'psql-stdin'), 'utf8')).toContain('CREATE TABLE restored_from (name text);\nCOMMIT;');

    const missing = await py('download', bucketEnv({ DUMP: 'example-registry-postgres-20500101T000000Z-v3.17.3.dump', BACKUP_DIR: restoreDir }));
    expect(missing.code).toBe(1);
    expect(missing.out.trim()).toBe(`example-registry-postgres-20500101T000000Z-v3.17.3.dump is not in the bucket under ${PREFIX}`);
  });

  test('the fake refuses what S3 refuses: a signature made with another key, an unsigned payload hash, another access key', async () => {
    s3 = await FakeS3.start(BUCKET);
    s3.put(`${PREFIX}x.dump`, 'x');
    s3.put(`${PREFIX}x.dump.json`, '{}');
    fs.mkdirSync(path.join(dir, 'restore'));
    const get = (env: Record<string, string>) => py('download', bucketEnv({ DUMP: 'x.dump', BACKUP_DIR: path.join(dir, 'restore'), ...env }));
    expect((await get({ AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) })).out).toContain('HTTP 403 SignatureDoesNotMatch');
    expect((await get({ AWS_ACCESS_KEY_ID: 'AKIAOTHER' })).out).toContain('HTTP 403 InvalidAccessKeyId');
    expect((await get({})).code).toBe(0);
    // A request whose body differs from its signed hash.
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const res = await fetch(`${s3.endpoint}/${BUCKET.bucket}/k`, {
      method: 'PUT',
      body: 'changed',
      headers: { 'x-amz-date': stamp, 'x-amz-content-sha256': '0'.repeat(64), authorization: `AWS4-HMAC-SHA256 Credential=${BUCKET.accessKey}/${stamp.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}` },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('XAmzContentSHA256Mismatch');
  });
});
