// Everything a registry's synthesis depends on, validated and resolved, as plain data. Building the
// model is where input is checked; synthesis (constructs/) then cannot fail on user input.
import { Capabilities, ResolvedComponents, resolveComponents } from './api/components';
import { QuayRegistry } from './api/types';
import { parseQuayRegistry } from './api/validate';
import { BUNDLE_KEYS, ConfigBundle, emptyBundle, hasCertificate, nonEmpty } from './bundle/bundle';
import { checkComponentConfig } from './bundle/component-config';
import { Hostnames, resolveHostnames, stripPort } from './bundle/hostname';
import { checkBundleCertificate } from './bundle/tls';
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

/** The egress proxy from HTTP_PROXY, HTTPS_PROXY and NO_PROXY (as OLM sets them on the operator); none when neither proxy is set. */
export function proxyFromEnv(env: Readonly<Record<string, string | undefined>>): { proxy?: ProxySettings } {
  const proxy: ProxySettings = {
    ...(env.HTTP_PROXY ? { httpProxy: env.HTTP_PROXY } : {}),
    ...(env.HTTPS_PROXY ? { httpsProxy: env.HTTPS_PROXY } : {}),
    ...(env.NO_PROXY ? { noProxy: env.NO_PROXY } : {}),
  };
  return proxy.httpProxy || proxy.httpsProxy ? { proxy } : {};
}

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
  const resolved = resolveComponents(registry.spec, env.capabilities, hasCertificate(bundle));
  const problems = [...resolved.problems, ...checkComponentConfig(resolved.components, bundle)];
  const hostnames = resolveHostnames(name, namespace, resolved.components, bundle, env.appsDomain);
  problems.push(...hostnames.problems);
  // Checked whenever either half is present, so a lone ssl.cert is reported as a missing ssl.key.
  if (nonEmpty(bundle, BUNDLE_KEYS.sslCert) || nonEmpty(bundle, BUNDLE_KEYS.sslKey)) {
    const found = hostnames.hostnames;
    const hosts = found ? [found.server, found.buildManager].filter((h): h is string => !!h).map(stripPort) : [];
    problems.push(...checkBundleCertificate(bundle, hosts));
  }
  if (problems.length > 0 || !hostnames.hostnames) return { problems };

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
      environment: env,
    },
    problems: [],
  };
}
