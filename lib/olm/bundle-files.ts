// The bundle as files: manifests/ (rendered by constructs/olm-bundle.ts), metadata/annotations.yaml
// and bundle.Dockerfile, whose labels are the annotations (OLM reads either). Deterministic.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdk8s';
import { OlmBundle, OlmBundleProps } from '../../constructs/olm-bundle';
import { toYamlDocument } from '../yaml';
import { PACKAGE_NAME, bundleImage, bundleVersion, channelsOf } from './package';

type Obj = Record<string, any>;

export const MANIFESTS_DIR = 'manifests/';
export const METADATA_DIR = 'metadata/';

/** metadata/annotations.yaml, in the order operator-sdk writes them. */
export function bundleAnnotations(quayVersion: string): Record<string, string> {
  const { channels, defaultChannel } = channelsOf(bundleVersion(quayVersion));
  return {
    'operators.operatorframework.io.bundle.mediatype.v1': 'registry+v1',
    'operators.operatorframework.io.bundle.manifests.v1': MANIFESTS_DIR,
    'operators.operatorframework.io.bundle.metadata.v1': METADATA_DIR,
    'operators.operatorframework.io.bundle.package.v1': PACKAGE_NAME,
    'operators.operatorframework.io.bundle.channels.v1': channels.join(','),
    'operators.operatorframework.io.bundle.channel.default.v1': defaultChannel,
  };
}

function dockerfile(annotations: Record<string, string>, quayVersion: string): string {
  return [
    `# The bundle image: podman build -f bundle.Dockerfile -t ${bundleImage(bundleVersion(quayVersion))} .`,
    'FROM scratch',
    '',
    ...Object.entries(annotations).map(([k, v]) => `LABEL ${k}=${v}`),
    '',
    `COPY ${MANIFESTS_DIR.replace(/\/$/, '')} /${MANIFESTS_DIR}`,
    `COPY ${METADATA_DIR.replace(/\/$/, '')} /${METADATA_DIR}`,
    '',
  ].join('\n');
}

/** Where each manifest goes, as operator-sdk names them. */
function manifestFile(o: Obj): string {
  switch (o.kind) {
    case 'ClusterServiceVersion':
      return `${PACKAGE_NAME}.clusterserviceversion.yaml`;
    case 'CustomResourceDefinition':
      return `${o.spec.group}_${o.spec.names.plural}.yaml`;
    default:
      return `${o.metadata.name}_${o.apiVersion.replace('/', '_')}_${o.kind.toLowerCase()}.yaml`;
  }
}

/** The bundle's objects (CSV, CRD, Service). */
export function bundleObjects(props: OlmBundleProps): Obj[] {
  return new OlmBundle(new App(), 'bundle', props).toJson() as Obj[];
}

/** Relative path → content. */
export function renderBundle(props: OlmBundleProps): Record<string, string> {
  const annotations = bundleAnnotations(props.quayVersion);
  const files: Record<string, string> = {};
  for (const o of bundleObjects(props)) files[MANIFESTS_DIR + manifestFile(o)] = toYamlDocument(o);
  files[`${METADATA_DIR}annotations.yaml`] = toYamlDocument({ annotations });
  files['bundle.Dockerfile'] = dockerfile(annotations, props.quayVersion);
  return files;
}

/** Writes the files under `dir`; returns what else is in manifests/ (OLM would install it too). */
export function writeFiles(dir: string, files: Record<string, string>, watched: readonly string[] = []): { written: string[]; strays: string[] } {
  const written: string[] = [];
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    written.push(file);
  }
  const strays = watched.flatMap((sub) => {
    const d = path.join(dir, sub);
    return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => !(sub + f in files)).map((f) => path.join(d, f)) : [];
  });
  return { written, strays };
}
