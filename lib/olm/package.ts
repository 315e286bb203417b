// What names the operator in OLM: the package, its channels, the bundle and catalog images, and how
// a Quay version becomes a bundle version. The CSV, annotations.yaml, the catalog and the examples
// read these, so they cannot disagree.
import { parseQuayVersion } from '../upgrade/versions';

/**
 * Not upstream's `quay-operator` (redhat-operators) or `project-quay` (community): a distinct name
 * keeps a ClusterExtension unambiguous on clusters that also serve those catalogs.
 */
export const PACKAGE_NAME = 'quay-operator-ts';
export const BUNDLE_REPOSITORY = 'quay.io/projectquay/quay-operator-ts-bundle';
export const CATALOG_IMAGE = 'quay.io/projectquay/quay-operator-ts-catalog:latest';
/** The channel that follows every release; `stable-X.Y` channels hold one minor each (upstream's names). */
export const STABLE_CHANNEL = 'stable';
/** The CRD's x-kubernetes-validations (CEL) need Kubernetes 1.25+; the project supports 1.26+. */
export const MIN_KUBE_VERSION = '1.26.0';

/**
 * The bundle version is the Quay version it deploys, without the `v` (upstream names its CSVs
 * quay-operator.vX.Y.Z after Quay too): skipRange and replaces then speak the upgrade rules'
 * language. Throws when the version is not vX.Y.Z[-pre].
 */
export function bundleVersion(quayVersion: string): string {
  const v = parseQuayVersion(quayVersion);
  if (!v) throw new Error(`QUAY_VERSION ${JSON.stringify(quayVersion)} is not a Quay version (vX.Y.Z)`);
  return `${v.major}.${v.minor}.${v.patch}${v.prerelease ? `-${v.prerelease}` : ''}`;
}

export function csvName(version: string): string {
  return `${PACKAGE_NAME}.v${version}`;
}

export function bundleImage(version: string): string {
  return `${BUNDLE_REPOSITORY}:v${version}`;
}

export function minorChannel(version: string): string {
  const v = parseQuayVersion(version);
  if (!v) throw new Error(`${version} is not a version`);
  return `stable-${v.major}.${v.minor}`;
}

/** Every bundle is in its minor's channel (the default: minor upgrades are a choice) and in `stable`. */
export function channelsOf(version: string): { channels: string[]; defaultChannel: string } {
  return { channels: [minorChannel(version), STABLE_CHANNEL], defaultChannel: minorChannel(version) };
}
