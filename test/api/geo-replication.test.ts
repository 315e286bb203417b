// spec.migrations (geo-replication's migration gate), spec.clair (a disconnected Clair), the
// updaters import annotation's value, and the model's refusals around them: each bad input names
// its field, and what the CRD schema says is what the code accepts.
import { CLAIR_IMPORT_ANNOTATION, parseImportSource } from '../../lib/api/clair-disconnected';
import { parseMigrations, runsMigrations } from '../../lib/api/geo-replication';
import { specSchema } from '../../lib/api/schema';
import { parseQuayRegistry } from '../../lib/api/validate';
import { buildModel } from '../../lib/model';
import type { Problem } from '../../lib/problems';
import { testBundle, testEnvironment } from '../support/model';

const registry = (spec: unknown) => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'example-registry', namespace: 'quay-enterprise' }, spec });
const invalid = (path: string, message: string): Problem => ({ path, message, reason: 'ConfigInvalid' });
const EXTERNAL = ['DB_URI: postgresql://quay:pw@db.example.com/quay', 'BUILDLOGS_REDIS: {host: redis.example.com, port: 6379}', 'USER_EVENTS_REDIS: {host: redis.example.com, port: 6379}'].join('\n');

function problemsOf(spec: Record<string, unknown>, config = ''): Problem[] {
  return buildModel({ registry: registry({ configBundleSecret: 'config-bundle-secret', ...spec }), bundle: testBundle({ 'config.yaml': config }), environment: testEnvironment() }).problems;
}

describe('spec.migrations', () => {
  it('takes run: false (and true), and defaults to running migrations', () => {
    expect(parseQuayRegistry(registry({ migrations: { run: false } })).registry?.spec.migrations).toEqual({ run: false });
    expect(runsMigrations(parseQuayRegistry(registry({ migrations: { run: false } })).registry!.spec)).toBe(false);
    expect(runsMigrations(parseQuayRegistry(registry({ migrations: { run: true } })).registry!.spec)).toBe(true);
    expect(runsMigrations(parseQuayRegistry(registry({ migrations: {} })).registry!.spec)).toBe(true);
    expect(runsMigrations(parseQuayRegistry(registry({})).registry!.spec)).toBe(true);
  });

  it.each([
    ['no', invalid('spec.migrations', 'must be a mapping with run (true or false)')],
    [{ run: 'false' }, invalid('spec.migrations.run', '"false" is not true or false')],
    [{ runs: false }, invalid('spec.migrations.runs', 'unknown field; migrations has only run')],
  ])('refuses %j, naming the field', (value, expected) => {
    expect(parseQuayRegistry(registry({ migrations: value })).problems).toEqual([expected]);
  });

  it('run: false needs an unmanaged postgres: a managed database is the registry\'s own, nothing else would migrate it', () => {
    expect(problemsOf({ migrations: { run: false } })).toEqual([
      invalid('spec.migrations.run', 'is false, but the postgres component is managed: a managed database is this registry\'s own, and nothing else would ever migrate it. Set postgres unmanaged (DB_URI naming the database the sites share), or remove spec.migrations'),
    ]);
    expect(problemsOf({ migrations: { run: false }, components: [{ kind: 'postgres', managed: false }, { kind: 'redis', managed: false }] }, EXTERNAL)).toEqual([]);
  });

  it('is in the CRD with a description', () => {
    expect(specSchema.properties?.migrations?.properties?.run).toMatchObject({ type: 'boolean' });
    expect(specSchema.properties?.migrations?.description).toMatch(/run: false is for geo-replication/);
  });
});

describe('spec.clair', () => {
  it('takes disconnected', () => {
    expect(parseQuayRegistry(registry({ clair: { disconnected: true } })).registry?.spec.clair).toEqual({ disconnected: true });
  });

  it.each([
    [[true], invalid('spec.clair', 'must be a mapping with disconnected (true or false)')],
    [{ disconnected: 'yes' }, invalid('spec.clair.disconnected', '"yes" is not true or false')],
    [{ airgap: true }, invalid('spec.clair.airgap', 'unknown field; clair has only disconnected')],
  ])('refuses %j, naming the field', (value, expected) => {
    expect(parseQuayRegistry(registry({ clair: value })).problems).toEqual([expected]);
  });

  it('disconnected needs a managed clair', () => {
    expect(parseQuayRegistry(registry({ clair: { disconnected: true }, components: [{ kind: 'clair', managed: false }] })).problems).toEqual([
      invalid('spec.clair.disconnected', 'the clair component is unmanaged: set airgap in your own Clair\'s config (indexer.airgap, matcher.disable_updaters), or make clair managed'),
    ]);
    expect(parseQuayRegistry(registry({ clair: { disconnected: false }, components: [{ kind: 'clair', managed: false }] })).problems).toEqual([]);
  });
});

describe('SECURITY_SCANNER_V4_ENDPOINT with a managed Clair (a global Clair endpoint)', () => {
  it('is taken when it is an http(s) URL', () => {
    expect(problemsOf({}, 'SECURITY_SCANNER_V4_ENDPOINT: https://clair.example.com\n')).toEqual([]);
    expect(problemsOf({}, 'SECURITY_SCANNER_V4_ENDPOINT: http://clair.example.com:8080/\n')).toEqual([]);
  });

  it.each([
    ['clair.example.com', 'SECURITY_SCANNER_V4_ENDPOINT "clair.example.com" is not a URL such as https://clair.example.com'],
    ['42', 'SECURITY_SCANNER_V4_ENDPOINT 42 is not a URL such as https://clair.example.com'],
    ['ftp://clair.example.com', 'SECURITY_SCANNER_V4_ENDPOINT "ftp://clair.example.com" must be an http:// or https:// URL'],
    ['https://clair.example.com/?x=1', 'SECURITY_SCANNER_V4_ENDPOINT "https://clair.example.com/?x=1" must not have a query or fragment: Quay appends Clair\'s API paths to it'],
    ['https://admin:hunter2@clair.example.com', 'SECURITY_SCANNER_V4_ENDPOINT must not carry credentials (user:password@): Quay authenticates to Clair with its PSK'],
  ])('refuses %s, naming the field (and never echoing a password)', (value, message) => {
    expect(problemsOf({}, `SECURITY_SCANNER_V4_ENDPOINT: ${value}\n`)).toEqual([invalid('config.yaml', message)]);
  });

  it('the rest of the scanner\'s fields are still the operator\'s with a managed Clair', () => {
    expect(problemsOf({}, 'SECURITY_SCANNER_V4_ENDPOINT: https://clair.example.com\nFEATURE_SECURITY_SCANNER: false\n').map((p) => p.message)).toEqual([
      'clair component marked as managed, but `configBundleSecret` contains required fields (FEATURE_SECURITY_SCANNER)',
    ]);
  });
});

describe(`the ${CLAIR_IMPORT_ANNOTATION} annotation's value`, () => {
  it('a file in a PersistentVolumeClaim, or an http(s) URL', () => {
    expect(parseImportSource('pvc://clair-updaters/2026-01/updates.json.gz')).toEqual({ source: { kind: 'pvc', claim: 'clair-updaters', path: '2026-01/updates.json.gz' } });
    expect(parseImportSource('https://mirror.internal.example.com/clair/updates.gz')).toEqual({ source: { kind: 'url', url: 'https://mirror.internal.example.com/clair/updates.gz' } });
  });

  it.each([
    ['pvc://Clair_Updaters/u.gz', 'does not name a PersistentVolumeClaim'],
    ['pvc://clair-updaters', 'does not name a file in the claim'],
    ['pvc://clair-updaters/../etc/passwd', 'does not name a file in the claim'],
    ['pvc://clair-updaters//u.gz', 'does not name a file in the claim'],
    ['updates.gz', 'is neither pvc://<claim>/<path> nor an http(s) URL'],
    ['ftp://mirror/u.gz', 'has scheme ftp'],
  ])('refuses %s, naming the annotation', (value, why) => {
    const { problem, source } = parseImportSource(value);
    expect(source).toBeUndefined();
    expect(problem).toContain(`${CLAIR_IMPORT_ANNOTATION}: ${JSON.stringify(value)} ${why}`);
  });

  it('refuses credentials in a URL, without echoing them (the message goes into status and Events)', () => {
    const { problem } = parseImportSource('https://user:s3cret@mirror.example.com/u.gz');
    expect(problem).toMatch(/the URL carries credentials \(user:password@\): the annotation is no place for them/);
    expect(problem).not.toContain('s3cret');
  });
});

describe('parseMigrations', () => {
  const parse = (raw: unknown) => {
    const problems: Problem[] = [];
    return { value: parseMigrations(raw, problems), problems: problems.map((p) => `${p.path}: ${p.message}`) };
  };
  test.each([
    ['absent', undefined, { problems: [] }],
    ['null', null, { problems: [] }],
    ['run false', { run: false }, { value: { run: false }, problems: [] }],
    ['run true', { run: true }, { value: { run: true }, problems: [] }],
    ['an empty mapping', {}, { value: {}, problems: [] }],
    ['a list', [{ run: false }], { problems: ['spec.migrations: must be a mapping with run (true or false)'] }],
    ['a string', 'false', { problems: ['spec.migrations: must be a mapping with run (true or false)'] }],
    ['run as a string', { run: 'false' }, { problems: ['spec.migrations.run: "false" is not true or false'] }],
    ['an unknown field', { run: true, skip: true }, { problems: ['spec.migrations.skip: unknown field; migrations has only run'] }],
  ])('%s', (_, raw, expected) => {
    expect(parse(raw)).toEqual({ value: undefined, ...expected });
  });
});
