// Which configuration a component needs from the bundle when unmanaged, and which it must not carry
// when managed (the operator writes those fields itself). Messages follow the seeds and upstream.
import type { ComponentKind } from '../api/types';
import type { ResolvedComponents } from '../api/components';
import { Problem, problem } from '../problems';
import { BUNDLE_KEYS, ConfigBundle, hasCertificate, nonEmpty } from './bundle';

/** Quay config.yaml fields that belong to each component (upstream's config-tool field groups). */
export const FIELD_GROUPS: Partial<Record<ComponentKind, readonly string[]>> = {
  clair: [
    'FEATURE_SECURITY_SCANNER',
    'SECURITY_SCANNER_ENDPOINT',
    'SECURITY_SCANNER_INDEXING_INTERVAL',
    'SECURITY_SCANNER_NOTIFICATIONS',
    'SECURITY_SCANNER_V4_ENDPOINT',
    'SECURITY_SCANNER_V4_NAMESPACE_WHITELIST',
  ],
  postgres: ['DB_CONNECTION_ARGS', 'DB_URI'],
  redis: ['BUILDLOGS_REDIS', 'USER_EVENTS_REDIS', 'PULL_METRICS_REDIS'],
  objectstorage: ['DISTRIBUTED_STORAGE_CONFIG', 'DISTRIBUTED_STORAGE_PREFERENCE', 'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS', 'FEATURE_STORAGE_REPLICATION'],
  mirror: ['FEATURE_REPO_MIRROR', 'REPO_MIRROR_INTERVAL', 'REPO_MIRROR_SERVER_HOSTNAME', 'REPO_MIRROR_TLS_VERIFY'],
  route: ['EXTERNAL_TLS_TERMINATION', 'PREFERRED_URL_SCHEME', 'SERVER_HOSTNAME'],
};

/** Fields an unmanaged component cannot work without. Stricter than upstream's "any field of the group". */
export const REQUIRED_WHEN_UNMANAGED: Partial<Record<ComponentKind, readonly string[]>> = {
  postgres: ['DB_URI'],
  redis: ['BUILDLOGS_REDIS', 'USER_EVENTS_REDIS'],
  objectstorage: ['DISTRIBUTED_STORAGE_CONFIG'],
  route: ['SERVER_HOSTNAME'],
};

/** Managed components whose fields the user may still set; the operator's values win on merge. */
const CONFIG_ALLOWED_WHEN_MANAGED: readonly ComponentKind[] = ['route', 'mirror', 'redis'];

/**
 * Single fields a managed component takes from the user, whose value then wins: the global load
 * balancer in front of geo-replicated sites' Clairs (its URL is checked in lib/model.ts).
 */
const FIELDS_ALLOWED_WHEN_MANAGED: Partial<Record<ComponentKind, readonly string[]>> = { clair: ['SECURITY_SCANNER_V4_ENDPOINT'] };

function present(config: Readonly<Record<string, unknown>>, key: string): boolean {
  const v = config[key];
  return v !== undefined && v !== null && v !== '';
}

/** Field-group keys the user set for a component. tls and clairpostgres are about files, not keys. */
export function userFieldsFor(kind: ComponentKind, bundle: ConfigBundle): string[] {
  if (kind === 'tls') return [BUNDLE_KEYS.sslCert, BUNDLE_KEYS.sslKey].filter((k) => nonEmpty(bundle, k));
  if (kind === 'clairpostgres') return clairDatabaseConfigured(bundle) ? [BUNDLE_KEYS.clairConfig] : [];
  return (FIELD_GROUPS[kind] ?? []).filter((k) => present(bundle.config, k));
}

/** clair-config.yaml names a database for at least one of Clair's services. */
export function clairDatabaseConfigured(bundle: ConfigBundle): boolean {
  const clair = bundle.clairConfig ?? {};
  return ['indexer', 'matcher', 'notifier'].some((svc) => {
    const section = clair[svc];
    return typeof section === 'object' && section !== null && typeof (section as Record<string, unknown>).connstring === 'string' && (section as Record<string, string>).connstring.length > 0;
  });
}

function hasNecessaryConfig(kind: ComponentKind, components: ResolvedComponents, bundle: ConfigBundle, tlsSecret: boolean): boolean {
  // Unmanaged TLS means Quay serves the user's certificate (the bundle's or spec.tlsSecret's), unless
  // the user also runs their own ingress (route unmanaged) and says it terminates TLS: then Quay
  // serves plain HTTP behind it.
  if (kind === 'tls') return tlsSecret || hasCertificate(bundle) || (!components.route.managed && bundle.config.EXTERNAL_TLS_TERMINATION === true);
  return (REQUIRED_WHEN_UNMANAGED[kind] ?? []).every((k) => present(bundle.config, k));
}

/** `tlsSecret`: the certificate comes from spec.tlsSecret rather than the bundle. */
export function checkComponentConfig(components: ResolvedComponents, bundle: ConfigBundle, tlsSecret = false): Problem[] {
  const problems: Problem[] = [];
  for (const c of Object.values(components)) {
    const requiredKind = c.kind in REQUIRED_WHEN_UNMANAGED || c.kind === 'tls';
    if (c.managed) {
      const fields = userFieldsFor(c.kind, bundle).filter((f) => !(FIELDS_ALLOWED_WHEN_MANAGED[c.kind] ?? []).includes(f));
      if (fields.length > 0 && !CONFIG_ALLOWED_WHEN_MANAGED.includes(c.kind)) {
        problems.push(problem('configBundleSecret', `${c.kind} component marked as managed, but \`configBundleSecret\` contains required fields (${fields.join(', ')})`));
      }
    } else if (requiredKind && !hasNecessaryConfig(c.kind, components, bundle, tlsSecret)) {
      problems.push(problem('configBundleSecret', `required component \`${c.kind}\` marked as unmanaged, but \`configBundleSecret\` is missing necessary fields`));
    }
  }
  if (!components.clairpostgres.managed && components.clair.managed && !clairDatabaseConfigured(bundle)) {
    problems.push(problem('configBundleSecret', 'clairpostgres component unmanaged but no clair postgres config provided'));
  }
  // Seeds: "If TLS is managed, then route must also be managed": managed TLS is the Route's edge termination.
  if (components.tls.managed && !components.route.managed) {
    problems.push(problem('spec.components', 'component `tls` is managed but `route` is unmanaged: if TLS is managed, then route must also be managed; set tls unmanaged and supply ssl.cert and ssl.key'));
  }
  return problems;
}
