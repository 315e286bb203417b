import { createHmac } from 'node:crypto';
import {
  MANAGED_KEY_NAMES,
  ensureManagedKeys,
  keysFromSecret,
  managedDatabaseName,
  managedKeysSecretName,
  parseDatabaseUri,
  randomString,
  reconfigureToken,
} from '../lib/keys';
import { fixedRandom } from './support/model';

const ALNUM = /^[0-9A-Za-z]+$/;
const DB = 'example-registry-quay-database';

describe('names', () => {
  it('names the keys Secret and the managed database after the registry', () => {
    expect(managedKeysSecretName('example-registry')).toBe('example-registry-quay-registry-managed-secret-keys');
    expect(managedDatabaseName('example-registry')).toBe(DB);
  });
});

describe('randomString', () => {
  it('has the requested length and only letters and digits', () => {
    const s = randomString(500, fixedRandom(3));
    expect(s).toHaveLength(500);
    expect(s).toMatch(ALNUM);
  });

  it('draws from all 62 letters and digits', () => {
    expect(new Set(randomString(5000)).size).toBe(62);
  });
});

describe('ensureManagedKeys', () => {
  it('generates every key with the right length and alphabet', () => {
    const keys = ensureManagedKeys('example-registry', {}, fixedRandom());
    expect(Object.keys(keys).sort()).toEqual([...MANAGED_KEY_NAMES].sort());
    expect(keys.SECRET_KEY).toMatch(/^[0-9A-Za-z]{80}$/);
    expect(keys.DATABASE_SECRET_KEY).toMatch(/^[0-9A-Za-z]{80}$/);
    expect(keys.DB_ROOT_PW).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(keys.CONFIG_EDITOR_PW).toMatch(/^[0-9A-Za-z]{16}$/);
    expect(keys.CLAIR_DB_PASSWORD).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(keys.CLAIR_DB_ROOT_PW).toBe(keys.CLAIR_DB_PASSWORD);
    expect(keys.CLAIR_DB_USER).toBe('postgres');
    expect(keys.CLAIR_DB_NAME).toBe('postgres');
    // The PSK is base64 of 32 random letters and digits.
    expect(keys.SECURITY_SCANNER_V4_PSK).toHaveLength(44);
    expect(Buffer.from(keys.SECURITY_SCANNER_V4_PSK, 'base64').toString('utf8')).toMatch(/^[0-9A-Za-z]{32}$/);
  });

  it('points DB_URI at `<name>-quay-database` with an 80-character password', () => {
    const keys = ensureManagedKeys('example-registry', {}, fixedRandom());
    expect(keys.DB_URI).toMatch(new RegExp(`^postgresql://${DB}:[0-9A-Za-z]{80}@${DB}:5432/${DB}$`));
    const parsed = parseDatabaseUri(keys.DB_URI);
    expect(parsed).toEqual({ user: DB, password: expect.stringMatching(/^[0-9A-Za-z]{80}$/), database: DB, host: DB, port: 5432 });
  });

  it('keeps every existing value (a restored backup)', () => {
    const existing = {
      SECRET_KEY: 'restored-secret-key',
      DATABASE_SECRET_KEY: 'restored-database-secret-key',
      DB_URI: 'postgresql://quay:restored@example-registry-quay-database:5432/quay',
      DB_ROOT_PW: 'restored-root',
      CONFIG_EDITOR_PW: 'restored-editor',
      SECURITY_SCANNER_V4_PSK: 'cmVzdG9yZWQ=',
      CLAIR_DB_USER: 'clair',
      CLAIR_DB_PASSWORD: 'restored-clair',
      CLAIR_DB_ROOT_PW: 'restored-clair-root',
      CLAIR_DB_NAME: 'clair',
    };
    expect(ensureManagedKeys('example-registry', existing, fixedRandom())).toEqual(existing);
  });

  it('fills in only the keys that are missing or empty', () => {
    const keys = ensureManagedKeys('example-registry', { SECRET_KEY: 'kept', DATABASE_SECRET_KEY: '' }, fixedRandom());
    expect(keys.SECRET_KEY).toBe('kept');
    expect(keys.DATABASE_SECRET_KEY).toMatch(/^[0-9A-Za-z]{80}$/);
  });

  it('gives the Clair database the legacy `postgres` password when upgrading (DB_ROOT_PW present, CLAIR_DB_PASSWORD absent)', () => {
    const keys = ensureManagedKeys('example-registry', { DB_ROOT_PW: 'old-root', DB_URI: 'postgresql://a:b@c/d' }, fixedRandom());
    expect(keys.CLAIR_DB_PASSWORD).toBe('postgres');
    expect(keys.CLAIR_DB_ROOT_PW).toBe('postgres');
    expect(keys.CLAIR_DB_USER).toBe('postgres');
    expect(keys.CLAIR_DB_NAME).toBe('postgres');
    expect(keys.DB_ROOT_PW).toBe('old-root');
  });

  it('keeps an existing Clair password when DB_ROOT_PW is present too', () => {
    expect(ensureManagedKeys('example-registry', { DB_ROOT_PW: 'old-root', CLAIR_DB_PASSWORD: 'clairpw' }, fixedRandom()).CLAIR_DB_PASSWORD).toBe('clairpw');
  });

  it('generates a random Clair password on a new install', () => {
    expect(ensureManagedKeys('example-registry', {}, fixedRandom()).CLAIR_DB_PASSWORD).not.toBe('postgres');
  });

  it('is reproducible with the same random source', () => {
    expect(ensureManagedKeys('example-registry', {}, fixedRandom(11))).toEqual(ensureManagedKeys('example-registry', {}, fixedRandom(11)));
  });

  it('gives different keys on two calls with the secure random source', () => {
    const a = ensureManagedKeys('example-registry', {});
    const b = ensureManagedKeys('example-registry', {});
    expect(a.SECRET_KEY).not.toBe(b.SECRET_KEY);
    expect(a.DATABASE_SECRET_KEY).not.toBe(b.DATABASE_SECRET_KEY);
    expect(a.DB_URI).not.toBe(b.DB_URI);
    expect(a.DB_ROOT_PW).not.toBe(b.DB_ROOT_PW);
    expect(a.CONFIG_EDITOR_PW).not.toBe(b.CONFIG_EDITOR_PW);
    expect(a.SECURITY_SCANNER_V4_PSK).not.toBe(b.SECURITY_SCANNER_V4_PSK);
    expect(a.CLAIR_DB_PASSWORD).not.toBe(b.CLAIR_DB_PASSWORD);
  });

  it('uses distinct values for the different keys', () => {
    const keys = ensureManagedKeys('example-registry', {});
    expect(keys.SECRET_KEY).not.toBe(keys.DATABASE_SECRET_KEY);
    expect(keys.DB_ROOT_PW).not.toBe(keys.CLAIR_DB_PASSWORD);
  });
});

describe('keysFromSecret', () => {
  it('reads base64 data', () => {
    const secret = { data: { SECRET_KEY: Buffer.from('s3cret').toString('base64'), DB_ROOT_PW: Buffer.from('root').toString('base64') } };
    expect(keysFromSecret(secret)).toEqual({ SECRET_KEY: 's3cret', DB_ROOT_PW: 'root' });
  });

  it('reads plain stringData, which wins over data', () => {
    const secret = { data: { SECRET_KEY: Buffer.from('from-data').toString('base64') }, stringData: { SECRET_KEY: 'from-stringData', CLAIR_DB_NAME: 'postgres' } };
    expect(keysFromSecret(secret)).toEqual({ SECRET_KEY: 'from-stringData', CLAIR_DB_NAME: 'postgres' });
  });

  it('reads a Secret without data as {}', () => {
    expect(keysFromSecret({ metadata: { name: 'x' } })).toEqual({});
  });

  it('round-trips with ensureManagedKeys', () => {
    const keys = ensureManagedKeys('example-registry', {}, fixedRandom());
    const data = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    expect(ensureManagedKeys('example-registry', keysFromSecret({ data }), fixedRandom(99))).toEqual(keys);
  });
});

describe('parseDatabaseUri', () => {
  it('splits a postgresql:// URI', () => {
    expect(parseDatabaseUri('postgresql://quay:s3cret@db.example.com:5433/quaydb')).toEqual({
      user: 'quay',
      password: 's3cret',
      database: 'quaydb',
      host: 'db.example.com',
      port: 5433,
    });
  });

  it('defaults the port to 5432 and accepts postgres://', () => {
    expect(parseDatabaseUri('postgres://quay:pw@db/quay')).toEqual({ user: 'quay', password: 'pw', database: 'quay', host: 'db', port: 5432 });
  });

  it('decodes percent-encoded credentials', () => {
    const uri = `postgresql://${encodeURIComponent('qu@y')}:${encodeURIComponent('p@ss:/word')}@db:5432/quay`;
    expect(parseDatabaseUri(uri)).toEqual({ user: 'qu@y', password: 'p@ss:/word', database: 'quay', host: 'db', port: 5432 });
  });

  it('round-trips a generated DB_URI', () => {
    const keys = ensureManagedKeys('example-registry', {}, fixedRandom());
    const p = parseDatabaseUri(keys.DB_URI)!;
    expect(`postgresql://${p.user}:${p.password}@${p.host}:${p.port}/${p.database}`).toBe(keys.DB_URI);
  });

  it.each(['not a uri', '', 'mysql://quay:pw@db/quay', 'http://db.example.com/quay'])('returns undefined for %j', (garbage) => {
    expect(parseDatabaseUri(garbage)).toBeUndefined();
  });
});

describe('reconfigureToken', () => {
  it("is HMAC-SHA256 of the registry's namespace and name under the editor's password, in hex", () => {
    const expected = createHmac('sha256', 'editor-pw').update('quay-operator/reconfigure:quay-enterprise/example-registry').digest('hex');
    expect(reconfigureToken('editor-pw', 'quay-enterprise', 'example-registry')).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it("one registry's editor cannot reconfigure another (namespace and name bound)", () => {
    const token = reconfigureToken('editor-pw', 'quay-enterprise', 'example-registry');
    expect(reconfigureToken('editor-pw', 'other', 'example-registry')).not.toBe(token);
    expect(reconfigureToken('editor-pw', 'quay-enterprise', 'other')).not.toBe(token);
    expect(reconfigureToken('other-pw', 'quay-enterprise', 'example-registry')).not.toBe(token);
  });
});

it('an empty CLAIR_DB_PASSWORD next to DB_ROOT_PW is not a legacy upgrade: a new random password, not `postgres`', () => {
  const keys = ensureManagedKeys('example-registry', { DB_ROOT_PW: 'root', CLAIR_DB_PASSWORD: '' }, fixedRandom());
  expect(keys.CLAIR_DB_PASSWORD).toMatch(/^[0-9A-Za-z]{32}$/);
  expect(keys.CLAIR_DB_ROOT_PW).toBe(keys.CLAIR_DB_PASSWORD);
});
