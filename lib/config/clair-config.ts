// Clair's config.yaml for a managed Clair: connection strings for the managed (or user-supplied)
// database, the PSK Quay signs requests with, and the user's clair-config.yaml merged over it.
import type { RegistryModel } from '../model';
import { sortKeys } from './quay-config';

type Json = Record<string, unknown>;

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else in `over` replaces what is in `base`. */
export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Json, v) : v;
  }
  return out;
}

export function clairDatabaseHost(model: RegistryModel): string {
  return `${model.name}-clair-postgres`;
}

export function clairConnstring(model: RegistryModel): string {
  const k = model.keys;
  // More pods share the database when the HPA may scale Clair out (upstream: 33 vs 10).
  const pool = model.components.horizontalpodautoscaler.managed ? 33 : 10;
  return `host=${clairDatabaseHost(model)} port=5432 dbname=${k.CLAIR_DB_NAME} user=${k.CLAIR_DB_USER} password=${k.CLAIR_DB_PASSWORD} sslmode=disable pool_max_conns=${pool}`;
}

/** The user's first connection string, for services their clair-config.yaml leaves out. */
function userConnstring(model: RegistryModel): string | undefined {
  const clair = model.bundle.clairConfig ?? {};
  for (const svc of ['indexer', 'matcher', 'notifier']) {
    const section = clair[svc];
    if (isPlainObject(section) && typeof section.connstring === 'string' && section.connstring !== '') return section.connstring;
  }
  return undefined;
}

export function clairConfig(model: RegistryModel): Json {
  // With clairpostgres unmanaged there is no managed database to point at: every service uses the
  // database the user named, even if clair-config.yaml names it for one service only.
  const connstring = (!model.components.clairpostgres.managed && userConnstring(model)) || clairConnstring(model);
  const defaults: Json = {
    http_listen_addr: ':8080',
    introspection_addr: ':8089',
    log_level: 'info',
    auth: { psk: { iss: ['quay', 'clairctl'], key: model.keys.SECURITY_SCANNER_V4_PSK } },
    indexer: { connstring, layer_scan_concurrency: 5, migrations: true, scanlock_retry: 10 },
    matcher: { connstring, migrations: true },
    notifier: {
      connstring,
      delivery_interval: '1m',
      migrations: true,
      poll_interval: '5m',
      webhook: {
        callback: `http://${model.name}-clair-app/notifier/api/v1/notifications`,
        target: `https://${model.hostnames.server}/secscan/notification`,
      },
    },
    metrics: { name: 'prometheus' },
    updaters: {
      config: { 'rhel-vex': { ignore_unpatched: true } },
      sets: ['alpine', 'aws', 'clair.cvss', 'debian', 'oracle', 'photon', 'rhcc', 'rhel-vex', 'suse', 'ubuntu'],
    },
  };
  const user = model.bundle.clairConfig ?? {};
  const merged = deepMerge(defaults, user);
  // Air-gapped (seeds): with indexer.airgap set, updaters cannot reach the internet; disable them
  // unless the user says otherwise, and import vulnerability data with clairctl instead.
  const indexer = merged.indexer as Json;
  const matcher = merged.matcher as Json;
  if (indexer?.airgap === true && isPlainObject(matcher) && matcher.disable_updaters === undefined) {
    merged.matcher = { ...matcher, disable_updaters: true };
  }
  return sortKeys(merged) as Json;
}
