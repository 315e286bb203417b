// Component images: upstream's defaults, overridable per operator with RELATED_IMAGE_COMPONENT_*.
import { Problem, problem } from './problems';
import { parseQuayVersion } from './upgrade/versions';

export interface Images {
  readonly quay: string;
  readonly clair: string;
  readonly postgres: string;
  readonly clairpostgres: string;
  readonly redis: string;
  /** The config editor: a Quay image that still has the `config` mode (Quay removed it after 3.9). */
  readonly configEditor: string;
  /**
   * The previous PostgreSQL major, run from the old volume while a managed database is upgraded.
   * Empty (the default): the image the database ran until then, read from its live Deployment.
   */
  readonly postgresPrevious: string;
  readonly clairpostgresPrevious: string;
}

/** The Quay version this operator deploys; tied to the migration Job and status.currentVersion. */
export const DEFAULT_QUAY_VERSION = 'v3.17.3';

/**
 * Defaults: Quay at exactly DEFAULT_QUAY_VERSION (upstream's CSV says `quay:latest`, a floating tag:
 * a pod restart could pull a newer Quay onto a database no migration Job has migrated); the others
 * as upstream's CSV (reference §6).
 */
export const DEFAULT_IMAGES: Images = {
  quay: `quay.io/projectquay/quay:${DEFAULT_QUAY_VERSION}`,
  clair: 'quay.io/projectquay/clair:4.9.0',
  postgres: 'quay.io/sclorg/postgresql-13-c9s:latest',
  clairpostgres: 'quay.io/sclorg/postgresql-15-c9s:latest',
  redis: 'quay.io/sclorg/redis-7-c9s:latest',
  // Pinned: the config-tool (`config` mode, /api/v1/config, commit to the operator) left the Quay
  // image after 3.9, so `quay:latest` cannot run the editor.
  configEditor: 'quay.io/projectquay/quay:v3.9.8',
  // The old data is served by exactly what served it (upstream pinned centos/postgresql-10-centos7,
  // wrong for any other previous major); set only to use another image (a mirror, a digest).
  postgresPrevious: '',
  clairpostgresPrevious: '',
};

export const IMAGE_ENV: Record<keyof Images, string> = {
  quay: 'RELATED_IMAGE_COMPONENT_QUAY',
  clair: 'RELATED_IMAGE_COMPONENT_CLAIR',
  postgres: 'RELATED_IMAGE_COMPONENT_POSTGRES',
  clairpostgres: 'RELATED_IMAGE_COMPONENT_CLAIRPOSTGRES',
  redis: 'RELATED_IMAGE_COMPONENT_REDIS',
  configEditor: 'RELATED_IMAGE_COMPONENT_CONFIG_EDITOR',
  postgresPrevious: 'RELATED_IMAGE_COMPONENT_POSTGRES_PREVIOUS',
  clairpostgresPrevious: 'RELATED_IMAGE_COMPONENT_CLAIRPOSTGRES_PREVIOUS',
};

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** An image reference must name a tag or a digest, so what runs is explicit. */
export function checkImageReference(ref: string): string | undefined {
  const [name, digest, ...rest] = ref.split('@');
  if (rest.length > 0 || (digest !== undefined && !DIGEST.test(digest))) return 'is not a valid image reference (bad digest)';
  // A tag follows the last `:` after the last `/`: `host:5000/img:tag` has one, `host:5000/img` has none.
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  const repository = hasTag ? name.slice(0, colon) : name;
  if (!REPOSITORY.test(repository) || (hasTag && !TAG.test(name.slice(colon + 1)))) return 'is not a valid image reference';
  if (!hasTag && digest === undefined) return 'image override must be referenced by tag or digest';
  return undefined;
}

/**
 * The Quay image must run the version the migration Job migrates to: a digest (pinned; its version
 * cannot be read here), or a tag naming that version. A floating tag (`latest`, a branch) or another
 * version is refused rather than deployed.
 */
export function checkQuayImageVersion(ref: string, quayVersion: string): string | undefined {
  if (ref.includes('@')) return undefined;
  const name = ref.split('@')[0];
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : '';
  const tagged = parseQuayVersion(tag);
  const wanted = parseQuayVersion(quayVersion);
  if (!tagged) return `\`${ref}\` is a floating tag: a pod restart could pull another Quay onto a database migrated for QUAY_VERSION ${quayVersion}; name the release (quay:${quayVersion}) or a digest`;
  if (!wanted || tagged.major !== wanted.major || tagged.minor !== wanted.minor || tagged.patch !== wanted.patch || (tagged.prerelease ?? '') !== (wanted.prerelease ?? '')) {
    return `\`${ref}\` is Quay ${tag} but QUAY_VERSION is ${quayVersion}: the migration Job would migrate to one version and Quay run another; set both to the same release`;
  }
  return undefined;
}

/** Reads image overrides from an environment (the operator's, or the CLI's), and checks Quay's against QUAY_VERSION. */
export function imagesFromEnv(env: Readonly<Record<string, string | undefined>>): { images: Images; problems: Problem[] } {
  const problems: Problem[] = [];
  const images = { ...DEFAULT_IMAGES };
  for (const key of Object.keys(IMAGE_ENV) as (keyof Images)[]) {
    const value = env[IMAGE_ENV[key]];
    if (value === undefined || value === '') continue;
    const error = checkImageReference(value);
    if (error) problems.push(problem(IMAGE_ENV[key], `${error}, got \`${value}\``));
    else images[key] = value;
  }
  const version = env.QUAY_VERSION || DEFAULT_QUAY_VERSION;
  if (!parseQuayVersion(version)) problems.push(problem('QUAY_VERSION', `is not a Quay version (vX.Y.Z), got \`${version}\``));
  else if (!problems.some((p) => p.path === IMAGE_ENV.quay)) {
    const mismatch = checkQuayImageVersion(images.quay, version);
    if (mismatch) problems.push(problem(IMAGE_ENV.quay, mismatch));
  }
  return { images, problems };
}


