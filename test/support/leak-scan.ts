// Secrets never leave where they belong: after a controller test, every value held in a Secret of the
// fake API server (generated keys, passwords, bucket keys, private keys, the config bundle's values)
// is searched for in what an admin or a log collector reads: the operator's log lines (captured at
// debug level), its Events, the registries' status (condition messages) and its metrics (labels).
// Every controller test that ends with the harness's shutDown runs it.
import * as yaml from 'js-yaml';
import { secretStrings } from '../../lib/secrets';
import type { FakeApiServer } from './fake-apiserver';

type Obj = Record<string, any>;

/** Keys whose values are public by nature: certificates (not their keys), host names, non-secret settings. */
const PUBLIC_FILE = /(^|\.)(crt|cert|pem)$|^(ca\.crt|tls\.crt|ssl\.cert|service-ca\.crt)$|^extra_ca_cert_/;
/** Secret keys that name things rather than hold secrets (a database's user, name, host, port). */
const PUBLIC_KEY_NAME = /(^|[-_.])(user|username|name|host|hostname|port|database|db|email|sslmode)$/i;
const PUBLIC_CONFIG_KEYS = new Set(['SERVER_HOSTNAME', 'BUILDMAN_HOSTNAME', 'PREFERRED_URL_SCHEME', 'DISTRIBUTED_STORAGE_PREFERENCE', 'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS', 'username', 'email', 'CLAIR_DB_USER', 'CLAIR_DB_NAME']);
/** Upstream's legacy Clair database password (lib/keys.ts, PROJQUAY-10279), and Clair's metrics setting `prometheus`: public words. */
const PUBLIC_VALUES = new Set(['postgres', 'prometheus']);
/** Shorter values are everyday words (true, quay, 2w) that any log contains. */
const MIN_LENGTH = 8;

function configLeaves(value: unknown, key: string, out: { add(v: string): unknown }): void {
  if (typeof value === 'string') {
    if (!PUBLIC_CONFIG_KEYS.has(key) && value.length >= MIN_LENGTH && !PUBLIC_VALUES.has(value)) out.add(value);
    // The password inside a URI (DB_URI) leaks on its own too.
    const password = /:\/\/[^:/@]+:([^@]+)@/.exec(value)?.[1];
    if (password && password.length >= MIN_LENGTH) out.add(decodeURIComponent(password));
  } else if (Array.isArray(value)) for (const v of value) configLeaves(v, key, out);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) configLeaves(v, k, out);
}

/** The sensitive values every Secret in the server holds (value → `Secret/key` it came from). */
export function secretValues(server: FakeApiServer): Map<string, string> {
  const found = new Map<string, string>();
  for (const secret of server.list('v1', 'Secret') as Obj[]) {
    if (secret.type === 'kubernetes.io/service-account-token') continue;
    for (const [key, value] of Object.entries(secretStrings(secret))) {
      if (PUBLIC_FILE.test(key) || PUBLIC_CONFIG_KEYS.has(key) || PUBLIC_KEY_NAME.test(key) || value.length < MIN_LENGTH || PUBLIC_VALUES.has(value)) continue;
      const out = { add: (v: string) => found.set(v, `${secret.metadata.name}/${key}`) };
      if (key.endsWith('.yaml') || key.endsWith('.yml')) {
        try {
          configLeaves(yaml.load(value), key, out);
          continue;
        } catch {
          // Not YAML: searched whole.
        }
      }
      out.add(value);
      // A private key is also searched by its base64 body lines (a log may carry part of it).
      if (value.includes('PRIVATE KEY')) for (const line of value.split('\n')) if (line.length >= 40 && !line.startsWith('-----')) out.add(line);
    }
  }
  return found;
}

/** `where: value-kind` for each leak found in `texts` (name → text). */
export function findLeaks(server: FakeApiServer, texts: Record<string, string>): string[] {
  const leaks: string[] = [];
  const values = secretValues(server);
  for (const [where, text] of Object.entries(texts)) {
    for (const [v, from] of values) if (text.includes(v)) leaks.push(`LEAK in ${where}: the value of ${from} (${v.length} chars)`);
  }
  return leaks;
}

/** What the cluster shows of the operator: its Events and the registries' status. */
export function publishedByOperator(server: FakeApiServer): Record<string, string> {
  return {
    events: JSON.stringify((server.list('v1', 'Event') as Obj[]).map((e) => [e.reason, e.message, e.note])),
    status: JSON.stringify((server.list('quay.redhat.com/v1', 'QuayRegistry') as Obj[]).map((r) => r.status ?? null)),
  };
}
