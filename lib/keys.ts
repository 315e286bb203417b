// Generated secrets (`<registry>-quay-registry-managed-secret-keys`): cryptographically random,
// generated once, and reused whenever the Secret exists, also after a restore from backup.
import { createHmac, randomInt } from 'node:crypto';
import { secretStrings } from './secrets';

export const MANAGED_KEY_NAMES = [
  'SECRET_KEY',
  'DATABASE_SECRET_KEY',
  'DB_URI',
  'DB_ROOT_PW',
  'CONFIG_EDITOR_PW',
  'SECURITY_SCANNER_V4_PSK',
  'CLAIR_DB_USER',
  'CLAIR_DB_PASSWORD',
  'CLAIR_DB_ROOT_PW',
  'CLAIR_DB_NAME',
] as const;
export type ManagedKeyName = (typeof MANAGED_KEY_NAMES)[number];
export type ManagedKeys = Readonly<Record<ManagedKeyName, string>>;

/** Returns a uniformly random index below n; injectable so tests are reproducible. */
export type RandomInt = (n: number) => number;
export const secureRandomInt: RandomInt = (n) => randomInt(n);

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// randomInt draws without modulo bias, unlike upstream's `byte % 63`.
export function randomString(length: number, random: RandomInt = secureRandomInt): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[random(ALPHANUMERIC.length)];
  return out;
}

export function managedKeysSecretName(registry: string): string {
  return `${registry}-quay-registry-managed-secret-keys`;
}

/**
 * The secret the config editor presents to the operator's /reconfigure endpoint: derived from the
 * editor's password and bound to one registry, so it needs no key of its own and one registry's
 * editor cannot reconfigure another. Hex, so it can sit in a URL's userinfo.
 */
export function reconfigureToken(editorPassword: string, namespace: string, registry: string): string {
  return createHmac('sha256', editorPassword).update(`quay-operator/reconfigure:${namespace}/${registry}`).digest('hex');
}

export function managedDatabaseName(registry: string): string {
  return `${registry}-quay-database`;
}

/**
 * Fills in whatever `existing` lacks. Existing values are never replaced. A restored backup from an
 * older operator may lack the Clair database keys: the Clair database then still has upstream's
 * legacy `postgres` password, so that is what it gets (PROJQUAY-10279).
 */
export function ensureManagedKeys(registry: string, existing: Partial<Record<string, string>>, random: RandomInt = secureRandomInt): ManagedKeys {
  const keep = (k: ManagedKeyName, make: () => string) => (existing[k] !== undefined && existing[k] !== '' ? (existing[k] as string) : make());
  const db = managedDatabaseName(registry);
  const upgradeFromLegacy = existing.DB_ROOT_PW !== undefined && existing.CLAIR_DB_PASSWORD === undefined;
  const clairPassword = keep('CLAIR_DB_PASSWORD', () => (upgradeFromLegacy ? 'postgres' : randomString(32, random)));
  return {
    SECRET_KEY: keep('SECRET_KEY', () => randomString(80, random)),
    DATABASE_SECRET_KEY: keep('DATABASE_SECRET_KEY', () => randomString(80, random)),
    DB_URI: keep('DB_URI', () => `postgresql://${db}:${randomString(80, random)}@${db}:5432/${db}`),
    DB_ROOT_PW: keep('DB_ROOT_PW', () => randomString(32, random)),
    CONFIG_EDITOR_PW: keep('CONFIG_EDITOR_PW', () => randomString(16, random)),
    SECURITY_SCANNER_V4_PSK: keep('SECURITY_SCANNER_V4_PSK', () => Buffer.from(randomString(32, random)).toString('base64')),
    CLAIR_DB_USER: keep('CLAIR_DB_USER', () => 'postgres'),
    CLAIR_DB_PASSWORD: clairPassword,
    CLAIR_DB_ROOT_PW: keep('CLAIR_DB_ROOT_PW', () => clairPassword),
    CLAIR_DB_NAME: keep('CLAIR_DB_NAME', () => 'postgres'),
  };
}

/** Reads the keys from a Secret object (data base64, stringData plain). */
export const keysFromSecret = secretStrings;

/** Splits a postgresql:// URI into what the managed database's environment needs. */
export function parseDatabaseUri(uri: string): { user: string; password: string; database: string; host: string; port: number } | undefined {
  try {
    const u = new URL(uri);
    if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') return undefined;
    return {
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: decodeURIComponent(u.pathname.replace(/^\//, '')),
      host: u.hostname,
      port: u.port ? Number(u.port) : 5432,
    };
  } catch {
    return undefined;
  }
}
