// Turns the CLI's inputs into rendered registries: finds each registry's bundle, managed keys and
// bucket credentials among the inputs, builds the model and synthesizes it.
import { BundleResult, ConfigBundle, bundleFromDirectory, bundleFromFiles, bundleFromSecret } from '../bundle/bundle';
import { parseQuayRegistry } from '../api/validate';
import { keysFromSecret, managedKeysSecretName } from '../keys';
import { Environment, RegistryModel, buildModel } from '../model';
import { Problem, problem } from '../problems';
import { Rendered, renderRegistry } from '../synth';
import { objectBucketFromProvisioner } from '../../constructs/object-storage';
import { SHARED_NAMES } from '../../constructs/shared/component';
import { InputDocument, Inputs, objectKey } from './inputs';
import * as fs from 'node:fs';
import { loadYaml } from '../yaml';

export interface PreparedInput {
  /** `<file> (QuayRegistry <ns>/<name>)`, for messages. */
  readonly source: string;
  readonly namespace: string;
  readonly name: string;
  readonly model?: RegistryModel;
  readonly problems: Problem[];
  readonly warnings: string[];
}

export interface RegistryOutcome extends PreparedInput {
  readonly rendered?: Rendered;
}

/** --bundle: a directory of files, a file holding a Secret, or a plain config.yaml. */
export function loadBundleOption(path: string): BundleResult {
  if (fs.statSync(path).isDirectory()) return bundleFromDirectory(path);
  const bytes = fs.readFileSync(path);
  let doc: unknown;
  try {
    doc = loadYaml(bytes.toString('utf8'), path);
  } catch {
    doc = undefined; // not a Secret: parse it as config.yaml below, which reports the YAML error
  }
  if (doc && typeof doc === 'object' && (doc as Record<string, unknown>).kind === 'Secret') return bundleFromSecret(doc as Record<string, unknown>);
  // The bytes as read: bundleFromFiles refuses what is not UTF-8.
  return bundleFromFiles(path, new Map([['config.yaml', bytes]]));
}

function withPrefix(prefix: string, problems: readonly Problem[]): Problem[] {
  return problems.map((p) => ({ ...p, path: [prefix, p.path].filter(Boolean).join(': ') }));
}

export interface InputOptions {
  readonly defaultNamespace: string;
  readonly bundle?: ConfigBundle;
}

/** Finds what a registry references among the inputs and builds its model. */
export function prepareInput(doc: InputDocument, inputs: Inputs, environment: Environment, options: InputOptions): PreparedInput {
  const meta = (doc.object.metadata ?? {}) as Record<string, unknown>;
  const name = typeof meta.name === 'string' ? meta.name : '';
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : options.defaultNamespace;
  const source = `${doc.file} (QuayRegistry ${namespace}/${name || `#${doc.index}`})`;
  const warnings: string[] = [];
  // A namespace that is there but not a string stays, for the parser to refuse (not `default` silently).
  const registry = { ...doc.object, metadata: { ...meta, namespace: meta.namespace ?? namespace } };
  const lookup = (kind: string, n: string) => inputs.objects.get(objectKey(kind, namespace, n))?.object;
  // The registry first, as the controller does: what it names is looked up once the names are valid.
  const parsed = parseQuayRegistry(registry, options.defaultNamespace);
  if (!parsed.registry) return { source, namespace, name, warnings, problems: parsed.problems };

  let bundle = options.bundle;
  const spec = (doc.object.spec ?? {}) as Record<string, unknown>;
  if (bundle && typeof spec.configBundleSecret !== 'string') {
    // The render references the bundle Secret by name; the pods read it from there.
    return {
      source, namespace, name, warnings,
      problems: [problem('spec.configBundleSecret', 'not set, but a bundle was given with --bundle: name the Secret that will hold it (the pods read the bundle from that Secret; the render only references it)')],
    };
  }
  if (!bundle && typeof spec.configBundleSecret === 'string') {
    const secret = lookup('Secret', spec.configBundleSecret);
    if (!secret) {
      return {
        source, namespace, name, warnings,
        problems: [problem('spec.configBundleSecret', `Secret \`${spec.configBundleSecret}\` not found in namespace ${namespace}: pass it with -f, or the bundle with --bundle`)],
      };
    }
    const result = bundleFromSecret(secret);
    if (!result.bundle) return { source, namespace, name, warnings, problems: withPrefix(`Secret ${namespace}/${spec.configBundleSecret}`, result.problems) };
    bundle = result.bundle;
  }

  const keysSecret = name ? lookup('Secret', managedKeysSecretName(name)) : undefined;
  if (name && !keysSecret) {
    warnings.push(
      `${namespace}/${name}: the render holds no credential; its pods read Secret ${managedKeysSecretName(name)} and those derived from it: create them with \`quay-operator keys -n ${namespace} ${name}\` (sealed, for Git) or let the operator create them`,
    );
  }
  const datastore = `${name}-${SHARED_NAMES.datastore}`;
  const objectBucket = objectBucketFromProvisioner(lookup('Secret', datastore), lookup('ConfigMap', datastore));

  // spec.tlsSecret: the certificate's Secret, from the inputs like the bundle (cert-manager's, exported).
  let tlsSecret: Record<string, unknown> | undefined;
  if (typeof spec.tlsSecret === 'string') {
    tlsSecret = lookup('Secret', spec.tlsSecret);
    if (!tlsSecret) {
      return { source, namespace, name, warnings, problems: [problem('spec.tlsSecret', `Secret \`${spec.tlsSecret}\` not found in namespace ${namespace}: pass it with -f`)] };
    }
  }
  const result = buildModel({
    registry,
    ...(bundle ? { bundle } : {}),
    ...(tlsSecret ? { tlsSecret } : {}),
    ...(keysSecret ? { existingKeys: keysFromSecret(keysSecret) } : {}),
    ...(objectBucket ? { objectBucket } : {}),
    environment,
  });
  if (!result.model) return { source, namespace, name, warnings, problems: result.problems };
  return { source, namespace, name, model: result.model, problems: [], warnings };
}

export function renderInput(doc: InputDocument, inputs: Inputs, environment: Environment, options: InputOptions): RegistryOutcome {
  const prepared = prepareInput(doc, inputs, environment, options);
  if (!prepared.model) return prepared;
  const rendered = renderRegistry(prepared.model);
  return { ...prepared, rendered };
}
