// The `quay-operator` command line. Exit codes: 0 success, 2 invalid input or usage, 1 internal error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PLATFORMS, Platform, platformCapabilities } from '../api/components';
import { quayRegistryCrd } from '../api/crd';
import { ConfigBundle } from '../bundle/bundle';
import { DEFAULT_QUAY_VERSION, imagesFromEnv } from '../images';
import { Environment, proxyFromEnv } from '../model';
import { APPS_DOMAIN } from '../names';
import { formatProblem } from '../problems';
import { toYamlDocument, toYamlStream } from '../yaml';
import { App } from 'cdk8s';
import { DEFAULT_OPERATOR_IMAGE, OperatorInstall } from '../../constructs/operator-install';
import { KubeObject, sortObjects } from '../synth';
import { readInputs } from './inputs';
import { RUN_HELP, RunUsageError, runCommand } from './run';
import { operatorEndpointFromEnv } from '../editor';
import { loadBundleOption, renderInput } from './render-inputs';
import { KEYS_HELP, keysCommand, KeysUsageError } from './keys';
import { RESTORE_HELP, RestoreUsageError, restoreCommand } from './restore';
import { BUNDLE_HELP, CATALOG_HELP, OlmUsageError, bundleCommand, catalogCommand } from './bundle';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

// One constant for `manifests` and the OLM bundle (constructs/operator-install.ts).
export { DEFAULT_OPERATOR_IMAGE };

const USAGE = `quay-operator: a Kubernetes operator for Project Quay

Usage:
  quay-operator synth -f FILE [-f FILE ...] [--bundle FILE|DIR] [--platform openshift|kubernetes]
                      [--apps-domain DOMAIN] [-n NAMESPACE] [-o DIR]
  quay-operator validate -f FILE [-f FILE ...] [same options as synth]
  quay-operator keys -n NAMESPACE NAME [--from FILE]
  quay-operator restore -n NAMESPACE NAME DUMP [--kubeconfig PATH] [--timeout 1h] [--no-wait]
  quay-operator crd
  quay-operator manifests [--namespace NS] [--watch-namespace NS] [--image IMAGE]
  quay-operator bundle -o DIR [--image IMAGE] [--related-image NAME=REF ...]
  quay-operator catalog -o DIR
  quay-operator run [--namespace NS] [--kubeconfig PATH] [--leader-elect] [--metrics-port 8080]
                    [--health-port 8081] [--reconfigure-port 7071] [--concurrency 4] [--log-level info]
  quay-operator help [COMMAND]

Run \`quay-operator COMMAND --help\` for a command's options and examples.
`;

const HELP: Record<string, string> = {
  synth: `quay-operator synth: render QuayRegistries into Kubernetes manifests, no cluster needed

Usage: quay-operator synth -f FILE [-f FILE ...] [options]

FILEs are YAML streams holding QuayRegistries and, optionally, what they reference: their config
bundle Secret, their <name>-quay-registry-managed-secret-keys Secret (to keep generated passwords
stable between renders) and a bound bucket's <name>-quay-datastore Secret and ConfigMap (optional:
the pods read them when they start; given, a change of them rolls Quay).
Use - to read standard input.

Options:
  -f, --filename FILE      input file (repeatable)
      --bundle FILE|DIR    config bundle for every registry: a directory of files (config.yaml,
                           ssl.cert, ...), a file holding a Secret, or a plain config.yaml
      --platform NAME      openshift (default: Routes, ObjectBucketClaims and monitoring exist)
                           or kubernetes (they do not: route, tls, objectstorage and monitoring
                           default to unmanaged)
      --apps-domain DOMAIN the cluster's apps domain, for the Route host when config.yaml has no
                           SERVER_HOSTNAME (e.g. apps.example.com)
  -n, --namespace NS       namespace for registries that name none (default: default)
  -o, --output DIR         write DIR/<namespace>-<name>.k8s.yaml instead of printing to stdout

Invalid input prints one line per problem on stderr, "error: <where>: <message>", nothing on
stdout, and exits 2. Warnings (generated keys, objects waiting for a bucket) go to stderr.

Examples:
  quay-operator synth -f examples/quayregistry.yaml
  quay-operator synth -f registry.yaml --bundle ./config-bundle/ --platform kubernetes -o manifests/
  oc get quayregistry,secret -o yaml | quay-operator synth -f - --apps-domain apps.example.com
`,
  validate: `quay-operator validate: check QuayRegistries and their config bundles, print only problems

Usage: quay-operator validate -f FILE [-f FILE ...] [--bundle FILE|DIR] [--platform NAME] [--apps-domain DOMAIN] [-n NS]

Runs every check synth runs (the same checks the operator runs in the cluster) and exits 0 when
the input is valid, 2 when it is not, with one "error: <where>: <message>" line per problem.

Examples:
  quay-operator validate -f examples/quayregistry.yaml
  quay-operator validate -f registry.yaml --bundle config.yaml --platform kubernetes
`,
  manifests: `quay-operator manifests: print the operator's install manifests

Usage: quay-operator manifests [--namespace NS] [--watch-namespace NS] [--apps-domain DOMAIN] [--image IMAGE] [--replicas N]

Prints the QuayRegistry CRD, the operator's Namespace, ServiceAccount, least-privilege RBAC
(a namespaced Role when it watches one namespace) and its Deployment.

Options:
      --namespace NS        where the operator runs (default quay-operator)
      --watch-namespace NS  watch only this namespace (monitoring then stays unmanaged); no ClusterRole
      --apps-domain DOMAIN  the cluster's apps domain (QUAY_APPS_DOMAIN), for Route hosts when
                            config.yaml has no SERVER_HOSTNAME: with --watch-namespace the operator
                            may not read OpenShift's (a cluster-scoped object)
      --image IMAGE         the operator image (default ${DEFAULT_OPERATOR_IMAGE})
      --replicas N          operator replicas; leader election keeps one active (default 1)

Examples:
  quay-operator manifests | kubectl apply --server-side -f -
  quay-operator manifests --namespace quay --watch-namespace quay-enterprise | kubectl apply --server-side -f -
`,
  run: RUN_HELP,
  crd: `quay-operator crd: print the QuayRegistry CustomResourceDefinition

Usage: quay-operator crd

Examples:
  quay-operator crd | kubectl apply --server-side -f -
`,
  keys: KEYS_HELP,
  restore: RESTORE_HELP,
  bundle: BUNDLE_HELP,
  catalog: CATALOG_HELP,
};

class UsageError extends Error {}

function renderOptions() {
  return {
    filename: { type: 'string', short: 'f', multiple: true },
    bundle: { type: 'string' },
    platform: { type: 'string', default: 'openshift' },
    'apps-domain': { type: 'string' },
    namespace: { type: 'string', short: 'n', default: 'default' },
    output: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h' },
  } as const;
}

function environmentFrom(io: Io, platform: Platform, appsDomain: string | undefined): { environment?: Environment; errors: string[] } {
  const { images, problems: imageProblems } = imagesFromEnv(io.env);
  const { operatorEndpoint, problems: endpointProblems } = operatorEndpointFromEnv(io.env);
  const problems = [...imageProblems, ...endpointProblems];
  if (problems.length > 0) return { errors: problems.map((p) => formatProblem('environment', p)) };
  return {
    environment: {
      capabilities: platformCapabilities(platform),
      ...(appsDomain ? { appsDomain } : {}),
      images,
      quayVersion: io.env.QUAY_VERSION || DEFAULT_QUAY_VERSION,
      // As `run` passes them on: Quay, Clair and mirror get the same proxy settings in a render.
      ...proxyFromEnv(io.env),
      ...(operatorEndpoint ? { operatorEndpoint } : {}),
    },
    errors: [],
  };
}

function render(args: string[], io: Io, write: boolean): number {
  const { values } = parseArgs({ args, options: renderOptions(), allowPositionals: false, strict: true });
  if (values.help) {
    io.stdout(HELP[write ? 'synth' : 'validate']);
    return 0;
  }
  const files = values.filename ?? [];
  if (files.length === 0) throw new UsageError('at least one -f FILE is required');
  if (!(PLATFORMS as readonly string[]).includes(values.platform)) throw new UsageError(`--platform must be one of ${PLATFORMS.join(', ')}, got ${values.platform}`);
  const appsDomain = values['apps-domain'];
  if (appsDomain !== undefined && !APPS_DOMAIN.test(appsDomain)) {
    throw new UsageError(`--apps-domain ${JSON.stringify(appsDomain)} is not a DNS domain`);
  }
  const { environment, errors } = environmentFrom(io, values.platform as Platform, appsDomain);
  if (!environment) {
    io.stderr(errors.join('\n') + '\n');
    return 2;
  }
  let bundle: ConfigBundle | undefined;
  if (values.bundle !== undefined) {
    if (!fs.existsSync(values.bundle)) throw new UsageError(`--bundle ${values.bundle}: no such file or directory`);
    const result = loadBundleOption(values.bundle);
    if (!result.bundle) {
      io.stderr(result.problems.map((p) => formatProblem(values.bundle as string, p)).join('\n') + '\n');
      return 2;
    }
    bundle = result.bundle;
  }

  const { inputs, problems: fileProblems } = readInputs(files, values.namespace);
  const lines = fileProblems.map((p) => formatProblem(p.file, p));
  if (inputs.registries.length === 0 && fileProblems.length === 0) lines.push(`error: ${files.join(', ')}: no QuayRegistry found`);
  const outcomes = inputs.registries.map((doc) => renderInput(doc, inputs, environment, { defaultNamespace: values.namespace, ...(bundle ? { bundle } : {}) }));
  for (const o of outcomes) lines.push(...o.problems.map((p) => formatProblem(o.source, p)));
  if (lines.length > 0) {
    io.stderr(lines.join('\n') + '\n');
    return 2;
  }
  for (const o of outcomes) for (const w of o.warnings) io.stderr(`warning: ${w}\n`);
  if (!write) return 0;
  if (values.output) {
    fs.mkdirSync(values.output, { recursive: true });
    for (const o of outcomes) {
      const file = path.join(values.output, `${o.namespace}-${o.name}.k8s.yaml`);
      fs.writeFileSync(file, toYamlStream(o.rendered?.objects ?? []));
      io.stderr(`wrote ${file}\n`);
    }
  } else {
    io.stdout(toYamlStream(outcomes.flatMap((o) => o.rendered?.objects ?? [])));
  }
  return 0;
}

function manifests(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: {
      namespace: { type: 'string', default: 'quay-operator' },
      'watch-namespace': { type: 'string' },
      'apps-domain': { type: 'string' },
      image: { type: 'string', default: DEFAULT_OPERATOR_IMAGE },
      replicas: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout(HELP.manifests);
    return 0;
  }
  const replicas = Number(values.replicas);
  if (!Number.isInteger(replicas) || replicas < 1) throw new UsageError(`--replicas must be a whole number of at least 1, got ${values.replicas}`);
  for (const ns of [values.namespace, values['watch-namespace']]) {
    if (ns !== undefined && (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63)) throw new UsageError(`${JSON.stringify(ns)} is not a namespace name`);
  }
  const appsDomain = values['apps-domain'];
  if (appsDomain !== undefined && !APPS_DOMAIN.test(appsDomain)) throw new UsageError(`--apps-domain ${JSON.stringify(appsDomain)} is not a DNS domain`);
  const app = new App();
  const chart = new OperatorInstall(app, 'install', {
    namespace: values.namespace,
    ...(values['watch-namespace'] ? { watchNamespace: values['watch-namespace'] } : {}),
    ...(appsDomain ? { appsDomain } : {}),
    image: values.image,
    replicas,
    images: imagesFromEnv(io.env).images,
    quayVersion: io.env.QUAY_VERSION || DEFAULT_QUAY_VERSION,
  });
  io.stdout(toYamlStream(sortObjects(chart.toJson() as KubeObject[])));
  return 0;
}

function crd(args: string[], io: Io): number {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true });
  io.stdout(values.help ? HELP.crd : toYamlDocument(quayRegistryCrd()));
  return 0;
}

export function main(argv: string[], io: Io): number | Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'synth':
        return render(rest, io, true);
      case 'validate':
        return render(rest, io, false);
      case 'crd':
        return crd(rest, io);
      case 'manifests':
        return manifests(rest, io);
      case 'bundle':
        return bundleCommand(rest, io);
      case 'catalog':
        return catalogCommand(rest, io);
      case 'run':
        return runCommand(rest, io);
      case 'restore':
        return restoreCommand(rest, io);
      case 'keys':
        io.stdout(keysCommand(rest).stdout);
        return 0;
      case 'help':
      case '--help':
      case '-h':
        io.stdout(rest[0] && HELP[rest[0]] ? HELP[rest[0]] : USAGE);
        return 0;
      case undefined:
        io.stderr(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || err instanceof KeysUsageError || err instanceof RestoreUsageError || err instanceof OlmUsageError || err instanceof RunUsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr(`error: ${(err as Error).message}\nRun \`quay-operator help\` for usage.\n`);
      return 2;
    }
    io.stderr(`internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
