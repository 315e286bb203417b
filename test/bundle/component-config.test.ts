import { ResolvedComponents, platformCapabilities, resolveComponents } from '../../lib/api/components';
import { Component, ComponentKind } from '../../lib/api/types';
import { ConfigBundle, hasCertificate } from '../../lib/bundle/bundle';
import { checkComponentConfig, clairDatabaseConfigured } from '../../lib/bundle/component-config';
import { Problem } from '../../lib/problems';
import { testBundle } from '../support/model';

const OPENSHIFT = platformCapabilities('openshift');
const CERTS = { 'ssl.cert': 'CERT', 'ssl.key': 'KEY' };

/** Components resolved on OpenShift: everything managed except the kinds listed as unmanaged. */
function components(bundle: ConfigBundle, managed: Partial<Record<ComponentKind, boolean>> = {}): ResolvedComponents {
  const declared: Component[] = Object.entries(managed).map(([kind, m]) => ({ kind: kind as ComponentKind, managed: m as boolean }));
  const result = resolveComponents({ components: declared }, OPENSHIFT, hasCertificate(bundle));
  expect(result.problems).toEqual([]);
  return result.components;
}

function check(files: Record<string, string>, managed: Partial<Record<ComponentKind, boolean>> = {}): Problem[] {
  const bundle = testBundle(files);
  return checkComponentConfig(components(bundle, managed), bundle);
}

const invalid = (path: string, message: string): Problem => ({ path, message, reason: 'ConfigInvalid' });
const missing = (kind: ComponentKind) =>
  invalid('configBundleSecret', `required component \`${kind}\` marked as unmanaged, but \`configBundleSecret\` is missing necessary fields`);
const managedWithFields = (kind: ComponentKind, fields: string) =>
  invalid('configBundleSecret', `${kind} component marked as managed, but \`configBundleSecret\` contains required fields (${fields})`);
const TLS_NEEDS_ROUTE = invalid(
  'spec.components',
  'component `tls` is managed but `route` is unmanaged: if TLS is managed, then route must also be managed; set tls unmanaged and supply ssl.cert and ssl.key',
);
const NO_CLAIR_DB = invalid('configBundleSecret', 'clairpostgres component unmanaged but no clair postgres config provided');

describe('checkComponentConfig: defaults', () => {
  it('accepts every component managed with an empty bundle', () => {
    expect(check({})).toEqual([]);
  });

  it('accepts a bundle with only keys no component owns', () => {
    expect(check({ 'config.yaml': 'FEATURE_USER_CREATION: false\nSUPER_USERS: [quayadmin]\n' })).toEqual([]);
  });
});

describe('checkComponentConfig: unmanaged components need their config', () => {
  it("reports an unmanaged route without SERVER_HOSTNAME with the seeds' message", () => {
    expect(check({ 'config.yaml': 'PREFERRED_URL_SCHEME: https\nEXTERNAL_TLS_TERMINATION: false\n', ...CERTS }, { route: false, tls: false })).toEqual([
      missing('route'),
    ]);
  });

  it('accepts an unmanaged route with SERVER_HOSTNAME', () => {
    expect(check({ 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\n', ...CERTS }, { route: false, tls: false })).toEqual([]);
  });

  it("reports an unmanaged tls without certificates with the seeds' message", () => {
    expect(check({ 'config.yaml': 'FEATURE_USER_CREATION: false\n' }, { tls: false })).toEqual([missing('tls')]);
  });

  it('reports an unmanaged tls with ssl.cert but no ssl.key', () => {
    expect(check({ 'ssl.cert': 'CERT' }, { tls: false })).toEqual([missing('tls')]);
  });

  it('accepts an unmanaged tls without certificates when the user\'s own ingress terminates TLS (route unmanaged, EXTERNAL_TLS_TERMINATION: true)', () => {
    expect(check({ 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\nEXTERNAL_TLS_TERMINATION: true\n' }, { route: false, tls: false })).toEqual([]);
  });

  it('still needs certificates for an unmanaged tls with an unmanaged route when EXTERNAL_TLS_TERMINATION is false or unset', () => {
    expect(check({ 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\nEXTERNAL_TLS_TERMINATION: false\n' }, { route: false, tls: false })).toEqual([missing('tls')]);
    expect(check({ 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\n' }, { route: false, tls: false })).toEqual([missing('tls')]);
  });

  it('still needs certificates for an unmanaged tls behind the managed Route, whatever EXTERNAL_TLS_TERMINATION says', () => {
    expect(check({ 'config.yaml': 'EXTERNAL_TLS_TERMINATION: true\n' }, { route: true, tls: false })).toEqual([missing('tls')]);
  });

  it('accepts an unmanaged tls with ssl.cert and ssl.key', () => {
    expect(check({ ...CERTS }, { tls: false })).toEqual([]);
  });

  it('reports an unmanaged postgres without DB_URI', () => {
    expect(check({ 'config.yaml': 'FEATURE_USER_CREATION: false\n' }, { postgres: false })).toEqual([missing('postgres')]);
  });

  it('reports an unmanaged postgres with DB_CONNECTION_ARGS but no DB_URI', () => {
    expect(check({ 'config.yaml': 'DB_CONNECTION_ARGS:\n  autorollback: true\n' }, { postgres: false })).toEqual([missing('postgres')]);
  });

  it('reports an unmanaged postgres with an empty DB_URI', () => {
    expect(check({ 'config.yaml': "DB_URI: ''\n" }, { postgres: false })).toEqual([missing('postgres')]);
  });

  // `DB_URI:` with nothing after it is YAML null: as unset as an empty string.
  it('reports an unmanaged postgres whose DB_URI is left empty (null)', () => {
    expect(check({ 'config.yaml': 'DB_URI:\n' }, { postgres: false })).toEqual([missing('postgres')]);
  });

  it('accepts an unmanaged postgres with DB_URI', () => {
    expect(check({ 'config.yaml': 'DB_URI: postgresql://quay:secret@db.example.com:5432/quay\n' }, { postgres: false })).toEqual([]);
  });

  it('reports an unmanaged redis with BUILDLOGS_REDIS only', () => {
    expect(check({ 'config.yaml': 'BUILDLOGS_REDIS:\n  host: redis.example.com\n  port: 6379\n' }, { redis: false })).toEqual([missing('redis')]);
  });

  it('reports an unmanaged redis with USER_EVENTS_REDIS only', () => {
    expect(check({ 'config.yaml': 'USER_EVENTS_REDIS:\n  host: redis.example.com\n  port: 6379\n' }, { redis: false })).toEqual([missing('redis')]);
  });

  it('reports an unmanaged redis with PULL_METRICS_REDIS only', () => {
    expect(check({ 'config.yaml': 'PULL_METRICS_REDIS:\n  host: redis.example.com\n' }, { redis: false })).toEqual([missing('redis')]);
  });

  it("accepts an unmanaged redis with the seeds' BUILDLOGS_REDIS and USER_EVENTS_REDIS", () => {
    const config = 'BUILDLOGS_REDIS:\n  host: quay-server.example.com\n  port: 6379\n  ssl: false\nUSER_EVENTS_REDIS:\n  host: quay-server.example.com\n  port: 6379\n  ssl: false\n';
    expect(check({ 'config.yaml': config }, { redis: false })).toEqual([]);
  });

  it('reports an unmanaged objectstorage without DISTRIBUTED_STORAGE_CONFIG', () => {
    expect(check({ 'config.yaml': 'DISTRIBUTED_STORAGE_PREFERENCE: [default]\n' }, { objectstorage: false })).toEqual([missing('objectstorage')]);
  });

  it('accepts an unmanaged objectstorage with DISTRIBUTED_STORAGE_CONFIG', () => {
    const config = 'DISTRIBUTED_STORAGE_CONFIG:\n  default:\n    - S3Storage\n    - s3_bucket: quay\n';
    expect(check({ 'config.yaml': config }, { objectstorage: false })).toEqual([]);
  });

  it.each(['clair', 'horizontalpodautoscaler', 'mirror', 'monitoring'] as const)('needs nothing for an unmanaged `%s`', (kind) => {
    expect(check({}, { [kind]: false })).toEqual([]);
  });

  it('reports every unmanaged component that lacks its config', () => {
    expect(check({}, { postgres: false, redis: false, objectstorage: false })).toEqual([missing('postgres'), missing('redis'), missing('objectstorage')]);
  });
});

describe('checkComponentConfig: managed components must not carry their config', () => {
  it('reports a managed postgres with DB_URI, naming the field', () => {
    expect(check({ 'config.yaml': 'DB_URI: postgresql://quay:secret@db.example.com/quay\n' })).toEqual([managedWithFields('postgres', 'DB_URI')]);
  });

  it('does not count a field left empty (null) as set for a managed component', () => {
    expect(check({ 'config.yaml': 'DB_URI:\nSECURITY_SCANNER_INDEXING_INTERVAL:\nDISTRIBUTED_STORAGE_CONFIG:\n' })).toEqual([]);
  });

  it('names every field of the group the bundle sets', () => {
    expect(check({ 'config.yaml': 'DB_URI: postgresql://db/quay\nDB_CONNECTION_ARGS: {sslmode: require}\n' })).toEqual([
      managedWithFields('postgres', 'DB_CONNECTION_ARGS, DB_URI'),
    ]);
  });

  it('takes SECURITY_SCANNER_V4_ENDPOINT with a managed clair (a global endpoint, geo-replication), but not the rest of its group', () => {
    expect(check({ 'config.yaml': 'SECURITY_SCANNER_V4_ENDPOINT: http://clair.example.com\n' })).toEqual([]);
    expect(check({ 'config.yaml': 'SECURITY_SCANNER_V4_ENDPOINT: http://clair.example.com\nSECURITY_SCANNER_INDEXING_INTERVAL: 60\n' })).toEqual([
      managedWithFields('clair', 'SECURITY_SCANNER_INDEXING_INTERVAL'),
    ]);
  });

  it('reports a managed objectstorage with DISTRIBUTED_STORAGE_CONFIG', () => {
    expect(check({ 'config.yaml': 'DISTRIBUTED_STORAGE_CONFIG:\n  default: [LocalStorage, {storage_path: /data}]\n' })).toEqual([
      managedWithFields('objectstorage', 'DISTRIBUTED_STORAGE_CONFIG'),
    ]);
  });

  it('reports a managed tls with ssl.cert and ssl.key', () => {
    expect(check({ ...CERTS }, { tls: true })).toEqual([managedWithFields('tls', 'ssl.cert, ssl.key')]);
  });

  it('reports a managed clairpostgres with a clair-config.yaml connstring', () => {
    expect(check({ 'clair-config.yaml': 'indexer:\n  connstring: host=clair-db.example.com\n' })).toEqual([managedWithFields('clairpostgres', 'clair-config.yaml')]);
  });

  it('allows a managed route with SERVER_HOSTNAME, PREFERRED_URL_SCHEME and EXTERNAL_TLS_TERMINATION', () => {
    expect(check({ 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\nPREFERRED_URL_SCHEME: https\nEXTERNAL_TLS_TERMINATION: true\n' })).toEqual([]);
  });

  it('allows a managed mirror with its fields', () => {
    expect(check({ 'config.yaml': 'FEATURE_REPO_MIRROR: true\nREPO_MIRROR_INTERVAL: 60\nREPO_MIRROR_TLS_VERIFY: false\n' })).toEqual([]);
  });

  it('allows a managed redis with PULL_METRICS_REDIS (upstream PROJQUAY-11501)', () => {
    expect(check({ 'config.yaml': 'PULL_METRICS_REDIS:\n  host: metrics-redis.example.com\n  port: 6379\n' })).toEqual([]);
  });

  it('allows a managed redis with BUILDLOGS_REDIS and USER_EVENTS_REDIS', () => {
    expect(check({ 'config.yaml': 'BUILDLOGS_REDIS: {host: r, port: 6379}\nUSER_EVENTS_REDIS: {host: r, port: 6379}\n' })).toEqual([]);
  });
});

describe('checkComponentConfig: combinations', () => {
  it("reports tls managed with route unmanaged (seeds: if TLS is managed, then route must also be managed)", () => {
    expect(check({ 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\n' }, { route: false, tls: true })).toEqual([TLS_NEEDS_ROUTE]);
  });

  it('reports tls managed by default with route declared unmanaged', () => {
    expect(check({ 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\n' }, { route: false })).toEqual([TLS_NEEDS_ROUTE]);
  });

  it('accepts route managed with tls unmanaged and certificates (Quay handles TLS)', () => {
    expect(check({ ...CERTS }, { route: true, tls: false })).toEqual([]);
  });

  it('reports clairpostgres unmanaged with clair managed and no clair-config.yaml', () => {
    expect(check({}, { clairpostgres: false })).toEqual([NO_CLAIR_DB]);
  });

  it('reports clairpostgres unmanaged with a clair-config.yaml that names no database', () => {
    expect(check({ 'clair-config.yaml': 'log_level: debug\nindexer:\n  airgap: true\n' }, { clairpostgres: false })).toEqual([NO_CLAIR_DB]);
  });

  it('accepts clairpostgres unmanaged with an indexer connstring in clair-config.yaml', () => {
    expect(check({ 'clair-config.yaml': 'indexer:\n  connstring: host=clair-db.example.com port=5432 user=clair dbname=clair\n' }, { clairpostgres: false })).toEqual([]);
  });

  it('accepts clairpostgres unmanaged with a matcher connstring only', () => {
    expect(check({ 'clair-config.yaml': 'matcher:\n  connstring: host=clair-db.example.com\n' }, { clairpostgres: false })).toEqual([]);
  });

  it('accepts clairpostgres unmanaged when clair is unmanaged too', () => {
    expect(check({}, { clair: false, clairpostgres: false })).toEqual([]);
  });
});

describe('clairDatabaseConfigured: clair-config.yaml names a database', () => {
  const configured = (clairConfig: string) => clairDatabaseConfigured(testBundle({ 'clair-config.yaml': clairConfig }));

  it.each(['indexer', 'matcher', 'notifier'])('for the %s alone', (svc) => {
    expect(configured(`${svc}:\n  connstring: host=clair-db.example.com port=5432\n`)).toBe(true);
  });

  it.each([
    ['a section left empty (null)', 'indexer:\nmatcher:\n'],
    ['an empty connstring', "indexer:\n  connstring: ''\n"],
    ['a connstring that is not a string', 'indexer:\n  connstring: 5432\n'],
    ['a connstring outside the services', 'connstring: host=clair-db.example.com\n'],
  ])('not for %s', (_, clairConfig) => {
    expect(configured(clairConfig)).toBe(false);
  });

  it('reports clairpostgres unmanaged when the only connstring is empty', () => {
    expect(check({ 'clair-config.yaml': "indexer:\n  connstring: ''\n" }, { clairpostgres: false })).toEqual([NO_CLAIR_DB]);
  });
});
