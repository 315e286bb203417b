// Quay's final config.yaml: the user's config.yaml as the base, each managed component's fields
// over it, and Quay's base defaults for keys nobody set.
import type { RegistryModel } from '../model';
import { FIELD_GROUPS } from '../bundle/component-config';
import { managedKeysSecretName } from '../keys';
import { registryObjectName, SHARED_NAMES } from '../names';
import { assembleConfig, AssemblySpec, EnvRef, envRef } from './assemble';

/** Upstream's BaseQuayConfig(): what a fresh registry needs to start. */
export const BASE_QUAY_CONFIG: Readonly<Record<string, unknown>> = {
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
};

export function redisHost(model: RegistryModel): string {
  return `${model.name}-quay-redis`;
}

/** The managed Clair's Service, as Quay reaches it inside the cluster. */
export function localClairEndpoint(model: RegistryModel): string {
  return `http://${model.name}-clair-app.${model.namespace}.svc.cluster.local`;
}

/**
 * Where Quay reaches the managed Clair: SECURITY_SCANNER_V4_ENDPOINT from config.yaml when set (a
 * global load balancer in front of every geo-replicated site's Clair), else Clair's Service.
 */
export function clairEndpoint(model: RegistryModel): string {
  const configured = model.bundle.config.SECURITY_SCANNER_V4_ENDPOINT;
  return typeof configured === 'string' && configured !== '' ? configured.replace(/\/+$/, '') : localClairEndpoint(model);
}

/**
 * Whether `endpoint` is the managed Clair's Service as a pod in the cluster names it: http on the
 * Service's port (80), as `<name>-clair-app`, `.<namespace>`, `.<namespace>.svc` or
 * `.<namespace>.svc.cluster.local` (a trailing dot allowed). Only Quay's pods call it there.
 */
function namesClairService(model: RegistryModel, endpoint: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  const service = registryObjectName(model.name, SHARED_NAMES.clairApp);
  const names = [service, `${service}.${model.namespace}`, `${service}.${model.namespace}.svc`, `${service}.${model.namespace}.svc.cluster.local`];
  // URL drops the scheme's default port (http://x:80 has port '').
  return url.protocol === 'http:' && url.port === '' && names.includes(url.hostname.replace(/\.$/, ''));
}

/**
 * Whether the managed Clair is reached through an endpoint of the user's (a global load balancer in
 * front of every site's Clair), not its Service under any of the names pods reach it by.
 */
export function globalClairEndpoint(model: RegistryModel): boolean {
  return !namesClairService(model, clairEndpoint(model));
}

/** Why SECURITY_SCANNER_V4_ENDPOINT (with a managed Clair) is not an http(s) URL Quay can call, if it is not. */
export function clairEndpointProblem(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const shown = JSON.stringify(value);
  if (typeof value !== 'string') return `SECURITY_SCANNER_V4_ENDPOINT ${shown} is not a URL such as https://clair.example.com`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `SECURITY_SCANNER_V4_ENDPOINT ${shown} is not a URL such as https://clair.example.com`;
  }
  // Not shown: the message goes into status and Events.
  if (url.username !== '' || url.password !== '') return 'SECURITY_SCANNER_V4_ENDPOINT must not carry credentials (user:password@): Quay authenticates to Clair with its PSK';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `SECURITY_SCANNER_V4_ENDPOINT ${shown} must be an http:// or https:// URL`;
  if (url.hostname === '') return `SECURITY_SCANNER_V4_ENDPOINT ${shown} names no host`;
  // Quay appends its API paths; and the URL is copied into Clair's config and the render.
  if (url.search !== '' || url.hash !== '') return `SECURITY_SCANNER_V4_ENDPOINT ${shown} must not have a query or fragment: Quay appends Clair's API paths to it`;
  return undefined;
}

/** The init container's environment variables that carry credentials into config.yaml. */
export const CONFIG_ENV = {
  dbUri: 'QUAY_DB_URI',
  secretKey: 'QUAY_SECRET_KEY',
  databaseSecretKey: 'QUAY_DATABASE_SECRET_KEY',
  securityScannerPsk: 'QUAY_SECURITY_SCANNER_V4_PSK',
  bucketHost: 'BUCKET_HOST',
  bucketPort: 'BUCKET_PORT',
  bucketName: 'BUCKET_NAME',
  bucketAccessKey: 'AWS_ACCESS_KEY_ID',
  bucketSecretKey: 'AWS_SECRET_ACCESS_KEY',
} as const;

/** Where an environment variable of the config assembly comes from: a key of a Secret or ConfigMap. */
export interface ConfigEnvSource {
  readonly name: string;
  readonly kind: 'Secret' | 'ConfigMap';
  readonly object: string;
  readonly key: string;
  readonly optional?: boolean;
}

/** Whether Quay's SECRET_KEY / DATABASE_SECRET_KEY come from the user's config.yaml (theirs wins). */
function userSets(model: RegistryModel, key: string): boolean {
  const v = model.bundle.config[key];
  return v !== undefined && v !== null && v !== '';
}

/**
 * The fields the operator owns for each managed component, credentials as placeholders the init
 * container fills from its environment (`configEnvSources`).
 */
export function managedFields(model: RegistryModel): Record<string, unknown> {
  const c = model.components;
  const out: Record<string, unknown> = {};
  if (c.postgres.managed) {
    out.DB_URI = envRef(CONFIG_ENV.dbUri);
    out.DB_CONNECTION_ARGS = { autorollback: true, threadlocals: true };
  }
  if (c.redis.managed) {
    out.BUILDLOGS_REDIS = { host: redisHost(model), port: 6379 };
    out.USER_EVENTS_REDIS = { host: redisHost(model), port: 6379 };
  }
  if (c.clair.managed) {
    Object.assign(out, {
      FEATURE_SECURITY_SCANNER: true,
      FEATURE_SECURITY_NOTIFICATIONS: true,
      SECURITY_SCANNER_INDEXING_INTERVAL: 30,
      SECURITY_SCANNER_V4_ENDPOINT: clairEndpoint(model),
      SECURITY_SCANNER_V4_NAMESPACE_WHITELIST: ['admin'],
      SECURITY_SCANNER_V4_PSK: envRef(CONFIG_ENV.securityScannerPsk),
    });
  }
  if (c.objectstorage.managed) {
    out.DISTRIBUTED_STORAGE_CONFIG = {
      local_us: [
        'RHOCSStorage',
        {
          hostname: envRef(CONFIG_ENV.bucketHost),
          port: envRef(CONFIG_ENV.bucketPort, { as: 'int', default: 443 }),
          is_secure: true,
          storage_path: '/datastorage/registry',
          access_key: envRef(CONFIG_ENV.bucketAccessKey),
          secret_key: envRef(CONFIG_ENV.bucketSecretKey),
          bucket_name: envRef(CONFIG_ENV.bucketName),
        },
      ],
    };
    out.DISTRIBUTED_STORAGE_PREFERENCE = ['local_us'];
    out.DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS = ['local_us'];
    out.FEATURE_STORAGE_REPLICATION = false;
    out.FEATURE_PROXY_STORAGE = true;
  }
  if (c.route.managed) {
    // Managed TLS is the Route's edge termination: Quay itself then speaks plain HTTP.
    out.EXTERNAL_TLS_TERMINATION = model.certificate === undefined;
    out.PREFERRED_URL_SCHEME = 'https';
    out.SERVER_HOSTNAME = model.hostnames.server;
  } else if (model.bundle.config.SERVER_HOSTNAME === undefined) {
    out.SERVER_HOSTNAME = model.hostnames.server;
  }
  if (c.mirror.managed) {
    out.FEATURE_REPO_MIRROR = true;
    out.REPO_MIRROR_INTERVAL = 30;
    out.REPO_MIRROR_TLS_VERIFY = true;
  }
  // spec.initialUser: the operator's call needs the endpoint on (the model refuses an explicit false).
  if (model.registry.spec.initialUser) out.FEATURE_USER_INITIALIZE = true;
  // Secrets Quay needs whatever the components: the user's value wins, else the generated one.
  if (!userSets(model, 'SECRET_KEY')) out.SECRET_KEY = envRef(CONFIG_ENV.secretKey);
  if (!userSets(model, 'DATABASE_SECRET_KEY')) out.DATABASE_SECRET_KEY = envRef(CONFIG_ENV.databaseSecretKey);
  return out;
}

/** The Secret and ConfigMap keys behind the placeholders `managedFields` uses. */
export function configEnvSources(model: RegistryModel): ConfigEnvSource[] {
  const keys = managedKeysSecretName(model.name);
  const fromKeys = (name: string, key: string): ConfigEnvSource => ({ name, kind: 'Secret', object: keys, key });
  const used = new Set<string>();
  collectEnvRefs(managedFields(model), used);
  const datastore = registryObjectName(model.name, SHARED_NAMES.datastore);
  const all: ConfigEnvSource[] = [
    fromKeys(CONFIG_ENV.dbUri, 'DB_URI'),
    fromKeys(CONFIG_ENV.secretKey, 'SECRET_KEY'),
    fromKeys(CONFIG_ENV.databaseSecretKey, 'DATABASE_SECRET_KEY'),
    fromKeys(CONFIG_ENV.securityScannerPsk, 'SECURITY_SCANNER_V4_PSK'),
    // The bucket provisioner's (lib-bucket-provisioner) Secret and ConfigMap, named after the claim.
    { name: CONFIG_ENV.bucketHost, kind: 'ConfigMap', object: datastore, key: 'BUCKET_HOST' },
    { name: CONFIG_ENV.bucketPort, kind: 'ConfigMap', object: datastore, key: 'BUCKET_PORT', optional: true },
    { name: CONFIG_ENV.bucketName, kind: 'ConfigMap', object: datastore, key: 'BUCKET_NAME' },
    { name: CONFIG_ENV.bucketAccessKey, kind: 'Secret', object: datastore, key: 'AWS_ACCESS_KEY_ID' },
    { name: CONFIG_ENV.bucketSecretKey, kind: 'Secret', object: datastore, key: 'AWS_SECRET_ACCESS_KEY' },
  ];
  return all.filter((s) => used.has(s.name));
}

function collectEnvRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) collectEnvRefs(v, into);
  else if (value && typeof value === 'object') {
    const ref = (value as EnvRef).$env;
    if (typeof ref === 'string') into.add(ref);
    else for (const v of Object.values(value)) collectEnvRefs(v, into);
  }
}

/**
 * What the sources hold, as far as the renderer knows it: the keys when they were read
 * (`keysKnown`), the bucket when bound. The controller knows both; a GitOps render may know neither.
 */
export function knownConfigEnv(model: RegistryModel): Record<string, string> {
  const env: Record<string, string> = model.keysKnown
    ? {
        [CONFIG_ENV.dbUri]: model.keys.DB_URI,
        [CONFIG_ENV.secretKey]: model.keys.SECRET_KEY,
        [CONFIG_ENV.databaseSecretKey]: model.keys.DATABASE_SECRET_KEY,
        [CONFIG_ENV.securityScannerPsk]: model.keys.SECURITY_SCANNER_V4_PSK,
      }
    : {};
  const b = model.objectBucket;
  if (b) {
    Object.assign(env, {
      [CONFIG_ENV.bucketHost]: b.host,
      [CONFIG_ENV.bucketName]: b.bucketName,
      [CONFIG_ENV.bucketAccessKey]: b.accessKey,
      [CONFIG_ENV.bucketSecretKey]: b.secretKey,
      ...(b.port !== undefined ? { [CONFIG_ENV.bucketPort]: String(b.port) } : {}),
    });
  }
  return env;
}

/** Keys sorted at every level, so the YAML (and its hash) depends only on content. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** What the init container assembles: the operator's defaults and fields around the user's config.yaml. */
export function quayConfigSpec(model: RegistryModel, paths: { user?: string; output: string; copy: readonly (readonly [string, string])[] }): AssemblySpec {
  return {
    base: BASE_QUAY_CONFIG,
    ...(paths.user ? { user: paths.user } : {}),
    managed: sortKeys(managedFields(model)) as Record<string, unknown>,
    copy: paths.copy,
    output: paths.output,
  };
}

/** Quay's final config.yaml as the init container writes it (the model must know the keys and bucket it uses). */
export function quayConfig(model: RegistryModel): Record<string, unknown> {
  const spec = quayConfigSpec(model, { output: 'config.yaml', copy: [] });
  return sortKeys(assembleConfig(spec, model.bundle.config, knownConfigEnv(model))) as Record<string, unknown>;
}

/** Field groups of managed components, for the quay-managed-fieldgroups annotation upstream sets. */
export function managedFieldGroups(model: RegistryModel): string[] {
  const names: Record<string, string> = {
    postgres: 'Database',
    clair: 'SecurityScanner',
    redis: 'Redis',
    objectstorage: 'DistributedStorage',
    route: 'HostSettings',
    mirror: 'RepoMirror',
  };
  return Object.keys(FIELD_GROUPS)
    .filter((k) => model.components[k as keyof typeof model.components].managed)
    .map((k) => names[k]);
}
