import { clairBaseConfig, clairConfig, clairConfigForClairctl, clairConnstring, clairDatabaseHost, clairDropIns, deepMerge } from '../../lib/config/clair-config';
import { testModel } from '../support/model';

type Json = Record<string, unknown>;
const section = (config: Json, name: string) => config[name] as Json;

describe('clairConfig: managed database', () => {
  it('points every service at the managed Clair database, no login in the connstring (PG* variables), pool 33 with the HPA managed', () => {
    const model = testModel();
    const expected = 'host=example-registry-clair-postgres port=5432 sslmode=disable pool_max_conns=33';
    expect(clairDatabaseHost(model)).toBe('example-registry-clair-postgres');
    expect(clairConnstring(model)).toBe(expected);
    const config = clairConfig(model);
    expect(section(config, 'indexer').connstring).toBe(expected);
    expect(section(config, 'matcher').connstring).toBe(expected);
    expect(section(config, 'notifier').connstring).toBe(expected);
    expect(JSON.stringify(clairBaseConfig(model))).not.toContain(model.keys.CLAIR_DB_PASSWORD);
  });

  it('uses pool 10 with the HPA unmanaged', () => {
    const model = testModel({ spec: { components: [{ kind: 'horizontalpodautoscaler', managed: false }] } });
    expect(clairConnstring(model)).toMatch(/ pool_max_conns=10$/);
    expect(section(clairConfig(model), 'indexer').connstring).toMatch(/ pool_max_conns=10$/);
  });

  it("clairpostgres unmanaged and only the indexer's connstring given: a patch copies it to the others (never rendered)", () => {
    const model = testModel({
      files: { 'clair-config.yaml': 'indexer:\n  connstring: host=clair-db.example.com port=5432 user=clair password=pw dbname=clair\n' },
      spec: { components: [{ kind: 'clairpostgres', managed: false }] },
    });
    const config = clairConfig(model);
    const theirs = 'host=clair-db.example.com port=5432 user=clair password=pw dbname=clair';
    for (const svc of ['indexer', 'matcher', 'notifier']) expect(section(config, svc).connstring).toBe(theirs);
    expect(clairDropIns(model).patches).toEqual({
      '95-connstring.yaml-patch': [
        { op: 'copy', from: '/indexer/connstring', path: '/matcher/connstring' },
        { op: 'copy', from: '/indexer/connstring', path: '/notifier/connstring' },
      ],
    });
    expect(JSON.stringify([clairBaseConfig(model), clairDropIns(model)])).not.toContain('password=pw');
  });
});

describe('clairConfig: defaults', () => {
  it("has upstream's defaults, the PSK and the notification webhook", () => {
    const model = testModel();
    const config = clairConfig(model);
    expect(config.http_listen_addr).toBe(':8080');
    expect(config.introspection_addr).toBe(':8089');
    expect(config.log_level).toBe('info');
    expect(config.auth).toEqual({ psk: { iss: ['quay', 'clairctl'], key: model.keys.SECURITY_SCANNER_V4_PSK } });
    expect(section(config, 'indexer')).toMatchObject({ layer_scan_concurrency: 5, migrations: true, scanlock_retry: 10 });
    expect(section(config, 'matcher')).toMatchObject({ migrations: true });
    expect(section(config, 'matcher')).not.toHaveProperty('disable_updaters');
    expect(section(config, 'notifier')).toMatchObject({
      delivery_interval: '1m',
      migrations: true,
      poll_interval: '5m',
      webhook: {
        callback: 'http://example-registry-clair-app/notifier/api/v1/notifications',
        target: 'https://example-registry-quay-quay-enterprise.apps.example.com/secscan/notification',
      },
    });
    expect(config.metrics).toEqual({ name: 'prometheus' });
    expect(config.updaters).toEqual({
      config: { 'rhel-vex': { ignore_unpatched: true } },
      sets: ['alpine', 'aws', 'clair.cvss', 'debian', 'oracle', 'photon', 'rhcc', 'rhel-vex', 'suse', 'ubuntu'],
    });
  });

  it('targets the webhook at SERVER_HOSTNAME from config.yaml', () => {
    const config = clairConfig(testModel({ files: { 'config.yaml': 'SERVER_HOSTNAME: registry.example.com\n' } }));
    expect((section(config, 'notifier').webhook as Json).target).toBe('https://registry.example.com/secscan/notification');
  });

  it('sorts keys at every level', () => {
    const config = clairConfig(testModel({ files: { 'clair-config.yaml': 'zz_custom: {b: 1, a: 2}\n' } }));
    const keys = Object.keys(config);
    expect(keys).toEqual([...keys].sort());
    const indexerKeys = Object.keys(section(config, 'indexer'));
    expect(indexerKeys).toEqual([...indexerKeys].sort());
    expect(Object.keys(config.zz_custom as Json)).toEqual(['a', 'b']);
  });
});

describe("clairConfig: the user's clair-config.yaml", () => {
  it('replaces a nested key and keeps its siblings', () => {
    const model = testModel({ files: { 'clair-config.yaml': 'indexer:\n  scanlock_retry: 20\nnotifier:\n  webhook:\n    target: https://hooks.example.com/clair\n' } });
    const config = clairConfig(model);
    expect(section(config, 'indexer')).toEqual({
      connstring: clairConnstring(model),
      layer_scan_concurrency: 5,
      migrations: true,
      scanlock_retry: 20,
    });
    expect(section(config, 'notifier').webhook).toEqual({
      callback: 'http://example-registry-clair-app/notifier/api/v1/notifications',
      target: 'https://hooks.example.com/clair',
    });
    expect(section(config, 'notifier').poll_interval).toBe('5m');
  });

  it('replaces scalars and lists, and adds keys the defaults lack', () => {
    const config = clairConfig(testModel({ files: { 'clair-config.yaml': 'log_level: debug\nupdaters:\n  sets: [rhel-vex]\ntrace: {name: jaeger}\n' } }));
    expect(config.log_level).toBe('debug');
    expect(config.updaters).toEqual({ config: { 'rhel-vex': { ignore_unpatched: true } }, sets: ['rhel-vex'] });
    expect(config.trace).toEqual({ name: 'jaeger' });
  });
});

describe('clairConfig: air-gapped', () => {
  it('disables the matcher updaters when indexer.airgap is set', () => {
    const config = clairConfig(testModel({ files: { 'clair-config.yaml': 'indexer:\n  airgap: true\n' } }));
    expect(section(config, 'indexer').airgap).toBe(true);
    expect(section(config, 'matcher').disable_updaters).toBe(true);
    expect(section(config, 'matcher').connstring).toBe(clairConnstring(testModel()));
  });

  it("keeps the user's matcher.disable_updaters", () => {
    const config = clairConfig(testModel({ files: { 'clair-config.yaml': 'indexer:\n  airgap: true\nmatcher:\n  disable_updaters: false\n' } }));
    expect(section(config, 'matcher').disable_updaters).toBe(false);
  });

  it('leaves the updaters alone without airgap', () => {
    const config = clairConfig(testModel({ files: { 'clair-config.yaml': 'indexer:\n  airgap: false\n' } }));
    expect(section(config, 'matcher')).not.toHaveProperty('disable_updaters');
  });
});

describe('deepMerge', () => {
  it('merges objects key by key and replaces everything else', () => {
    expect(deepMerge({ a: { b: 1, c: 2 }, l: [1, 2], s: 'x' }, { a: { c: 3 }, l: [3], s: { o: 1 } })).toEqual({ a: { b: 1, c: 3 }, l: [3], s: { o: 1 } });
  });

  it('does not modify its inputs', () => {
    const base = { a: { b: 1 } };
    const over = { a: { c: 2 } };
    deepMerge(base, over);
    expect(base).toEqual({ a: { b: 1 } });
    expect(over).toEqual({ a: { c: 2 } });
  });
});

describe('clairConfigForClairctl: the whole config for <name>-clair-config-secret', () => {
  test("a managed database's login is in every connstring, quoted as libpq reads it", () => {
    const model = testModel();
    const config = clairConfigForClairctl(model, { user: 'postgres', password: `it's a \\ test`, database: 'clair' }) as Record<string, any>;
    const expected = `host=example-registry-clair-postgres port=5432 sslmode=disable pool_max_conns=33 dbname='clair' user='postgres' password='it\\'s a \\\\ test'`;
    for (const svc of ['indexer', 'matcher', 'notifier']) expect(config[svc].connstring).toBe(expected);
    // Otherwise the config Clair runs with.
    expect({ ...config, indexer: undefined, matcher: undefined, notifier: undefined }).toEqual({ ...clairConfig(model), indexer: undefined, matcher: undefined, notifier: undefined });
  });

  test("clairpostgres unmanaged: the user's connstring, as Clair has it", () => {
    const model = testModel({
      files: { 'config.yaml': 'FEATURE_USER_INITIALIZE: true\n', 'clair-config.yaml': 'indexer: {connstring: "host=db.example.com user=clair password=x dbname=clair"}\n' },
      spec: { components: [{ kind: 'clairpostgres', managed: false }] },
    });
    expect(clairConfigForClairctl(model, { user: 'u', password: 'p', database: 'd' })).toEqual(clairConfig(model));
  });
});
