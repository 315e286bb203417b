// The cdk8s app: `npx cdk8s synth` renders the registries in examples/quayregistry.yaml (or the
// files in QUAY_REGISTRY_FILES, comma-separated) into dist/, one file per registry.
import { App } from 'cdk8s';
import { platformCapabilities } from './lib/api/components';
import { readInputs } from './lib/cli/inputs';
import { prepareInput } from './lib/cli/render-inputs';
import { DEFAULT_QUAY_VERSION, imagesFromEnv } from './lib/images';
import { formatProblem } from './lib/problems';
import { RegistryChart } from './constructs/registry-chart';

const files = (process.env.QUAY_REGISTRY_FILES ?? 'examples/quayregistry.yaml').split(',');
const { images, problems: imageProblems } = imagesFromEnv(process.env);
const environment = {
  capabilities: platformCapabilities(process.env.QUAY_PLATFORM === 'kubernetes' ? 'kubernetes' : 'openshift'),
  ...(process.env.QUAY_APPS_DOMAIN ? { appsDomain: process.env.QUAY_APPS_DOMAIN } : {}),
  images,
  quayVersion: process.env.QUAY_VERSION || DEFAULT_QUAY_VERSION,
};

const { inputs, problems } = readInputs(files, 'default');
const errors = [...imageProblems.map((p) => formatProblem('environment', p)), ...problems.map((p) => formatProblem(p.file, p))];
const app = new App();
for (const doc of inputs.registries) {
  const prepared = prepareInput(doc, inputs, environment, { defaultNamespace: 'default' });
  errors.push(...prepared.problems.map((p) => formatProblem(prepared.source, p)));
  prepared.warnings.forEach((w) => process.stderr.write(`warning: ${w}\n`));
  if (prepared.model) new RegistryChart(app, `${prepared.namespace}-${prepared.name}`, { model: prepared.model });
}
if (errors.length > 0) {
  process.stderr.write(errors.join('\n') + '\n');
  process.exit(2);
}
app.synth();
