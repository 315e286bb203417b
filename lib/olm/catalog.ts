// The file-based catalog (FBC): the package, one channel per Quay minor plus `stable`, and a bundle
// per released version, its upgrade graph from lib/olm/upgrade-graph.ts. `quay-operator catalog`
// writes it; catalog/ holds it committed.
import { GROUP, KIND, VERSION } from '../api/types';
import { toYamlStream } from '../yaml';
import { ICON } from './icon';
import { CATALOG_IMAGE, PACKAGE_NAME, bundleImage, csvName, minorChannel } from './package';
import { channels, releasedVersions } from './upgrade-graph';

type Obj = Record<string, any>;

/** The opm image serves the catalog over gRPC (OLM v0); OLM v1 unpacks /configs from it. */
export const OPM_IMAGE = 'quay.io/operator-framework/opm:latest';

const DESCRIPTION =
  'Deploys and runs Project Quay container registries: one QuayRegistry declares Quay and its dependencies, each managed by the operator or supplied by you. Upgrades follow the supported Quay upgrade paths.';

export function catalogObjects(quayVersion: string, released?: readonly string[]): Obj[] {
  const versions = releasedVersions(quayVersion, released);
  const latest = versions[versions.length - 1];
  return [
    { schema: 'olm.package', name: PACKAGE_NAME, defaultChannel: minorChannel(latest), description: DESCRIPTION, icon: { ...ICON } },
    ...[...channels(versions)].map(([name, entries]) => ({
      schema: 'olm.channel',
      package: PACKAGE_NAME,
      name,
      entries: entries.map((e) => ({ name: e.name, ...(e.replaces ? { replaces: e.replaces } : {}), skipRange: e.skipRange })),
    })),
    ...versions.map((v) => ({
      schema: 'olm.bundle',
      name: csvName(v),
      package: PACKAGE_NAME,
      image: bundleImage(v),
      properties: [
        { type: 'olm.package', value: { packageName: PACKAGE_NAME, version: v } },
        { type: 'olm.gvk', value: { group: GROUP, kind: KIND, version: VERSION } },
      ],
    })),
  ];
}

/** Relative path → content: the package's catalog.yaml and the catalog image's Dockerfile. */
export function renderCatalog(quayVersion: string, released?: readonly string[]): Record<string, string> {
  return {
    [`${PACKAGE_NAME}/catalog.yaml`]: toYamlStream(catalogObjects(quayVersion, released)),
    'catalog.Dockerfile': [
      '# The catalog image (`opm generate dockerfile` writes the same):',
      `#   podman build -f catalog.Dockerfile -t ${CATALOG_IMAGE} .`,
      `FROM ${OPM_IMAGE}`,
      'ENTRYPOINT ["/bin/opm"]',
      'CMD ["serve", "/configs", "--cache-dir=/tmp/cache"]',
      `ADD ${PACKAGE_NAME} /configs/${PACKAGE_NAME}`,
      'RUN ["/bin/opm", "serve", "/configs", "--cache-dir=/tmp/cache", "--cache-only"]',
      'LABEL operators.operatorframework.io.index.configs.v1=/configs',
      '',
    ].join('\n'),
  };
}
