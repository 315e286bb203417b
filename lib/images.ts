// Component images: upstream's defaults, overridable per operator with RELATED_IMAGE_COMPONENT_*.
import { Problem, problem } from './problems';

export interface Images {
  readonly quay: string;
  readonly clair: string;
  readonly postgres: string;
  readonly clairpostgres: string;
  readonly redis: string;
  /** The config editor: a Quay image that still has the `config` mode (Quay removed it after 3.9). */
  readonly configEditor: string;
}

/** The upstream operator's CSV defaults (reference §6). */
export const DEFAULT_IMAGES: Images = {
  quay: 'quay.io/projectquay/quay:latest',
  clair: 'quay.io/projectquay/clair:4.9.0',
  postgres: 'quay.io/sclorg/postgresql-13-c9s:latest',
  clairpostgres: 'quay.io/sclorg/postgresql-15-c9s:latest',
  redis: 'quay.io/sclorg/redis-7-c9s:latest',
  // Pinned: the config-tool (`config` mode, /api/v1/config, commit to the operator) left the Quay
  // image after 3.9, so `quay:latest` cannot run the editor.
  configEditor: 'quay.io/projectquay/quay:v3.9.8',
};

export const IMAGE_ENV: Record<keyof Images, string> = {
  quay: 'RELATED_IMAGE_COMPONENT_QUAY',
  clair: 'RELATED_IMAGE_COMPONENT_CLAIR',
  postgres: 'RELATED_IMAGE_COMPONENT_POSTGRES',
  clairpostgres: 'RELATED_IMAGE_COMPONENT_CLAIRPOSTGRES',
  redis: 'RELATED_IMAGE_COMPONENT_REDIS',
  configEditor: 'RELATED_IMAGE_COMPONENT_CONFIG_EDITOR',
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

/** Reads image overrides from an environment (the operator's, or the CLI's). */
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
  return { images, problems };
}

/** The Quay version this operator deploys; tied to the migration Job and status.currentVersion. */
export const DEFAULT_QUAY_VERSION = 'v3.99.0-dev';
