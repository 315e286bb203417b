// Quay's final config.yaml: the user's config.yaml as the base, each managed component's fields
// over it, and Quay's base defaults for keys nobody set.
import type { RegistryModel } from '../model';
import { FIELD_GROUPS } from '../bundle/component-config';
import { hasCertificate } from '../bundle/bundle';

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

export function clairEndpoint(model: RegistryModel): string {
  return `http://${model.name}-clair-app.${model.namespace}.svc.cluster.local`;
}

/** The fields the operator owns for each managed component. */
export function managedFields(model: RegistryModel): Record<string, unknown> {
  const c = model.components;
  const out: Record<string, unknown> = {};
  if (c.postgres.managed) {
    out.DB_URI = model.keys.DB_URI;
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
      SECURITY_SCANNER_V4_PSK: model.keys.SECURITY_SCANNER_V4_PSK,
    });
  }
  if (c.objectstorage.managed && model.objectBucket) {
    const b = model.objectBucket;
    out.DISTRIBUTED_STORAGE_CONFIG = {
      local_us: [
        'RHOCSStorage',
        {
          hostname: b.host,
          port: b.port ?? 443,
          is_secure: true,
          storage_path: '/datastorage/registry',
          access_key: b.accessKey,
          secret_key: b.secretKey,
          bucket_name: b.bucketName,
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
    out.EXTERNAL_TLS_TERMINATION = !hasCertificate(model.bundle);
    out.PREFERRED_URL_SCHEME = 'https';
    out.SERVER_HOSTNAME = model.hostnames.server;
  }
  if (c.mirror.managed) {
    out.FEATURE_REPO_MIRROR = true;
    out.REPO_MIRROR_INTERVAL = 30;
    out.REPO_MIRROR_TLS_VERIFY = true;
  }
  return out;
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

export function quayConfig(model: RegistryModel): Record<string, unknown> {
  const user = model.bundle.config;
  const merged: Record<string, unknown> = { ...BASE_QUAY_CONFIG, ...user, ...managedFields(model) };
  // Secrets Quay needs whatever the components: the user's value wins, else the generated one.
  merged.SECRET_KEY = user.SECRET_KEY || model.keys.SECRET_KEY;
  merged.DATABASE_SECRET_KEY = user.DATABASE_SECRET_KEY || model.keys.DATABASE_SECRET_KEY;
  if (!model.components.route.managed && user.SERVER_HOSTNAME === undefined) merged.SERVER_HOSTNAME = model.hostnames.server;
  return sortKeys(merged) as Record<string, unknown>;
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
