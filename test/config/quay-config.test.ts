import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASE_QUAY_CONFIG, configEnvSources, managedFieldGroups, managedFields, quayConfig, sortKeys } from '../../lib/config/quay-config';
import { TEST_BUCKET, testModel } from '../support/model';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'tls', name), 'utf8');
const ROUTE_HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const LEAF = () => ({ 'ssl.cert': fixture('leaf.crt'), 'ssl.key': fixture('leaf.key') });

const REDIS = { host: 'example-registry-quay-redis', port: 6379 };
const EXTERNAL_REDIS = 'BUILDLOGS_REDIS: {host: redis.example.com, port: 6380, password: pw}\nUSER_EVENTS_REDIS: {host: redis.example.com, port: 6380, password: pw}\n';

describe('quayConfig: merge order', () => {
  it("fills in upstream's base defaults when the user sets nothing", () => {
    const config = quayConfig(testModel());
    for (const [k, v] of Object.entries(BASE_QUAY_CONFIG)) expect(config[k]).toEqual(v);
    expect(BASE_QUAY_CONFIG).toEqual({
      SETUP_COMPLETE: true,
      FEATURE_MAILING: false,
      REGISTRY_TITLE: 'Quay',
      REGISTRY_TITLE_SHORT: 'Quay',
      AUTHENTICATION_TYPE: 'Database',
      ENTERPRISE_LOGO_URL: '/static/img/quay-horizontal-color.svg',
      DEFAULT_TAG_EXPIRATION: '2w',
      ALLOW_PULLS_WITHOUT_STRICT_LOGGING: false,
      TAG_EXPIRATION_OPTIONS: ['2w'],
      TEAM_RESYNC_STALE_TIME: '60m',
      FEATURE_DIRECT_LOGIN: true,
      FEATURE_BUILD_SUPPORT: false,
      TESTING: false,
    });
  });

  it('lets the user config win over the base defaults', () => {
    const config = quayConfig(testModel({ files: { 'config.yaml': 'REGISTRY_TITLE: My Registry\nFEATURE_MAILING: true\nTAG_EXPIRATION_OPTIONS: [1d, 2w]\n' } }));
    expect(config.REGISTRY_TITLE).toBe('My Registry');
    expect(config.FEATURE_MAILING).toBe(true);
    expect(config.TAG_EXPIRATION_OPTIONS).toEqual(['1d', '2w']);
    expect(config.REGISTRY_TITLE_SHORT).toBe('Quay');
  });

  it("lets a managed component's fields win over the user's (mirror)", () => {
    const config = quayConfig(testModel({ files: { 'config.yaml': 'REPO_MIRROR_INTERVAL: 600\nREPO_MIRROR_TLS_VERIFY: false\n' } }));
    expect(config.REPO_MIRROR_INTERVAL).toBe(30);
    expect(config.REPO_MIRROR_TLS_VERIFY).toBe(true);
  });

  it("lets a managed component's fields win over the user's (route)", () => {
    const config = quayConfig(testModel({ files: { 'config.yaml': 'PREFERRED_URL_SCHEME: http\nEXTERNAL_TLS_TERMINATION: false\n' } }));
    expect(config.PREFERRED_URL_SCHEME).toBe('https');
    expect(config.EXTERNAL_TLS_TERMINATION).toBe(true);
  });

  it("lets a managed component's fields win over the user's (redis)", () => {
    const config = quayConfig(testModel({ files: { 'config.yaml': EXTERNAL_REDIS } }));
    expect(config.BUILDLOGS_REDIS).toEqual(REDIS);
    expect(config.USER_EVENTS_REDIS).toEqual(REDIS);
  });

  it('keeps user keys the operator does not own', () => {
    const config = quayConfig(
      testModel({ files: { 'config.yaml': 'FEATURE_USER_CREATION: false\nSUPER_USERS: [quayadmin]\nPULL_METRICS_REDIS: {host: metrics.example.com, port: 6379}\n' } }),
    );
    expect(config.FEATURE_USER_CREATION).toBe(false);
    expect(config.SUPER_USERS).toEqual(['quayadmin']);
    expect(config.PULL_METRICS_REDIS).toEqual({ host: 'metrics.example.com', port: 6379 });
  });

  it("keeps the user's SECRET_KEY and DATABASE_SECRET_KEY over the generated ones", () => {
    const config = quayConfig(testModel({ files: { 'config.yaml': 'SECRET_KEY: user-secret\nDATABASE_SECRET_KEY: user-db-secret\n' } }));
    expect(config.SECRET_KEY).toBe('user-secret');
    expect(config.DATABASE_SECRET_KEY).toBe('user-db-secret');
  });

  it('uses the generated SECRET_KEY and DATABASE_SECRET_KEY when the user sets none', () => {
    const model = testModel();
    const config = quayConfig(model);
    expect(config.SECRET_KEY).toBe(model.keys.SECRET_KEY);
    expect(config.DATABASE_SECRET_KEY).toBe(model.keys.DATABASE_SECRET_KEY);
  });

  it('uses the generated SECRET_KEY when the user sets an empty one', () => {
    const model = testModel({ files: { 'config.yaml': "SECRET_KEY: ''\n" } });
    expect(quayConfig(model).SECRET_KEY).toBe(model.keys.SECRET_KEY);
  });
});

describe('quayConfig: managed fields only for managed components', () => {
  it('sets the managed database when postgres is managed', () => {
    const model = testModel();
    const config = quayConfig(model);
    expect(config.DB_URI).toBe(model.keys.DB_URI);
    expect(config.DB_URI).toMatch(/^postgresql:\/\/example-registry-quay-database:/);
    expect(config.DB_CONNECTION_ARGS).toEqual({ autorollback: true, threadlocals: true });
  });

  it("keeps the user's database when postgres is unmanaged", () => {
    const config = quayConfig(
      testModel({ files: { 'config.yaml': 'DB_URI: postgresql://quay:pw@db.example.com:5432/quay\n' }, spec: { components: [{ kind: 'postgres', managed: false }] } }),
    );
    expect(config.DB_URI).toBe('postgresql://quay:pw@db.example.com:5432/quay');
    expect(config).not.toHaveProperty('DB_CONNECTION_ARGS');
  });

  it('sets the managed redis when redis is managed', () => {
    const config = quayConfig(testModel());
    expect(config.BUILDLOGS_REDIS).toEqual(REDIS);
    expect(config.USER_EVENTS_REDIS).toEqual(REDIS);
  });

  it("keeps the user's redis when redis is unmanaged", () => {
    const config = quayConfig(testModel({ files: { 'config.yaml': EXTERNAL_REDIS }, spec: { components: [{ kind: 'redis', managed: false }] } }));
    expect(config.BUILDLOGS_REDIS).toEqual({ host: 'redis.example.com', port: 6380, password: 'pw' });
    expect(config.USER_EVENTS_REDIS).toEqual({ host: 'redis.example.com', port: 6380, password: 'pw' });
  });

  it('sets the security scanner fields when clair is managed', () => {
    const model = testModel();
    expect(managedFields(model)).toMatchObject({
      FEATURE_SECURITY_SCANNER: true,
      FEATURE_SECURITY_NOTIFICATIONS: true,
      SECURITY_SCANNER_INDEXING_INTERVAL: 30,
      SECURITY_SCANNER_V4_ENDPOINT: 'http://example-registry-clair-app.quay-enterprise.svc.cluster.local',
      SECURITY_SCANNER_V4_NAMESPACE_WHITELIST: ['admin'],
      // A placeholder: the init container reads the key from the managed keys Secret.
      SECURITY_SCANNER_V4_PSK: { $env: 'QUAY_SECURITY_SCANNER_V4_PSK' },
    });
    expect(quayConfig(model).SECURITY_SCANNER_V4_PSK).toBe(model.keys.SECURITY_SCANNER_V4_PSK);
  });

  it('sets no security scanner fields when clair is unmanaged', () => {
    const config = quayConfig(testModel({ spec: { components: [{ kind: 'clair', managed: false }] } }));
    for (const k of ['FEATURE_SECURITY_SCANNER', 'FEATURE_SECURITY_NOTIFICATIONS', 'SECURITY_SCANNER_INDEXING_INTERVAL', 'SECURITY_SCANNER_V4_ENDPOINT', 'SECURITY_SCANNER_V4_NAMESPACE_WHITELIST', 'SECURITY_SCANNER_V4_PSK']) {
      expect(config).not.toHaveProperty(k);
    }
  });

  it('sets the bucket storage when objectstorage is managed and the bucket is bound', () => {
    const config = quayConfig(testModel());
    expect(config.DISTRIBUTED_STORAGE_CONFIG).toEqual({
      local_us: [
        'RHOCSStorage',
        {
          access_key: TEST_BUCKET.accessKey,
          bucket_name: TEST_BUCKET.bucketName,
          hostname: TEST_BUCKET.host,
          is_secure: true,
          port: 443,
          secret_key: TEST_BUCKET.secretKey,
          storage_path: '/datastorage/registry',
        },
      ],
    });
    expect(config.DISTRIBUTED_STORAGE_PREFERENCE).toEqual(['local_us']);
    expect(config.DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS).toEqual(['local_us']);
    expect(config.FEATURE_STORAGE_REPLICATION).toBe(false);
    expect(config.FEATURE_PROXY_STORAGE).toBe(true);
  });

  it('uses the bucket port when the provisioner gives one', () => {
    const config = quayConfig(testModel({ objectBucket: { ...TEST_BUCKET, port: 8443 } }));
    expect((config.DISTRIBUTED_STORAGE_CONFIG as { local_us: [string, { port: number }] }).local_us[1].port).toBe(8443);
  });

  it('names the bucket before it is bound: the pods read its Secret and ConfigMap when they start', () => {
    const model = testModel({ objectBucket: null });
    expect((managedFields(model).DISTRIBUTED_STORAGE_CONFIG as any).local_us[1]).toEqual({
      hostname: { $env: 'BUCKET_HOST' },
      port: { $env: 'BUCKET_PORT', as: 'int', default: 443 },
      is_secure: true,
      storage_path: '/datastorage/registry',
      access_key: { $env: 'AWS_ACCESS_KEY_ID' },
      secret_key: { $env: 'AWS_SECRET_ACCESS_KEY' },
      bucket_name: { $env: 'BUCKET_NAME' },
    });
    expect(configEnvSources(model).filter((s) => s.object === 'example-registry-quay-datastore')).toEqual([
      { name: 'BUCKET_HOST', kind: 'ConfigMap', object: 'example-registry-quay-datastore', key: 'BUCKET_HOST' },
      { name: 'BUCKET_PORT', kind: 'ConfigMap', object: 'example-registry-quay-datastore', key: 'BUCKET_PORT', optional: true },
      { name: 'BUCKET_NAME', kind: 'ConfigMap', object: 'example-registry-quay-datastore', key: 'BUCKET_NAME' },
      { name: 'AWS_ACCESS_KEY_ID', kind: 'Secret', object: 'example-registry-quay-datastore', key: 'AWS_ACCESS_KEY_ID' },
      { name: 'AWS_SECRET_ACCESS_KEY', kind: 'Secret', object: 'example-registry-quay-datastore', key: 'AWS_SECRET_ACCESS_KEY' },
    ]);
  });

  it('takes the generated keys from the managed keys Secret, and only those the config uses', () => {
    const keys = (m: ReturnType<typeof testModel>) => configEnvSources(m).filter((s) => s.object === 'example-registry-quay-registry-managed-secret-keys').map((s) => `${s.name}<-${s.key}`);
    expect(keys(testModel())).toEqual(['QUAY_DB_URI<-DB_URI', 'QUAY_SECRET_KEY<-SECRET_KEY', 'QUAY_DATABASE_SECRET_KEY<-DATABASE_SECRET_KEY', 'QUAY_SECURITY_SCANNER_V4_PSK<-SECURITY_SCANNER_V4_PSK']);
    const own = testModel({
      files: { 'config.yaml': 'SECRET_KEY: mine\nDATABASE_SECRET_KEY: mine-too\n' },
      spec: { components: [{ kind: 'clair', managed: false }] },
    });
    expect(keys(own)).toEqual(['QUAY_DB_URI<-DB_URI']);
  });

  it("keeps the user's storage when objectstorage is unmanaged", () => {
    const config = quayConfig(
      testModel({
        files: { 'config.yaml': 'DISTRIBUTED_STORAGE_CONFIG:\n  default: [S3Storage, {s3_bucket: quay}]\nDISTRIBUTED_STORAGE_PREFERENCE: [default]\n' },
        spec: { components: [{ kind: 'objectstorage', managed: false }] },
      }),
    );
    expect(config.DISTRIBUTED_STORAGE_CONFIG).toEqual({ default: ['S3Storage', { s3_bucket: 'quay' }] });
    expect(config.DISTRIBUTED_STORAGE_PREFERENCE).toEqual(['default']);
    expect(config).not.toHaveProperty('DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS');
    expect(config).not.toHaveProperty('FEATURE_PROXY_STORAGE');
  });

  it('sets the route host fields when route is managed', () => {
    const config = quayConfig(testModel());
    expect(config.SERVER_HOSTNAME).toBe(ROUTE_HOST);
    expect(config.PREFERRED_URL_SCHEME).toBe('https');
    expect(config.EXTERNAL_TLS_TERMINATION).toBe(true);
  });

  it("keeps the user's SERVER_HOSTNAME with a managed route", () => {
    expect(quayConfig(testModel({ files: { 'config.yaml': 'SERVER_HOSTNAME: registry.example.com\n' } })).SERVER_HOSTNAME).toBe('registry.example.com');
  });

  it('sets no route fields when route is unmanaged (seeds: Disabling Route Component)', () => {
    const config = quayConfig(
      testModel({
        files: { 'config.yaml': `SERVER_HOSTNAME: ${ROUTE_HOST}\n`, ...LEAF() },
        spec: { components: [{ kind: 'route', managed: false }, { kind: 'tls', managed: false }] },
      }),
    );
    expect(config.SERVER_HOSTNAME).toBe(ROUTE_HOST);
    expect(config).not.toHaveProperty('PREFERRED_URL_SCHEME');
    expect(config).not.toHaveProperty('EXTERNAL_TLS_TERMINATION');
  });

  it("keeps the user's route fields when route is unmanaged", () => {
    const config = quayConfig(
      testModel({
        files: { 'config.yaml': `EXTERNAL_TLS_TERMINATION: false\nSERVER_HOSTNAME: ${ROUTE_HOST}\nPREFERRED_URL_SCHEME: https\n`, ...LEAF() },
        spec: { components: [{ kind: 'route', managed: false }, { kind: 'tls', managed: false }] },
      }),
    );
    expect(config.EXTERNAL_TLS_TERMINATION).toBe(false);
    expect(config.PREFERRED_URL_SCHEME).toBe('https');
  });

  it('sets the mirror fields when mirror is managed', () => {
    const config = quayConfig(testModel());
    expect(config.FEATURE_REPO_MIRROR).toBe(true);
    expect(config.REPO_MIRROR_INTERVAL).toBe(30);
    expect(config.REPO_MIRROR_TLS_VERIFY).toBe(true);
  });

  it('sets no mirror fields when mirror is unmanaged', () => {
    const config = quayConfig(testModel({ spec: { components: [{ kind: 'mirror', managed: false }] } }));
    expect(config).not.toHaveProperty('FEATURE_REPO_MIRROR');
    expect(config).not.toHaveProperty('REPO_MIRROR_INTERVAL');
    expect(config).not.toHaveProperty('REPO_MIRROR_TLS_VERIFY');
  });
});

describe('quayConfig: EXTERNAL_TLS_TERMINATION', () => {
  it('is true without user certificates (the Route terminates TLS)', () => {
    expect(quayConfig(testModel()).EXTERNAL_TLS_TERMINATION).toBe(true);
  });

  it('is false with user certificates (Quay terminates TLS behind a passthrough Route)', () => {
    const model = testModel({ files: { 'config.yaml': '', ...LEAF() } });
    expect(model.components.tls.managed).toBe(false);
    expect(quayConfig(model).EXTERNAL_TLS_TERMINATION).toBe(false);
  });
});

describe('quayConfig: output', () => {
  it('sorts keys at every level', () => {
    const config = quayConfig(testModel({ files: { 'config.yaml': 'ZZZ_CUSTOM: {b: 1, a: {d: 1, c: 2}}\nAAA_CUSTOM: [{y: 1, x: 2}]\n' } }));
    const keys = Object.keys(config);
    expect(keys).toEqual([...keys].sort());
    expect(keys[0]).toBe('AAA_CUSTOM');
    expect(Object.keys(config.ZZZ_CUSTOM as object)).toEqual(['a', 'b']);
    expect(Object.keys((config.ZZZ_CUSTOM as { a: object }).a)).toEqual(['c', 'd']);
    expect(Object.keys((config.AAA_CUSTOM as object[])[0])).toEqual(['x', 'y']);
  });

  it('sortKeys keeps array order and scalars', () => {
    expect(JSON.stringify(sortKeys({ b: [3, 1, 2], a: 'x' }))).toBe('{"a":"x","b":[3,1,2]}');
  });

  it('is the same for the same model', () => {
    const model = testModel({ files: { 'config.yaml': 'FEATURE_USER_CREATION: false\n' } });
    expect(JSON.stringify(quayConfig(model))).toBe(JSON.stringify(quayConfig(model)));
  });
});

describe('managedFieldGroups', () => {
  it('names the field groups of every managed component', () => {
    expect(managedFieldGroups(testModel())).toEqual(['SecurityScanner', 'Database', 'Redis', 'DistributedStorage', 'RepoMirror', 'HostSettings']);
  });

  it('leaves out unmanaged components', () => {
    const model = testModel({
      files: { 'config.yaml': 'DB_URI: postgresql://quay:pw@db/quay\n' },
      spec: { components: [{ kind: 'postgres', managed: false }, { kind: 'mirror', managed: false }] },
    });
    expect(managedFieldGroups(model)).toEqual(['SecurityScanner', 'Redis', 'DistributedStorage', 'HostSettings']);
  });
});

describe('spec.initialUser', () => {
  test('turns FEATURE_USER_INITIALIZE on (the operator\'s first-user call needs it); without it the user\'s value stands', () => {
    expect(quayConfig(testModel({ files: { 'config.yaml': '' }, spec: { initialUser: { secretName: 'quay-admin' } } })).FEATURE_USER_INITIALIZE).toBe(true);
    expect(quayConfig(testModel({ files: { 'config.yaml': '' } })).FEATURE_USER_INITIALIZE).toBeUndefined();
  });
});
