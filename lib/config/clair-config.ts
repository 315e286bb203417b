// Clair's config.yaml for a managed Clair: connection strings for the managed (or user-supplied)
// database, the PSK Quay signs requests with, and the user's clair-config.yaml merged over it.
import type { RegistryModel } from '../model';
import { clairEndpoint, globalClairEndpoint, sortKeys } from './quay-config';

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

/** More pods share the database when the HPA may scale Clair out (upstream: 33 vs 10). */
function poolSize(model: RegistryModel): number {
  return model.components.horizontalpodautoscaler.managed ? 33 : 10;
}

/**
 * The managed database's connection string, without user, password or database: Clair's pgx reads
 * them from PGUSER, PGPASSWORD and PGDATABASE, which come from the database's config Secret.
 */
export function clairConnstring(model: RegistryModel): string {
  return `host=${clairDatabaseHost(model)} port=5432 sslmode=disable pool_max_conns=${poolSize(model)}`;
}

const SERVICES = ['indexer', 'matcher', 'notifier'] as const;

/** The services whose connstring the user's clair-config.yaml sets. */
function userConnstringServices(model: RegistryModel): string[] {
  const clair = model.bundle.clairConfig ?? {};
  return SERVICES.filter((svc) => {
    const section = clair[svc];
    return isPlainObject(section) && typeof section.connstring === 'string' && section.connstring !== '';
  });
}

/** Clair's PSK, the one Quay signs its requests with: a drop-in from `<registry>-clair-auth` (rendered with the keys). */
export function clairAuthDropIn(psk: string): Json {
  return { auth: { psk: { iss: ['quay', 'clairctl'], key: psk } } };
}

export function clairAuthSecretName(registry: string): string {
  return `${registry}-clair-auth`;
}
export const CLAIR_AUTH_KEY = 'auth.yaml';

/**
 * Clair's root config.yaml: everything the operator sets that is not a credential. The PSK, the
 * user's clair-config.yaml and the operator's rules that depend on it are drop-ins (Clair >= 4.7
 * merges `config.yaml.d/*.yaml` and applies `*.yaml-patch` in name order).
 */
export function clairBaseConfig(model: RegistryModel): Json {
  // With clairpostgres unmanaged there is no managed database: the connection strings are the
  // user's (a patch copies theirs to the services that lack one).
  const useManaged = model.components.clairpostgres.managed || userConnstringServices(model).length === 0;
  const conn = useManaged ? { connstring: clairConnstring(model) } : {};
  // spec.clair.disconnected, as the seeds' air-gapped section says: no updater reaches the internet
  // (vulnerability data is imported with clairctl), the indexer fetches nothing from public addresses.
  const disconnected = model.registry.spec.clair?.disconnected === true;
  // Behind a global Clair endpoint (geo-replication) Quay fetches notifications through it: Clair
  // names itself by the load balancer's name, as Quay does by SERVER_HOSTNAME.
  const callbackBase = globalClairEndpoint(model) ? clairEndpoint(model) : `http://${model.name}-clair-app`;
  return sortKeys({
    http_listen_addr: ':8080',
    introspection_addr: ':8089',
    log_level: 'info',
    indexer: { ...conn, layer_scan_concurrency: 5, migrations: true, scanlock_retry: 10, ...(disconnected ? { airgap: true } : {}) },
    matcher: { ...conn, migrations: true, ...(disconnected ? { disable_updaters: true } : {}) },
    notifier: {
      ...conn,
      delivery_interval: '1m',
      migrations: true,
      poll_interval: '5m',
      webhook: {
        callback: `${callbackBase}/notifier/api/v1/notifications`,
        target: `https://${model.hostnames.server}/secscan/notification`,
      },
    },
    metrics: { name: 'prometheus' },
    updaters: {
      config: { 'rhel-vex': { ignore_unpatched: true } },
      sets: ['alpine', 'aws', 'clair.cvss', 'debian', 'oracle', 'photon', 'rhcc', 'rhel-vex', 'suse', 'ubuntu'],
    },
  }) as Json;
}

/** A JSON Patch operation (RFC 6902), as Clair's `*.yaml-patch` drop-ins hold them. */
export interface PatchOp {
  readonly op: 'copy';
  readonly from: string;
  readonly path: string;
}

/** The operator's drop-ins that follow the user's clair-config.yaml: file name → content. */
export function clairDropIns(model: RegistryModel): { merges: Record<string, Json>; patches: Record<string, PatchOp[]> } {
  const merges: Record<string, Json> = {};
  const patches: Record<string, PatchOp[]> = {};
  const user = model.bundle.clairConfig ?? {};
  // Air-gapped (seeds): with indexer.airgap set, updaters cannot reach the internet; disable them
  // unless the user says otherwise, and import vulnerability data with clairctl instead.
  const indexer = user.indexer;
  const matcher = user.matcher;
  if (isPlainObject(indexer) && indexer.airgap === true && !(isPlainObject(matcher) && matcher.disable_updaters !== undefined)) {
    merges['90-airgap.yaml'] = { matcher: { disable_updaters: true } };
  }
  // clairpostgres unmanaged and a connstring for some services only: every service uses it (copied,
  // not rendered: it holds the user's password).
  const withConn = userConnstringServices(model);
  if (!model.components.clairpostgres.managed && withConn.length > 0) {
    const missing = SERVICES.filter((svc) => !withConn.includes(svc));
    if (missing.length > 0) patches['95-connstring.yaml-patch'] = missing.map((svc) => ({ op: 'copy', from: `/${withConn[0]}/connstring`, path: `/${svc}/connstring` }));
  }
  return { merges, patches };
}

/**
 * The config Clair ends up with (root, PSK, the user's file, the operator's drop-ins), as Clair
 * loads it: for the tests and to reason about; Clair itself assembles it from the mounted files.
 */
export function clairConfig(model: RegistryModel): Json {
  let merged = deepMerge(deepMerge(clairBaseConfig(model), clairAuthDropIn(model.keys.SECURITY_SCANNER_V4_PSK)), model.bundle.clairConfig ?? {});
  const { merges, patches } = clairDropIns(model);
  const files = [...Object.keys(merges), ...Object.keys(patches)].sort();
  for (const f of files) {
    if (merges[f]) merged = deepMerge(merged, merges[f]);
    for (const op of patches[f] ?? []) {
      const get = (path: string) => path.split('/').slice(1).reduce<unknown>((o, k) => (isPlainObject(o) ? o[k] : undefined), merged);
      const [section, key] = op.path.split('/').slice(1);
      merged = { ...merged, [section]: { ...(merged[section] as Json), [key]: get(op.from) } };
    }
  }
  return sortKeys(merged) as Json;
}

/** `<registry>-clair-config-secret`: the seeds' airgap steps read Clair's config from it for clairctl. */
export function clairConfigSecretName(registry: string): string {
  return `${registry}-clair-config-secret`;
}

/** A libpq keyword value: quoted, with quotes and backslashes escaped, whatever it holds. */
function libpqValue(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The config Clair runs with, whole, for clairctl (the seeds: `kubectl get secret
 * <name>-clair-config-secret -o jsonpath={.data['config\.yaml']}`): Clair itself reads the root
 * ConfigMap and drop-ins, with its database login from the environment; this copy has the login in
 * the connection strings of a managed database, as clairctl run elsewhere needs.
 */
export function clairConfigForClairctl(model: RegistryModel, login: { user: string; password: string; database: string }): Json {
  const config = clairConfig(model);
  if (!model.components.clairpostgres.managed) return config;
  const connstring = `${clairConnstring(model)} dbname=${libpqValue(login.database)} user=${libpqValue(login.user)} password=${libpqValue(login.password)}`;
  const out: Json = { ...config };
  for (const svc of SERVICES) out[svc] = { ...(config[svc] as Json), connstring };
  return sortKeys(out) as Json;
}
