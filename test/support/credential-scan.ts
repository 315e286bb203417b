// What must never appear in a rendered or applied object: every generated key (and the password
// inside DB_URI), the bucket's keys, and every value of the user's config bundle (its config.yaml and
// clair-config.yaml leaves, its other files whole). Objects are searched as JSON text with every
// Secret's data decoded and every base64-looking string decoded too.
import type { RegistryModel } from '../../lib/model';
import { parseDatabaseUri } from '../../lib/keys';

type Obj = Record<string, any>;

/** Values a bundle may hold that an operator legitimately renders (a public hostname, a URL scheme). */
// SECURITY_SCANNER_V4_ENDPOINT: a global Clair endpoint is a public name like SERVER_HOSTNAME (credentials in it are refused).
const PUBLIC_KEYS = new Set(['SERVER_HOSTNAME', 'BUILDMAN_HOSTNAME', 'PREFERRED_URL_SCHEME', 'DISTRIBUTED_STORAGE_PREFERENCE', 'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS', 'SECURITY_SCANNER_V4_ENDPOINT']);
/** Shorter strings are everyday words (true, Quay, 2w) that any render contains. */
const MIN_LENGTH = 8;

function leaves(value: unknown, key: string, out: Map<string, string>): void {
  if (typeof value === 'string') {
    if (!PUBLIC_KEYS.has(key) && value.length >= MIN_LENGTH) out.set(value, `bundle ${key}`);
  } else if (Array.isArray(value)) for (const v of value) leaves(v, key, out);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) leaves(v, k, out);
}

/** needle → where it comes from. */
export function forbiddenValues(model: RegistryModel): Map<string, string> {
  const out = new Map<string, string>();
  // The Clair database's user and name are the image's `postgres`: names, not secrets.
  const names = new Set(['CLAIR_DB_USER', 'CLAIR_DB_NAME']);
  for (const [k, v] of Object.entries(model.keys)) if (!names.has(k) && v.length >= MIN_LENGTH) out.set(v, `generated key ${k}`);
  const db = parseDatabaseUri(model.keys.DB_URI);
  if (db) out.set(db.password, 'the password in DB_URI');
  if (model.objectBucket) {
    out.set(model.objectBucket.accessKey, 'bucket access key');
    out.set(model.objectBucket.secretKey, 'bucket secret key');
  }
  leaves(model.bundle.config, '', out);
  leaves(model.bundle.clairConfig ?? {}, '', out);
  for (const [file, content] of model.bundle.files) {
    if (file === 'config.yaml' || file === 'clair-config.yaml') continue;
    const text = content.toString('utf8').trim();
    if (text.length >= MIN_LENGTH) out.set(text, `bundle file ${file}`);
    // A certificate or key line, in case a file is split or re-encoded.
    for (const line of text.split('\n')) if (line.length >= 40 && !line.startsWith('-----')) out.set(line, `a line of bundle file ${file}`);
  }
  return out;
}

/** Every string of the object, with Secret data and base64-looking strings decoded. */
function texts(obj: Obj): string[] {
  const out: string[] = [JSON.stringify(obj)];
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      out.push(v); // as is: JSON escapes quotes and backslashes
      if (v.length >= 12 && /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0) out.push(Buffer.from(v, 'base64').toString('utf8'));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(obj);
  for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, string>)) out.push(`${k}=${v}`);
  return out;
}

/** `<kind>/<name>: <what>` for every forbidden value found. */
export function credentialLeaks(objects: Obj[], forbidden: Map<string, string>): string[] {
  const found: string[] = [];
  for (const o of objects) {
    const haystack = texts(o).join('\n');
    for (const [needle, what] of forbidden) if (haystack.includes(needle)) found.push(`${o.kind}/${o.metadata?.name}: ${what}`);
  }
  return [...new Set(found)].sort();
}
