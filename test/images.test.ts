import { DEFAULT_IMAGES, IMAGE_ENV, checkImageReference, imagesFromEnv } from '../lib/images';
import { Problem } from '../lib/problems';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const invalid = (path: string, message: string): Problem => ({ path, message, reason: 'ConfigInvalid' });

describe('imagesFromEnv', () => {
  it('uses the defaults when nothing is set', () => {
    expect(imagesFromEnv({})).toEqual({ images: DEFAULT_IMAGES, problems: [] });
    expect(DEFAULT_IMAGES).toEqual({
      // A release, the operator's QUAY_VERSION: never a floating tag.
      quay: 'quay.io/projectquay/quay:v3.17.3',
      clair: 'quay.io/projectquay/clair:4.9.0',
      postgres: 'quay.io/sclorg/postgresql-13-c9s:latest',
      clairpostgres: 'quay.io/sclorg/postgresql-15-c9s:latest',
      redis: 'quay.io/sclorg/redis-7-c9s:latest',
      // The last Quay image with the config-tool (`config` mode).
      configEditor: 'quay.io/projectquay/quay:v3.9.8',
      // Empty: the image the database ran serves its old data during an upgrade.
      postgresPrevious: '',
      clairpostgresPrevious: '',
    });
  });

  it('reads RELATED_IMAGE_COMPONENT_* for each component', () => {
    expect(IMAGE_ENV).toEqual({
      quay: 'RELATED_IMAGE_COMPONENT_QUAY',
      clair: 'RELATED_IMAGE_COMPONENT_CLAIR',
      postgres: 'RELATED_IMAGE_COMPONENT_POSTGRES',
      clairpostgres: 'RELATED_IMAGE_COMPONENT_CLAIRPOSTGRES',
      redis: 'RELATED_IMAGE_COMPONENT_REDIS',
      configEditor: 'RELATED_IMAGE_COMPONENT_CONFIG_EDITOR',
      postgresPrevious: 'RELATED_IMAGE_COMPONENT_POSTGRES_PREVIOUS',
      clairpostgresPrevious: 'RELATED_IMAGE_COMPONENT_CLAIRPOSTGRES_PREVIOUS',
    });
  });

  it('ignores an empty variable', () => {
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_QUAY: '' })).toEqual({ images: DEFAULT_IMAGES, problems: [] });
  });

  it('overrides an image by tag (Quay with the QUAY_VERSION it runs)', () => {
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_QUAY: 'quay.io/projectquay/quay:v3.12.0', QUAY_VERSION: 'v3.12.0' })).toEqual({
      images: { ...DEFAULT_IMAGES, quay: 'quay.io/projectquay/quay:v3.12.0' },
      problems: [],
    });
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_QUAY: 'mirror.example.com/quay/quay:3.12.0', QUAY_VERSION: 'v3.12.0' }).problems).toEqual([]);
  });

  it('Quay: a floating tag, or a release other than QUAY_VERSION, is refused (a restart would run another Quay than the one migrated for)', () => {
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_QUAY: 'quay.io/projectquay/quay:latest' }).problems).toEqual([
      invalid(
        'RELATED_IMAGE_COMPONENT_QUAY',
        '`quay.io/projectquay/quay:latest` is a floating tag: a pod restart could pull another Quay onto a database migrated for QUAY_VERSION v3.17.3; name the release (quay:v3.17.3) or a digest',
      ),
    ]);
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_QUAY: 'quay.io/projectquay/quay:v3.16.1' }).problems).toEqual([
      invalid(
        'RELATED_IMAGE_COMPONENT_QUAY',
        '`quay.io/projectquay/quay:v3.16.1` is Quay v3.16.1 but QUAY_VERSION is v3.17.3: the migration Job would migrate to one version and Quay run another; set both to the same release',
      ),
    ]);
    expect(imagesFromEnv({ QUAY_VERSION: 'v3.18.0' }).problems.map((p) => p.path)).toEqual(['RELATED_IMAGE_COMPONENT_QUAY']);
    expect(imagesFromEnv({ QUAY_VERSION: 'next' }).problems).toEqual([invalid('QUAY_VERSION', 'is not a Quay version (vX.Y.Z), got `next`')]);
    // A digest is pinned: accepted (its version cannot be read here).
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_QUAY: `registry.redhat.io/quay/quay-rhel8@${DIGEST}`, QUAY_VERSION: 'v3.18.0' }).problems).toEqual([]);
  });

  it('overrides an image by digest', () => {
    const ref = `registry.redhat.io/rhel8/postgresql-13@${DIGEST}`;
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_POSTGRES: ref })).toEqual({ images: { ...DEFAULT_IMAGES, postgres: ref }, problems: [] });
  });

  it('accepts a tag and a digest together', () => {
    const ref = `quay.io/projectquay/clair:4.9.0@${DIGEST}`;
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_CLAIR: ref })).toEqual({ images: { ...DEFAULT_IMAGES, clair: ref }, problems: [] });
  });

  it('accepts `host:5000/img:tag` (a registry port and a tag)', () => {
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_REDIS: 'mirror.example.com:5000/sclorg/redis-7-c9s:20240101' })).toEqual({
      images: { ...DEFAULT_IMAGES, redis: 'mirror.example.com:5000/sclorg/redis-7-c9s:20240101' },
      problems: [],
    });
  });

  it('rejects an image without tag or digest, naming the variable', () => {
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_QUAY: 'quay.io/projectquay/quay' })).toEqual({
      images: DEFAULT_IMAGES,
      problems: [invalid('RELATED_IMAGE_COMPONENT_QUAY', 'image override must be referenced by tag or digest, got `quay.io/projectquay/quay`')],
    });
  });

  it('rejects `host:5000/img`: the port is not a tag', () => {
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_CLAIRPOSTGRES: 'host:5000/img' })).toEqual({
      images: DEFAULT_IMAGES,
      problems: [invalid('RELATED_IMAGE_COMPONENT_CLAIRPOSTGRES', 'image override must be referenced by tag or digest, got `host:5000/img`')],
    });
  });

  it('rejects a bad digest', () => {
    expect(imagesFromEnv({ RELATED_IMAGE_COMPONENT_CLAIR: 'quay.io/projectquay/clair@sha256:abc' })).toEqual({
      images: DEFAULT_IMAGES,
      problems: [invalid('RELATED_IMAGE_COMPONENT_CLAIR', 'is not a valid image reference (bad digest), got `quay.io/projectquay/clair@sha256:abc`')],
    });
  });

  it('reports each bad variable and keeps the good overrides', () => {
    const result = imagesFromEnv({
      RELATED_IMAGE_COMPONENT_QUAY: 'quay.io/projectquay/quay:v3.12.0',
      QUAY_VERSION: 'v3.12.0',
      RELATED_IMAGE_COMPONENT_REDIS: 'redis',
      RELATED_IMAGE_COMPONENT_POSTGRES: 'Not An Image:tag',
    });
    expect(result.images).toEqual({ ...DEFAULT_IMAGES, quay: 'quay.io/projectquay/quay:v3.12.0' });
    expect(result.problems).toEqual([
      invalid('RELATED_IMAGE_COMPONENT_POSTGRES', 'is not a valid image reference, got `Not An Image:tag`'),
      invalid('RELATED_IMAGE_COMPONENT_REDIS', 'image override must be referenced by tag or digest, got `redis`'),
    ]);
  });
});

describe('checkImageReference', () => {
  it.each([
    'quay.io/projectquay/quay:v3.12.0',
    'localhost:5000/quay:dev',
    'quay:latest',
    `quay.io/projectquay/quay@${DIGEST}`,
  ])('accepts %s', (ref) => {
    expect(checkImageReference(ref)).toBeUndefined();
  });

  it.each([
    ['quay.io/projectquay/quay@sha256:ABC', 'is not a valid image reference (bad digest)'],
    [`quay.io/projectquay/quay@md5:${'0'.repeat(32)}`, 'is not a valid image reference (bad digest)'],
    [`a@${DIGEST}@${DIGEST}`, 'is not a valid image reference (bad digest)'],
    ['quay.io/projectquay/quay:', 'is not a valid image reference'],
    ['quay.io/projectquay/quay:-bad', 'is not a valid image reference'],
    ['quay.io//quay:v1', 'is not a valid image reference'],
    ['host:5000/img', 'image override must be referenced by tag or digest'],
  ])('rejects %s', (ref, message) => {
    expect(checkImageReference(ref)).toBe(message);
  });
});
