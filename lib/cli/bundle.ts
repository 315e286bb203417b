// `quay-operator bundle -o DIR` (the registry+v1 OLM bundle) and `quay-operator catalog -o DIR`
// (the file-based catalog): offline renders from the sources `manifests` uses.
import { parseArgs } from 'node:util';
import { DEFAULT_OPERATOR_IMAGE } from '../../constructs/operator-install';
import { DEFAULT_QUAY_VERSION, IMAGE_ENV, Images, checkImageReference, imagesFromEnv } from '../images';
import { almExamples } from '../olm/examples';
import { MANIFESTS_DIR, METADATA_DIR, renderBundle, writeFiles } from '../olm/bundle-files';
import { renderCatalog } from '../olm/catalog';
import { PACKAGE_NAME, bundleVersion } from '../olm/package';
import { releasedVersions } from '../olm/upgrade-graph';
import { formatProblem, problem } from '../problems';

interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

export class OlmUsageError extends Error {}

const IMAGE_NAMES = (Object.keys(IMAGE_ENV) as (keyof Images)[]).join(', ');

export const BUNDLE_HELP = `quay-operator bundle: write the operator's OLM bundle (registry+v1)

Usage: quay-operator bundle -o DIR [--image IMAGE] [--related-image NAME=REF ...]

Writes DIR/manifests/ (the ClusterServiceVersion, the QuayRegistry CRD, the operator's Service),
DIR/metadata/annotations.yaml and DIR/bundle.Dockerfile. The CSV's Deployment, RBAC, CRD and images
are those \`manifests\` renders. Its version is the Quay version it deploys (QUAY_VERSION, default
${DEFAULT_QUAY_VERSION}): ${PACKAGE_NAME}.v${bundleVersion(DEFAULT_QUAY_VERSION)}, in channels stable-X.Y (the default) and stable.

Options:
  -o, --output DIR              where to write (created when missing)
      --image IMAGE             the operator image (default ${DEFAULT_OPERATOR_IMAGE})
      --related-image NAME=REF  a component image, by digest for disconnected installs (repeatable);
                                NAME is one of ${IMAGE_NAMES}
                                or its RELATED_IMAGE_* variable

Environment: RELATED_IMAGE_COMPONENT_* and QUAY_VERSION, as for manifests (--related-image wins).

Examples:
  quay-operator bundle -o bundle/
  quay-operator bundle -o bundle/ --image quay.io/example/quay-operator-ts@sha256:<digest> \\
      --related-image quay=quay.io/projectquay/quay@sha256:<digest>
  podman build -f bundle/bundle.Dockerfile -t quay.io/example/quay-operator-ts-bundle:v${bundleVersion(DEFAULT_QUAY_VERSION)} bundle/
`;

export const CATALOG_HELP = `quay-operator catalog: write the file-based OLM catalog

Usage: quay-operator catalog -o DIR

Writes DIR/${PACKAGE_NAME}/catalog.yaml (olm.package, an olm.channel per Quay minor plus stable with
the upgrade graph, an olm.bundle per released version: lib/olm/releases.json and the current Quay
version) and DIR/catalog.Dockerfile. \`npm run catalog\` regenerates the committed catalog/.

Options:
  -o, --output DIR   where to write (created when missing)

Examples:
  quay-operator catalog -o catalog/
  podman build -f catalog/catalog.Dockerfile -t quay.io/example/quay-operator-ts-catalog:latest catalog/
`;

function outputOf(values: { output?: string }): string {
  if (!values.output) throw new OlmUsageError('-o DIR is required');
  return values.output;
}

/** `--related-image quay=REF` → RELATED_IMAGE_COMPONENT_QUAY=REF, so imagesFromEnv checks it like the environment. */
function relatedImageEnv(flags: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = flag.slice(0, eq);
    const variable = (IMAGE_ENV as Record<string, string>)[name] ?? (Object.values(IMAGE_ENV).includes(name) ? name : undefined);
    if (eq < 1 || !variable) throw new OlmUsageError(`--related-image ${JSON.stringify(flag)}: expected NAME=REF with NAME one of ${IMAGE_NAMES}`);
    env[variable] = flag.slice(eq + 1);
  }
  return env;
}

export function bundleCommand(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: {
      output: { type: 'string', short: 'o' },
      image: { type: 'string', default: DEFAULT_OPERATOR_IMAGE },
      'related-image': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout(BUNDLE_HELP);
    return 0;
  }
  const dir = outputOf(values);
  const env = { ...io.env, ...relatedImageEnv(values['related-image'] ?? []) };
  const { images, problems } = imagesFromEnv(env);
  const imageProblem = checkImageReference(values.image);
  if (imageProblem) problems.push(problem('--image', `${imageProblem}, got \`${values.image}\``));
  if (problems.length > 0) {
    io.stderr(problems.map((p) => formatProblem('bundle', p)).join('\n') + '\n');
    return 2;
  }
  const quayVersion = env.QUAY_VERSION || DEFAULT_QUAY_VERSION;
  const files = renderBundle({ quayVersion, operatorImage: values.image, images, releases: releasedVersions(quayVersion), examples: almExamples() });
  const { written, strays } = writeFiles(dir, files, [MANIFESTS_DIR, METADATA_DIR]);
  for (const f of written) io.stderr(`wrote ${f}\n`);
  for (const f of strays) io.stderr(`warning: ${f} is not part of the bundle: remove it, OLM would install it too\n`);
  return 0;
}

export function catalogCommand(args: string[], io: Io): number {
  const { values } = parseArgs({ args, options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    io.stdout(CATALOG_HELP);
    return 0;
  }
  const dir = outputOf(values);
  const quayVersion = io.env.QUAY_VERSION || DEFAULT_QUAY_VERSION;
  let files: Record<string, string>;
  try {
    files = renderCatalog(quayVersion);
  } catch (err) {
    // An upgrade graph the rules do not support (a skipped minor), or a bad QUAY_VERSION.
    io.stderr(`error: catalog: ${(err as Error).message}\n`);
    return 2;
  }
  for (const f of writeFiles(dir, files).written) io.stderr(`wrote ${f}\n`);
  return 0;
}
