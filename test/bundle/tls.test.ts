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

describe('checkCertificate: validity period', () => {
  // RFC 5280 4.1.2.5: a certificate is valid from notBefore through notAfter, both included.
  const leaf = { cert: fixture('leaf.crt'), key: fixture('leaf.key'), hostnames: [HOST] };
  const future = { cert: fixture('future.crt'), key: fixture('future.key'), hostnames: [HOST] };

  it('accepts a certificate at the second it expires, and refuses it a second later', () => {
    expect(checkCertificate(leaf, new Date('2126-10-28T05:51:41.000Z'))).toEqual([]);
    expect(checkCertificate(leaf, new Date('2126-10-28T05:51:42.000Z'))).toEqual([invalid('ssl.cert', 'expired on 2126-10-28T05:51:41.000Z')]);
  });

  it('refuses a certificate that is not valid yet, naming when it will be, and accepts it from that second', () => {
    expect(checkCertificate(future)).toEqual([invalid('ssl.cert', 'is not valid before 2100-01-01T00:00:00.000Z')]);
    expect(checkCertificate(future, new Date('2099-12-31T23:59:59.000Z'))).toEqual([invalid('ssl.cert', 'is not valid before 2100-01-01T00:00:00.000Z')]);
    expect(checkCertificate(future, new Date('2100-01-01T00:00:00.000Z'))).toEqual([]);
  });
});

describe('checkCertificate: host names as given', () => {
  const ip = { cert: fixture('ip.crt'), key: fixture('ip.key') };
  const notFor = (host: string) => invalid('ssl.cert', `provided certificate pair not valid for host '${host}': the certificate covers 192.0.2.10`);

  it('ignores white space around a host name', () => {
    expect(checkCertificate({ ...ip, hostnames: [' 192.0.2.10 ', '192.0.2.10:8443\n'] })).toEqual([]);
  });

  it('takes a bracketed IPv6 address with or without a :port as the address', () => {
    expect(checkCertificate({ ...ip, hostnames: ['[2001:db8::10]', '[2001:db8::10]:8443'] })).toEqual([notFor('2001:db8::10'), notFor('2001:db8::10')]);
  });

  it('takes brackets only around a whole host name: anything else is checked, and named, as given', () => {
    expect(checkCertificate({ ...ip, hostnames: ['quay[2001:db8::10]', '[2001:db8::10]:8443x'] })).toEqual([
      notFor('quay[2001:db8::10]'),
      notFor('[2001:db8::10]:8443x'),
    ]);
  });
});

describe('checkCertificate: what a certificate without SANs covers', () => {
  // Self-signed with leaf.key, no subjectAltName (see the subjects): made once with
  // openssl req -x509 -key leaf.key -days 36500 -subj "/O=Example CN=Corp/CN=quay.example.com" (and -subj "/O=Example Registry").
  const CN_IN_ORGANIZATION = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBwTCCAWegAwIBAgIUZIUiyCrqlPnChK7cijN/Q+LUUaUwCgYIKoZIzj0EAwIw',
  'NTEYMBYGA1UECgwPRXhhbXBsZSBDTj1Db3JwMRkwFwYDVQQDDBBxdWF5LmV4YW1w',
  'bGUuY29tMCAXDTI2MTIwMTAzNTE0M1oYDzIxMjYxMTA3MDM1MTQzWjA1MRgwFgYD',
  'VQQKDA9FeGFtcGxlIENOPUNvcnAxGTAXBgNVBAMMEHF1YXkuZXhhbXBsZS5jb20w',
  'WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS9GYTdpo5WoDBE1QZf/MH0WgNhntjm',
  'oVFbk2DZktlDHl7YKC9jlbkB6uvq6uIAHtpaMkSYgb6br6yPA3bcy+FXo1MwUTAd',
  'BgNVHQ4EFgQULc29X3Hu6ZMiMSYmjFbIJprdpFUwHwYDVR0jBBgwFoAULc29X3Hu',
  '6ZMiMSYmjFbIJprdpFUwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF',
  'AiEA5Yv1zg/j/9z2NE47hw6S6EFPt7cKV/f5fkOsC6C6NWMCIAIRWuaFCcG8arkk',
  'i6APAPosL3+CSge86iS1TKK/Wss5',
  '-----END CERTIFICATE-----',
].join('\n');
  const NO_CN = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBjDCCATOgAwIBAgIUY8RkNn0ULNkLc4JIXMYUnO9wyz0wCgYIKoZIzj0EAwIw',
  'GzEZMBcGA1UECgwQRXhhbXBsZSBSZWdpc3RyeTAgFw0yNjEyMDEwMzUxNDNaGA8y',
  'MTI2MTEwNzAzNTE0M1owGzEZMBcGA1UECgwQRXhhbXBsZSBSZWdpc3RyeTBZMBMG',
  'ByqGSM49AgEGCCqGSM49AwEHA0IABL0ZhN2mjlagMETVBl/8wfRaA2Ge2OahUVuT',
  'YNmS2UMeXtgoL2OVuQHq6+rq4gAe2loyRJiBvpuvrI8DdtzL4VejUzBRMB0GA1Ud',
  'DgQWBBQtzb1fce7pkyIxJiaMVsgmmt2kVTAfBgNVHSMEGDAWgBQtzb1fce7pkyIx',
  'JiaMVsgmmt2kVTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIGmD',
  'RQOAX3+YlLpsEopDZm16AefB0yphYEOp19vfY7X9AiA4Heznl0am5bUsvexdAQwS',
  'xruAX9GcMjhM08bc/bOyxg==',
  '-----END CERTIFICATE-----',
].join('\n');
  const at = new Date('2030-01-01T00:00:00Z');

  it('names the subject CN, not a CN= inside another attribute', () => {
    expect(checkCertificate({ cert: CN_IN_ORGANIZATION, key: fixture('leaf.key'), hostnames: ['quay.example.com'] }, at)).toEqual([]);
    expect(checkCertificate({ cert: CN_IN_ORGANIZATION, key: fixture('leaf.key'), hostnames: [HOST] }, at)).toEqual([
      invalid('ssl.cert', `provided certificate pair not valid for host '${HOST}': the certificate covers quay.example.com`),
    ]);
  });

  it('says it covers no host names when it has neither SANs nor a CN', () => {
    expect(checkCertificate({ cert: NO_CN, key: fixture('leaf.key'), hostnames: [HOST] }, at)).toEqual([
      invalid('ssl.cert', `provided certificate pair not valid for host '${HOST}': the certificate covers no host names`),
    ]);
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
