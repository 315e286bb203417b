import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_SECRET_BYTES, bundleFromDirectory, bundleFromFiles, bundleFromSecret, emptyBundle, hasCertificate, parseYamlMapping } from '../../lib/bundle/bundle';
import { Problem } from '../../lib/problems';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const invalid = (p: string, message: string): Problem => ({ path: p, message, reason: 'ConfigInvalid' });

function secret(fields: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'config-bundle-secret', namespace: 'quay-enterprise' }, ...fields };
}

function files(map: Record<string, string>): Map<string, Buffer> {
  return new Map(Object.entries(map).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
}

describe('bundleFromSecret', () => {
  it('reads base64 data and parses config.yaml', () => {
    const result = bundleFromSecret(
      secret({ data: { 'config.yaml': b64('SERVER_HOSTNAME: quay.example.com\nFEATURE_USER_CREATION: false\n'), 'ssl.cert': b64('CERT') } }),
    );
    expect(result.problems).toEqual([]);
    expect(result.bundle?.source).toBe('Secret quay-enterprise/config-bundle-secret');
    expect(result.bundle?.config).toEqual({ SERVER_HOSTNAME: 'quay.example.com', FEATURE_USER_CREATION: false });
    expect(result.bundle?.files.get('ssl.cert')?.toString('utf8')).toBe('CERT');
    expect([...(result.bundle?.files.keys() ?? [])].sort()).toEqual(['config.yaml', 'ssl.cert']);
  });

  it('reads plain-text stringData', () => {
    const result = bundleFromSecret(secret({ stringData: { 'config.yaml': 'REGISTRY_TITLE: My Quay\n' } }));
    expect(result.problems).toEqual([]);
    expect(result.bundle?.config).toEqual({ REGISTRY_TITLE: 'My Quay' });
  });

  it('lets stringData win over data for the same key, as the API server does', () => {
    const result = bundleFromSecret(
      secret({ data: { 'config.yaml': b64('REGISTRY_TITLE: from data\n'), 'extra_ca_cert_a.crt': b64('A') }, stringData: { 'config.yaml': 'REGISTRY_TITLE: from stringData\n' } }),
    );
    expect(result.problems).toEqual([]);
    expect(result.bundle?.config).toEqual({ REGISTRY_TITLE: 'from stringData' });
    expect(result.bundle?.files.get('extra_ca_cert_a.crt')?.toString('utf8')).toBe('A');
  });

  it('rejects data that is not base64', () => {
    expect(bundleFromSecret(secret({ data: { 'config.yaml': 'SERVER_HOSTNAME: quay.example.com' } }))).toEqual({
      problems: [invalid('data.config.yaml', 'is not base64; put plain text under stringData instead')],
    });
  });

  it('rejects data whose length is not a multiple of 4, as the API server does (plain text that happens to use base64 letters)', () => {
    expect(bundleFromSecret(secret({ data: { 'ssl.key': 'notbase64' } }))).toEqual({
      problems: [invalid('data.ssl.key', 'is not base64; put plain text under stringData instead')],
    });
  });

  it('rejects stringData that is not a string', () => {
    expect(bundleFromSecret(secret({ stringData: { 'config.yaml': { SERVER_HOSTNAME: 'quay.example.com' } } }))).toEqual({
      problems: [invalid('stringData.config.yaml', 'must be a string')],
    });
  });

  it('rejects a key that is not a valid Secret key', () => {
    expect(bundleFromSecret(secret({ stringData: { 'config.yaml': '', 'my cert.crt': 'x' } }))).toEqual({
      problems: [invalid('my cert.crt', 'is not a valid Secret key (letters, digits, -, _ and . only)')],
    });
  });

  it('rejects data that is not a mapping', () => {
    expect(bundleFromSecret(secret({ data: ['config.yaml'] }))).toEqual({
      problems: [invalid('data', 'data and stringData must be mappings of file name to content')],
    });
  });

  it('reads base64 wrapped over several lines, as `base64` prints it (76 columns)', () => {
    const config = `SERVER_HOSTNAME: quay.example.com\nREGISTRY_TITLE: ${'Q'.repeat(80)}\n`;
    const wrapped = b64(config).replace(/.{76}/g, '$&\n');
    expect(wrapped.split('\n').length).toBeGreaterThan(2);
    const result = bundleFromSecret(secret({ data: { 'config.yaml': wrapped } }));
    expect(result.problems).toEqual([]);
    expect(result.bundle?.config).toEqual({ SERVER_HOSTNAME: 'quay.example.com', REGISTRY_TITLE: 'Q'.repeat(80) });
  });

  it.each([
    ['data is a string', { data: b64('SERVER_HOSTNAME: quay.example.com\n') }, 'data'],
    ['stringData is a string', { stringData: 'SERVER_HOSTNAME: quay.example.com\n' }, 'stringData'],
    ['stringData is a list', { stringData: ['SERVER_HOSTNAME: quay.example.com\n'] }, 'stringData'],
    ['data and stringData are lists', { data: [], stringData: [] }, 'data'],
  ])('rejects a Secret whose %s, not a mapping of file name to content, naming that field', (_, fields, field) => {
    expect(bundleFromSecret(secret(fields))).toEqual({
      problems: [invalid(field, 'data and stringData must be mappings of file name to content')],
    });
  });

  it('names a Secret without a namespace as in `default`, and one without a name as such', () => {
    const noNamespace = bundleFromSecret({ kind: 'Secret', metadata: { name: 'config-bundle-secret' }, stringData: { 'config.yaml': '' } });
    expect(noNamespace.bundle?.source).toBe('Secret default/config-bundle-secret');
    expect(bundleFromSecret({ kind: 'Secret', stringData: { 'config.yaml': '' } }).bundle?.source).toBe('Secret default/');
  });

  it('reads a Secret without data as an empty bundle', () => {
    const result = bundleFromSecret(secret({}));
    expect(result.problems).toEqual([]);
    expect(result.bundle?.config).toEqual({});
    expect(result.bundle?.files.size).toBe(0);
  });
});

describe('bundleFromFiles: config.yaml', () => {
  // js-yaml 4.1.0 let a merge key set the parsed mapping's prototype (GHSA-mh29-5h37-fv8m, fixed in
  // 4.1.1): a key could then be read by the operator without being in the file's own keys.
  it('a merge key cannot set the prototype of the parsed config', () => {
    const text = '<<:\n  __proto__:\n    FEATURE_SUPERUSERS: true\nSERVER_HOSTNAME: quay.example.com\n';
    const config = bundleFromFiles('test', files({ 'config.yaml': text })).bundle!.config as Record<string, unknown>;
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(config.FEATURE_SUPERUSERS).toBeUndefined();
    expect(config.SERVER_HOSTNAME).toBe('quay.example.com');
  });

  it('reports malformed YAML with the file, line and column', () => {
    const text = 'SERVER_HOSTNAME: quay.example.com\nFEATURE_USER_CREATION: false\n  SUPER_USERS: [quayadmin]\n';
    const result = bundleFromFiles('test', files({ 'config.yaml': text }));
    expect(result.bundle).toBeUndefined();
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0].path).toBe('config.yaml');
    expect(result.problems[0].reason).toBe('ConfigInvalid');
    expect(result.problems[0].message).toMatch(/^invalid YAML at line 3, column \d+: /);
    expect(result.problems[0].message).toBe('invalid YAML at line 3, column 14: bad indentation of a mapping entry');
  });

  it('reports the line of an unterminated flow list', () => {
    const result = bundleFromFiles('test', files({ 'config.yaml': 'SUPER_USERS: [quayadmin\nREGISTRY_TITLE: Quay\n' }));
    expect(result.problems).toEqual([invalid('config.yaml', 'invalid YAML at line 2, column 1: missed comma between flow collection entries')]);
  });

  it('rejects a config.yaml that is a list', () => {
    expect(bundleFromFiles('test', files({ 'config.yaml': '- SERVER_HOSTNAME: quay.example.com\n' }))).toEqual({
      problems: [invalid('config.yaml', 'must be a YAML mapping of config keys, got a list')],
    });
  });

  it('rejects a config.yaml that is a scalar', () => {
    expect(bundleFromFiles('test', files({ 'config.yaml': 'quay.example.com\n' }))).toEqual({
      problems: [invalid('config.yaml', 'must be a YAML mapping of config keys, got string')],
    });
  });

  it('reads an empty config.yaml as {}', () => {
    const result = bundleFromFiles('test', files({ 'config.yaml': '' }));
    expect(result.problems).toEqual([]);
    expect(result.bundle?.config).toEqual({});
  });

  it('reads a comment-only config.yaml as {}', () => {
    expect(bundleFromFiles('test', files({ 'config.yaml': '# nothing yet\n' })).bundle?.config).toEqual({});
  });

  it('reads a bundle without config.yaml as {}', () => {
    const result = bundleFromFiles('test', files({ 'extra_ca_cert_ca.crt': 'PEM' }));
    expect(result.problems).toEqual([]);
    expect(result.bundle?.config).toEqual({});
    expect(result.bundle?.clairConfig).toBeUndefined();
  });
});

describe('bundleFromFiles: limits and encoding', () => {
  const big = (n: number) => Buffer.alloc(n, 'a');

  it('accepts a bundle of exactly 1 MiB, all files together', () => {
    const config = Buffer.from('SERVER_HOSTNAME: quay.example.com\n');
    const result = bundleFromFiles('test', new Map([['config.yaml', config], ['extra_ca_cert_big.crt', big(MAX_SECRET_BYTES - config.length)]]));
    expect(result.problems).toEqual([]);
    expect(result.bundle?.config).toEqual({ SERVER_HOSTNAME: 'quay.example.com' });
  });

  it('rejects a bundle one byte over 1 MiB, naming its largest file and the total', () => {
    const map = new Map([
      ['config.yaml', Buffer.from('SERVER_HOSTNAME: quay.example.com\n')],
      ['extra_ca_cert_big.crt', big(MAX_SECRET_BYTES - 100)],
      ['extra_ca_cert_small.crt', big(67)],
    ]);
    expect(MAX_SECRET_BYTES).toBe(1048576);
    expect(bundleFromFiles('test', map)).toEqual({
      problems: [
        invalid(
          'extra_ca_cert_big.crt',
          'is 1048476 bytes (the whole bundle 1048577): Kubernetes limits a Secret to 1 MiB (1048576 bytes), so the bundle cannot be stored',
        ),
      ],
    });
  });

  // A config.yaml saved as Latin-1 would otherwise decode to U+FFFD in, say, a database password.
  it('rejects a config.yaml or clair-config.yaml that is not UTF-8, naming the line', () => {
    const latin1 = Buffer.concat([Buffer.from('SERVER_HOSTNAME: quay.example.com\nDB_URI: postgresql://quay:p'), Buffer.from([0xe4]), Buffer.from('ss@db/quay\n')]);
    const clair = Buffer.concat([Buffer.from('indexer:\n  connstring: host=db\n  # caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    expect(bundleFromFiles('test', new Map([['config.yaml', latin1], ['clair-config.yaml', clair]]))).toEqual({
      problems: [
        invalid('config.yaml', 'is not UTF-8 text (line 2): YAML must be UTF-8'),
        invalid('clair-config.yaml', 'is not UTF-8 text (line 3): YAML must be UTF-8'),
      ],
    });
  });

  it('accepts non-ASCII UTF-8 in config.yaml', () => {
    expect(bundleFromFiles('test', files({ 'config.yaml': 'REGISTRY_TITLE: Qüay Régistry\n' })).bundle?.config).toEqual({ REGISTRY_TITLE: 'Qüay Régistry' });
  });

  it('rejects an alias bomb in config.yaml with a message that has no position (the limit applies after parsing)', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 7; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(bundleFromFiles('test', files({ 'config.yaml': `${lines.join('\n')}\n` }))).toEqual({
      problems: [invalid('config.yaml', 'invalid YAML: its aliases expand to more than 500000 values (an alias bomb?)')],
    });
  });
});

describe('parseYamlMapping', () => {
  it.each([
    ['empty', ''],
    ['comments only', '# set by the config editor\n'],
    ['null', 'null\n'],
    ['~', '~\n'],
  ])('reads a document that is %s as an empty mapping', (_, text) => {
    expect(parseYamlMapping('clair-config.yaml', text)).toEqual({ value: {} });
  });

  it('returns the mapping, and names the key in a problem', () => {
    expect(parseYamlMapping('clair-config.yaml', 'log_level: debug\n')).toEqual({ value: { log_level: 'debug' } });
    expect(parseYamlMapping('clair-config.yaml', '42\n')).toEqual({ problem: invalid('clair-config.yaml', 'must be a YAML mapping of config keys, got number') });
  });
});

describe('bundleFromFiles: clair-config.yaml', () => {
  it('parses clair-config.yaml', () => {
    const result = bundleFromFiles(
      'test',
      files({ 'config.yaml': '', 'clair-config.yaml': 'indexer:\n  connstring: host=db port=5432\n  airgap: true\nlog_level: debug\n' }),
    );
    expect(result.problems).toEqual([]);
    expect(result.bundle?.clairConfig).toEqual({ indexer: { connstring: 'host=db port=5432', airgap: true }, log_level: 'debug' });
  });

  it('reports malformed clair-config.yaml under its own name', () => {
    const result = bundleFromFiles('test', files({ 'clair-config.yaml': 'indexer:\n  connstring: x\n airgap: true\n' }));
    expect(result.bundle).toBeUndefined();
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0].path).toBe('clair-config.yaml');
    expect(result.problems[0].message).toMatch(/^invalid YAML at line 3, column \d+: /);
  });

  it('rejects a clair-config.yaml that is a list', () => {
    expect(bundleFromFiles('test', files({ 'clair-config.yaml': '- a\n' }))).toEqual({
      problems: [invalid('clair-config.yaml', 'must be a YAML mapping of config keys, got a list')],
    });
  });
});

describe('hasCertificate and emptyBundle', () => {
  it('needs both ssl.cert and ssl.key, non-empty', () => {
    const bundle = (m: Record<string, string>) => bundleFromFiles('test', files(m)).bundle!;
    expect(hasCertificate(bundle({ 'ssl.cert': 'C', 'ssl.key': 'K' }))).toBe(true);
    expect(hasCertificate(bundle({ 'ssl.cert': 'C' }))).toBe(false);
    expect(hasCertificate(bundle({ 'ssl.cert': 'C', 'ssl.key': '' }))).toBe(false);
  });

  it('emptyBundle has no files and an empty config', () => {
    expect(emptyBundle()).toEqual({ source: '(no config bundle)', files: new Map(), config: {} });
  });
});

describe('bundleFromDirectory', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quay-bundle-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads every regular file of the directory, not subdirectories', () => {
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'SERVER_HOSTNAME: quay.example.com\n');
    fs.writeFileSync(path.join(dir, 'ssl.cert'), 'CERT');
    fs.writeFileSync(path.join(dir, 'clair-config.yaml'), 'log_level: debug\n');
    fs.mkdirSync(path.join(dir, 'nested'));
    fs.writeFileSync(path.join(dir, 'nested', 'ssl.key'), 'KEY');
    const result = bundleFromDirectory(dir);
    expect(result.problems).toEqual([]);
    expect(result.bundle?.source).toBe(dir);
    expect([...(result.bundle?.files.keys() ?? [])]).toEqual(['clair-config.yaml', 'config.yaml', 'ssl.cert']);
    expect(result.bundle?.config).toEqual({ SERVER_HOSTNAME: 'quay.example.com' });
    expect(result.bundle?.clairConfig).toEqual({ log_level: 'debug' });
    expect(result.bundle?.files.get('ssl.cert')?.toString('utf8')).toBe('CERT');
  });

  it('reports malformed YAML in the directory', () => {
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'A: 1\nB: 2\n  C: 3\n');
    expect(bundleFromDirectory(dir)).toEqual({ problems: [invalid('config.yaml', 'invalid YAML at line 3, column 4: bad indentation of a mapping entry')] });
  });

  it('reports a file name that cannot be a Secret key', () => {
    fs.writeFileSync(path.join(dir, 'my cert.crt'), 'x');
    expect(bundleFromDirectory(dir)).toEqual({ problems: [invalid('my cert.crt', 'is not a valid Secret key (letters, digits, -, _ and . only)')] });
  });
});
