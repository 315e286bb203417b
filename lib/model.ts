// Everything a registry's synthesis depends on, validated and resolved, as plain data. Building the
// model is where input is checked; synthesis (constructs/) then cannot fail on user input.
import { Capabilities, ResolvedComponents, resolveComponents } from './api/components';
import { runsMigrations } from './api/geo-replication';
import { ResolvedExposure, resolveExposure } from './api/exposure';
import { QuayRegistry } from './api/types';
import { parseQuayRegistry } from './api/validate';
import { BUNDLE_KEYS, ConfigBundle, emptyBundle, hasCertificate, nonEmpty } from './bundle/bundle';
import { checkComponentConfig } from './bundle/component-config';
import { Hostnames, resolveHostnames, stripPort } from './bundle/hostname';
import { CertificateSource, TLS_SECRET_KEYS, bundleCertificate, tlsSecretCertificate } from './bundle/certificate';
import { checkBundleCertificate, checkCertificate } from './bundle/tls';
import { clairEndpointProblem } from './config/quay-config';
import { resolveBackupObjectStore } from './config/backup-storage';
import { Images } from './images';
import { ManagedKeys, RandomInt, ensureManagedKeys, secureRandomInt } from './keys';
import { Problem, problem } from './problems';

/** Credentials of the managed bucket, from the provisioner's Secret and ConfigMap `<name>-quay-datastore`. */
export interface ObjectBucket {
  readonly host: string;
  readonly port?: number;
  readonly bucketName: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

export interface ProxySettings {
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy?: string;
}

// In lib/proxy: `run` reads it without loading the model (and its YAML parser).
export { proxyFromEnv } from './proxy';

/** Facts about the cluster and the operator, the same for every registry. */
export interface Environment {
  readonly capabilities: Capabilities;
  readonly appsDomain?: string;
  readonly images: Images;
  readonly quayVersion: string;
  readonly proxy?: ProxySettings;
  /** Where config editors commit (lib/editor.ts); the operator's Service in `quay-operator` when unset. */
  readonly operatorEndpoint?: string;
}

export interface ModelInputs {
  /** The QuayRegistry as read from YAML or the API. */
  readonly registry: unknown;
  /** The config bundle; required when spec.configBundleSecret is set. */
  readonly bundle?: ConfigBundle;
  /** Contents of `<name>-quay-registry-managed-secret-keys`, when it exists. */
  readonly existingKeys?: Readonly<Record<string, string>>;
  readonly objectBucket?: ObjectBucket;
  /** The Secret spec.tlsSecret names, when it exists. */
  readonly tlsSecret?: Readonly<Record<string, unknown>>;
  readonly environment: Environment;
  readonly random?: RandomInt;
}

export interface RegistryModel {
  readonly registry: QuayRegistry;
  readonly name: string;
  readonly namespace: string;
  readonly components: ResolvedComponents;
  readonly bundle: ConfigBundle;
  readonly keys: ManagedKeys;
  /** Whether `keys` were read (the keys Secret exists) rather than made up for this render. */
  readonly keysKnown: boolean;
  readonly hostnames: Hostnames;
  readonly objectBucket?: ObjectBucket;
  /** The certificate Quay serves itself (bundle ssl.cert/ssl.key or spec.tlsSecret); none: the router or the user's ingress terminates. */
  readonly certificate?: CertificateSource;
  /** How the managed route exposes Quay (Route, Ingress or Gateway); none when route is unmanaged. */
  readonly exposure?: ResolvedExposure;
  readonly environment: Environment;
}

export interface ModelResult {
  readonly model?: RegistryModel;
  readonly problems: Problem[];
}

export function buildModel(inputs: ModelInputs): ModelResult {
  const parsed = parseQuayRegistry(inputs.registry);
  if (!parsed.registry) return { problems: parsed.problems };
  const registry = parsed.registry;
  const { name, namespace } = registry.metadata as { name: string; namespace: string };

  let bundle = inputs.bundle;
  if (registry.spec.configBundleSecret && !bundle) {
    return { problems: [problem('spec.configBundleSecret', `Secret \`${registry.spec.configBundleSecret}\` not found in namespace ${namespace}`)] };
  }
  bundle ??= emptyBundle();

  const env = inputs.environment;
  // spec.tlsSecret: the certificate comes from that Secret, and the bundle must not bring another.
  const tlsName = registry.spec.tlsSecret;
  let fromTlsSecret: CertificateSource | undefined;
  if (tlsName) {
    if (!inputs.tlsSecret) return { problems: [problem('spec.tlsSecret', `Secret \`${tlsName}\` not found in namespace ${namespace}`)] };
    const parsed = tlsSecretCertificate(tlsName, inputs.tlsSecret as Record<string, unknown>);
    if (!parsed.source) return { problems: parsed.problems };
    fromTlsSecret = parsed.source;
    if (nonEmpty(bundle, BUNDLE_KEYS.sslCert) || nonEmpty(bundle, BUNDLE_KEYS.sslKey)) {
      return { problems: [problem('spec.tlsSecret', `the config bundle has ${BUNDLE_KEYS.sslCert}/${BUNDLE_KEYS.sslKey} too: take the certificate from one place (remove them, or spec.tlsSecret)`)] };
    }
  }
  const resolved = resolveComponents(registry.spec, env.capabilities, hasCertificate(bundle) || fromTlsSecret !== undefined);
  const problems = [...resolved.problems, ...checkComponentConfig(resolved.components, bundle, fromTlsSecret !== undefined)];
  problems.push(...resolveBackupObjectStore(registry.spec.backup, resolved.components, bundle).problems);
  if (fromTlsSecret && resolved.components.tls.managed) {
    problems.push(problem('spec.tlsSecret', 'the tls component is managed (the route serves the cluster\'s certificate): set tls unmanaged to serve the certificate of spec.tlsSecret'));
  }
  const exposure = resolveExposure({
    exposure: registry.spec.exposure,
    routeManaged: resolved.components.route.managed,
    tlsManaged: resolved.components.tls.managed,
    quayCertificate: fromTlsSecret ? 'tlsSecret' : hasCertificate(bundle) ? 'bundle' : 'none',
    capabilities: env.capabilities,
  });
  problems.push(...exposure.problems);
  if (registry.spec.initialUser && bundle.config.FEATURE_USER_INITIALIZE === false) {
    problems.push(problem('spec.initialUser', 'config.yaml sets FEATURE_USER_INITIALIZE: false, which turns off the API the first user is created with: remove it, or remove spec.initialUser'));
  }
  // A site that does not migrate waits for one that does, on a database they share: never its own.
  if (!runsMigrations(registry.spec) && resolved.components.postgres.managed) {
    problems.push(problem('spec.migrations.run', 'is false, but the postgres component is managed: a managed database is this registry\'s own, and nothing else would ever migrate it. Set postgres unmanaged (DB_URI naming the database the sites share), or remove spec.migrations'));
  }
  if (resolved.components.clair.managed) {
    const why = clairEndpointProblem(bundle.config.SECURITY_SCANNER_V4_ENDPOINT);
    if (why) problems.push(problem('config.yaml', why));
  }
  const hostnames = resolveHostnames(name, namespace, resolved.components, bundle, env.appsDomain);
  problems.push(...hostnames.problems);
  const found = hostnames.hostnames;
  const hosts = found ? [found.server, found.buildManager].filter((h): h is string => !!h).map(stripPort) : [];
  // Checked whenever either half is present, so a lone ssl.cert is reported as a missing ssl.key.
  if (nonEmpty(bundle, BUNDLE_KEYS.sslCert) || nonEmpty(bundle, BUNDLE_KEYS.sslKey)) problems.push(...checkBundleCertificate(bundle, hosts));
  if (fromTlsSecret) {
    const keyPath = (p: string) => (p === BUNDLE_KEYS.sslCert ? TLS_SECRET_KEYS.cert : p === BUNDLE_KEYS.sslKey ? TLS_SECRET_KEYS.key : p);
    const checked = checkCertificate({ cert: fromTlsSecret.cert.toString('utf8'), key: fromTlsSecret.key.toString('utf8'), hostnames: hosts });
    problems.push(...checked.map((p) => ({ ...p, path: `spec.tlsSecret: Secret ${tlsName}: ${keyPath(p.path)}`, message: p.message.replace(`in ${BUNDLE_KEYS.sslCert}`, `in ${TLS_SECRET_KEYS.cert}`) })));
  }
  if (problems.length > 0 || !hostnames.hostnames) return { problems };
  const certificate = fromTlsSecret ?? bundleCertificate(registry.spec.configBundleSecret, bundle);

  const keys = ensureManagedKeys(name, inputs.existingKeys ?? {}, inputs.random ?? secureRandomInt);
  return {
    model: {
      registry,
      name,
      namespace,
      components: resolved.components,
      bundle,
      keys,
      keysKnown: Object.keys(inputs.existingKeys ?? {}).length > 0,
      hostnames: hostnames.hostnames,
      ...(inputs.objectBucket ? { objectBucket: inputs.objectBucket } : {}),
      ...(certificate ? { certificate } : {}),
      ...(exposure.exposure ? { exposure: exposure.exposure } : {}),
      environment: env,
    },
    problems: [],
  };
}
