// lib/api/clair-disconnected.ts in isolation: which values of the updaters import annotation
// parseImportSource takes (pvc://<claim>/<path> or an http(s) URL) and its exact refusals, and
// parseClair's checks of spec.clair. Calls the exported functions directly.
import { CLAIR_IMPORT_ANNOTATION, CLAIR_IMPORT_ID_ANNOTATION, CLAIR_IMPORT_PHASES, parseClair, parseImportSource } from '../../lib/api/clair-disconnected';
import type { Problem } from '../../lib/problems';

const refused = (value: string, why: string) => ({ problem: `${CLAIR_IMPORT_ANNOTATION}: ${JSON.stringify(value.slice(0, 200))} ${why}` });
const NO_CLAIM = 'does not name a PersistentVolumeClaim: use pvc://<claim>/<path in the claim>, e.g. pvc://clair-updaters/updates.gz';
const NO_FILE = 'does not name a file in the claim: the path after the claim is relative, without empty, . or .. parts, of letters, digits and . _ + @ = -';
const CREDENTIALS = { problem: `${CLAIR_IMPORT_ANNOTATION}: the URL carries credentials (user:password@): the annotation is no place for them; serve the bundle inside the cluster without, or copy it to a PersistentVolumeClaim` };

describe('annotations', () => {
  it('are named as documented', () => {
    expect([CLAIR_IMPORT_ANNOTATION, CLAIR_IMPORT_ID_ANNOTATION]).toEqual(['quay-operator/clair-import-updaters', 'quay-operator/clair-import-updaters-id']);
    expect(CLAIR_IMPORT_PHASES).toEqual(['Waiting', 'Importing', 'Succeeded', 'Failed', 'Refused']);
  });
});

describe('parseImportSource: pvc://', () => {
  it.each([
    ['pvc://clair-updaters/updates.gz', 'clair-updaters', 'updates.gz'],
    ['pvc://clair.updaters/2024-06/updates+v4@x=1.gz', 'clair.updaters', '2024-06/updates+v4@x=1.gz'],
    ['pvc://c/.hidden/..x/a_b', 'c', '.hidden/..x/a_b'],
    [`pvc://${'c'.repeat(253)}/u.gz`, 'c'.repeat(253), 'u.gz'],
  ])('takes %s', (value, claim, path) => {
    expect(parseImportSource(value)).toEqual({ source: { kind: 'pvc', claim, path } });
  });

  it.each([
    ['pvc://Clair/updates.gz', NO_CLAIM],
    ['pvc:///updates.gz', NO_CLAIM],
    ['pvc://-c/updates.gz', NO_CLAIM],
    [`pvc://${'c'.repeat(254)}/u.gz`, NO_CLAIM],
    ['pvc://clair-updaters', NO_FILE],
    ['pvc://clair-updaters/', NO_FILE],
    ['pvc://clair-updaters//updates.gz', NO_FILE],
    ['pvc://clair-updaters/dir/', NO_FILE],
    ['pvc://clair-updaters/.', NO_FILE],
    ['pvc://clair-updaters/./updates.gz', NO_FILE],
    ['pvc://clair-updaters/..', NO_FILE],
    ['pvc://clair-updaters/../etc/passwd', NO_FILE],
    ['pvc://clair-updaters/a/../../b', NO_FILE],
    ['pvc://clair-updaters/my updates.gz', NO_FILE],
    ['pvc://clair-updaters/upd~ates.gz', NO_FILE],
  ])('refuses %s', (value, why) => {
    expect(parseImportSource(value)).toEqual(refused(value, why));
  });
});

describe('parseImportSource: URLs', () => {
  it.each([
    'https://mirror.example.com/clair/updates.gz',
    'http://updaters.quay-enterprise.svc:8080/updates.gz',
    'https://10.0.0.5/updates.gz?token=public#x',
    'HTTPS://Mirror.Example.com/U.gz',
  ])('takes %s as given', (url) => {
    expect(parseImportSource(url)).toEqual({ source: { kind: 'url', url } });
  });

  it.each([
    ['ftp://mirror.example.com/updates.gz', 'has scheme ftp: use http(s):// or pvc://<claim>/<path>'],
    ['file:///data/updates.gz', 'has scheme file: use http(s):// or pvc://<claim>/<path>'],
    ['s3://bucket/updates.gz', 'has scheme s3: use http(s):// or pvc://<claim>/<path>'],
    ['updates.gz', 'is neither pvc://<claim>/<path> nor an http(s) URL'],
    ['/data/updates.gz', 'is neither pvc://<claim>/<path> nor an http(s) URL'],
    ['http://', 'is neither pvc://<claim>/<path> nor an http(s) URL'],
    ['https://:443/updates.gz', 'is neither pvc://<claim>/<path> nor an http(s) URL'],
  ])('refuses %s', (value, why) => {
    expect(parseImportSource(value)).toEqual(refused(value, why));
  });

  it.each(['https://user:secret@mirror.example.com/u.gz', 'https://user@mirror.example.com/u.gz', 'https://:secret@mirror.example.com/u.gz'])(
    'refuses %s without echoing it (credentials)',
    (value) => {
      const result = parseImportSource(value);
      expect(result).toEqual(CREDENTIALS);
      expect(result.problem).not.toContain('mirror.example.com');
    },
  );
});

describe('parseImportSource: length', () => {
  const url = (length: number) => {
    const head = 'https://mirror.example.com/';
    return head + 'a'.repeat(length - head.length);
  };

  it('takes a value of 2048 characters', () => {
    expect(url(2048)).toHaveLength(2048);
    expect(parseImportSource(url(2048))).toEqual({ source: { kind: 'url', url: url(2048) } });
    const pvc = `pvc://c/${'p'.repeat(2040)}`;
    expect(parseImportSource(pvc)).toEqual({ source: { kind: 'pvc', claim: 'c', path: 'p'.repeat(2040) } });
  });

  it('refuses 2049 characters, quoting only the first 200', () => {
    expect(parseImportSource(url(2049))).toEqual({ problem: `${CLAIR_IMPORT_ANNOTATION}: ${JSON.stringify(url(2049).slice(0, 200))} is longer than 2048 characters` });
  });

  it('quotes only the first 200 characters of any refused value', () => {
    const value = `ftp://mirror.example.com/${'b'.repeat(300)}`;
    expect(parseImportSource(value)).toEqual({ problem: `${CLAIR_IMPORT_ANNOTATION}: ${JSON.stringify(value.slice(0, 200))} has scheme ftp: use http(s):// or pvc://<claim>/<path>` });
    expect(parseImportSource(value.slice(0, 200))).toEqual(parseImportSource(value));
  });
});

describe('parseClair', () => {
  const invalid = (path: string, message: string): Problem => ({ path, message, reason: 'ConfigInvalid' });
  const parse = (raw: unknown, clairUnmanaged = false) => {
    const problems: Problem[] = [];
    const settings = parseClair(raw, clairUnmanaged, problems);
    return { settings, problems };
  };
  const UNMANAGED = invalid('spec.clair.disconnected', "the clair component is unmanaged: set airgap in your own Clair's config (indexer.airgap, matcher.disable_updaters), or make clair managed");

  it.each([undefined, null])('takes %j as no settings, without a problem', (raw) => {
    expect(parse(raw)).toEqual({ settings: undefined, problems: [] });
    expect(parse(raw, true)).toEqual({ settings: undefined, problems: [] });
  });

  it.each<[unknown, boolean, unknown]>([
    [{}, false, {}],
    [{}, true, {}],
    [{ disconnected: true }, false, { disconnected: true }],
    [{ disconnected: false }, false, { disconnected: false }],
    [{ disconnected: false }, true, { disconnected: false }],
  ])('takes %j (clair unmanaged: %s)', (raw, unmanaged, expected) => {
    expect(parse(raw, unmanaged)).toEqual({ settings: expected, problems: [] });
  });

  it.each<[unknown, boolean, Problem[]]>([
    [[], false, [invalid('spec.clair', 'must be a mapping with disconnected (true or false)')]],
    [[{ disconnected: true }], false, [invalid('spec.clair', 'must be a mapping with disconnected (true or false)')]],
    ['disconnected', false, [invalid('spec.clair', 'must be a mapping with disconnected (true or false)')]],
    [true, false, [invalid('spec.clair', 'must be a mapping with disconnected (true or false)')]],
    [{ disconnected: 'true' }, false, [invalid('spec.clair.disconnected', '"true" is not true or false')]],
    [{ disconnected: null }, false, [invalid('spec.clair.disconnected', 'null is not true or false')]],
    [{ airgap: true }, false, [invalid('spec.clair.airgap', 'unknown field; clair has only disconnected')]],
    [{ disconnected: true, airgap: true }, false, [invalid('spec.clair.airgap', 'unknown field; clair has only disconnected')]],
    [{ disconnected: true }, true, [UNMANAGED]],
    [{ disconnected: true, airgap: 1 }, true, [invalid('spec.clair.airgap', 'unknown field; clair has only disconnected'), UNMANAGED]],
  ])('refuses %j (clair unmanaged: %s)', (raw, unmanaged, expected) => {
    expect(parse(raw, unmanaged)).toEqual({ settings: undefined, problems: expected });
  });

  it('judges by its own problems, not those found before', () => {
    const problems = [invalid('spec.exposure', 'earlier')];
    expect(parseClair({ disconnected: true }, false, problems)).toEqual({ disconnected: true });
    expect(problems).toEqual([invalid('spec.exposure', 'earlier')]);
  });
});

describe('a refused value is quoted without its credentials (status and Events are read by more people)', () => {
  it.each([
    ['ftp://user:secret@mirror.example.com/u.gz', '"ftp://***@mirror.example.com/u.gz" has scheme ftp: use http(s):// or pvc://<claim>/<path>'],
    ['sftp://admin:p@ss@mirror.example.com/u.gz', '"sftp://***@mirror.example.com/u.gz" has scheme sftp: use http(s):// or pvc://<claim>/<path>'],
  ])('%s', (value, message) => {
    expect(parseImportSource(value)).toEqual({ problem: `${CLAIR_IMPORT_ANNOTATION}: ${message}` });
  });

  it('also when the value is too long', () => {
    const value = `https://user:secret@mirror.example.com/${'a'.repeat(2100)}`;
    const { problem } = parseImportSource(value);
    expect(problem).toBe(`${CLAIR_IMPORT_ANNOTATION}: ${JSON.stringify(`https://***@mirror.example.com/${'a'.repeat(2100)}`.slice(0, 200))} is longer than 2048 characters`);
    expect(problem).not.toContain('secret');
  });
});
