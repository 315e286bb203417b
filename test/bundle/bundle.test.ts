import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleFromDirectory, bundleFromFiles, bundleFromSecret, emptyBundle, hasCertificate } from '../../lib/bundle/bundle';
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
