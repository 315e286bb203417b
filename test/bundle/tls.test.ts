import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigBundle } from '../../lib/bundle/bundle';
import { checkBundleCertificate, checkCertificate } from '../../lib/bundle/tls';

// Fixtures are made once with openssl (see test/fixtures/tls/README.md); the tests never run it.
const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'tls', name), 'utf8');

const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
const BUILDER_HOST = 'example-registry-quay-builder-quay-enterprise.apps.example.com';
const LEAF_COVERS = `${HOST}, ${BUILDER_HOST}`;

const invalid = (p: string, message: string | RegExp) => ({
  path: p,
  reason: 'ConfigInvalid',
  message: typeof message === 'string' ? message : expect.stringMatching(message),
});

function bundleWith(files: Record<string, string>): ConfigBundle {
  return {
    source: 'test',
    files: new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v, 'utf8')])),
    config: {},
  };
}

describe('checkCertificate', () => {
  it('accepts a matching pair covering both hosts, ignoring a :port and empty host names', () => {
    expect(checkCertificate({ cert: fixture('leaf.crt'), key: fixture('leaf.key'), hostnames: [`${HOST}:443`, BUILDER_HOST, ''] })).toEqual([]);
  });

  it('checks the leaf of a chain', () => {
    expect(checkCertificate({ cert: fixture('leaf-chain.crt'), key: fixture('leaf.key'), hostnames: [HOST] })).toEqual([]);
  });

  it('rejects a certificate that is not PEM', () => {
    expect(checkCertificate({ cert: 'not a certificate', key: fixture('leaf.key'), hostnames: [HOST] })).toEqual([
      invalid('ssl.cert', /^is not a valid PEM certificate: error:[0-9A-F]+:PEM routines::no start line$/),
    ]);
  });

  it('rejects a private key that does not parse, without echoing the key', () => {
    const key = fixture('leaf.key');
    const broken = key.replace(/\n[A-Za-z0-9+/=]+\n/, '\nAAAA\n'); // keep the PEM armour, corrupt the body
    const problems = checkCertificate({ cert: fixture('leaf.crt'), key: broken, hostnames: [HOST] });
    expect(problems).toEqual([invalid('ssl.key', /^is not a valid PEM private key: error:[0-9A-F]+:.+$/)]);
    expect(problems[0].message).not.toMatch(/BEGIN|AAAA/);
  });

  it('rejects a key that does not belong to the certificate', () => {
    expect(checkCertificate({ cert: fixture('leaf.crt'), key: fixture('other.key'), hostnames: [HOST] })).toEqual([
      invalid('ssl.key', 'does not match the certificate in ssl.cert'),
    ]);
  });

  it('rejects a host the certificate does not cover and says what it covers', () => {
    expect(
      checkCertificate({ cert: fixture('leaf.crt'), key: fixture('leaf.key'), hostnames: [HOST, 'registry.other.com:8443'] }),
    ).toEqual([invalid('ssl.cert', `provided certificate pair not valid for host 'registry.other.com': the certificate covers ${LEAF_COVERS}`)]);
  });

  it('names the subject CN when the certificate has no SANs', () => {
    expect(checkCertificate({ cert: fixture('ca.crt'), key: fixture('ca.key'), hostnames: [HOST] })).toEqual([
      invalid('ssl.cert', `provided certificate pair not valid for host '${HOST}': the certificate covers Example Test CA`),
    ]);
  });

  it('matches a wildcard one label deep only', () => {
    const pair = { cert: fixture('wildcard.crt'), key: fixture('wildcard.key') };
    expect(checkCertificate({ ...pair, hostnames: [HOST, `${BUILDER_HOST}:443`] })).toEqual([]);
    expect(checkCertificate({ ...pair, hostnames: ['a.b.apps.example.com'] })).toEqual([
      invalid('ssl.cert', `provided certificate pair not valid for host 'a.b.apps.example.com': the certificate covers *.apps.example.com`),
    ]);
  });

  it('matches IP addresses against IP SANs, and does not crash on bracketed IPv6', () => {
    const pair = { cert: fixture('ip.crt'), key: fixture('ip.key') };
    expect(checkCertificate({ ...pair, hostnames: ['192.0.2.10', '192.0.2.10:8443'] })).toEqual([]);
    expect(checkCertificate({ ...pair, hostnames: ['192.0.2.11', '[::1]:443'] })).toEqual([
      invalid('ssl.cert', `provided certificate pair not valid for host '192.0.2.11': the certificate covers 192.0.2.10`),
      invalid('ssl.cert', `provided certificate pair not valid for host '::1': the certificate covers 192.0.2.10`),
    ]);
  });

  it('rejects an expired certificate', () => {
    expect(checkCertificate({ cert: fixture('expired.crt'), key: fixture('expired.key'), hostnames: ['expired.apps.example.com'] })).toEqual([
      invalid('ssl.cert', 'expired on 2001-01-01T00:00:00.000Z'),
    ]);
  });

  it('measures expiry against the given time', () => {
    const input = { cert: fixture('leaf.crt'), key: fixture('leaf.key'), hostnames: [HOST] };
    expect(checkCertificate(input, new Date('2126-10-28T05:51:40Z'))).toEqual([]);
    expect(checkCertificate(input, new Date('2200-01-01T00:00:00Z'))).toEqual([invalid('ssl.cert', 'expired on 2126-10-28T05:51:41.000Z')]);
  });
});

describe('checkBundleCertificate', () => {
  it('does nothing when the bundle brings no certificate', () => {
    expect(checkBundleCertificate(bundleWith({ 'config.yaml': 'SERVER_HOSTNAME: x\n' }), [HOST])).toEqual([]);
  });

  it('names the missing half of the pair', () => {
    expect(checkBundleCertificate(bundleWith({ 'ssl.cert': fixture('leaf.crt') }), [HOST])).toEqual([
      invalid('ssl.key', 'is missing; it is required when ssl.cert is given'),
    ]);
    expect(checkBundleCertificate(bundleWith({ 'ssl.key': fixture('leaf.key'), 'ssl.cert': '' }), [HOST])).toEqual([
      invalid('ssl.cert', 'is missing; it is required when ssl.key is given'),
    ]);
  });

  it('checks the pair in the bundle', () => {
    const files = { 'ssl.cert': fixture('leaf.crt'), 'ssl.key': fixture('leaf.key') };
    expect(checkBundleCertificate(bundleWith(files), [HOST, BUILDER_HOST])).toEqual([]);
    expect(checkBundleCertificate(bundleWith({ ...files, 'ssl.key': fixture('other.key') }), [HOST])).toEqual([
      invalid('ssl.key', 'does not match the certificate in ssl.cert'),
    ]);
    expect(checkBundleCertificate(bundleWith(files), [HOST], new Date('2200-01-01T00:00:00Z'))).toEqual([
      invalid('ssl.cert', 'expired on 2126-10-28T05:51:41.000Z'),
    ]);
  });
});
