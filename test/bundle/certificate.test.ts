// Where the certificate Quay serves comes from (lib/bundle/certificate.ts): the config bundle's
// ssl.cert/ssl.key, or the kubernetes.io/tls Secret spec.tlsSecret names. tls-secret.test.ts checks
// the same through buildModel; these call the functions themselves, so every message is pinned whole.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleCertificate, tlsSecretCertificate } from '../../lib/bundle/certificate';
import { Problem } from '../../lib/problems';
import { testBundle, tlsSecretObject } from '../support/model';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'tls', name), 'utf8');
const CRT = fixture('leaf.crt');
const KEY = fixture('leaf.key');
const invalid = (p: string, message: string): Problem => ({ path: p, message, reason: 'ConfigInvalid' });
const NOT_TLS = (missing: string) => `has no ${missing}: name a kubernetes.io/tls Secret (as cert-manager writes them)`;

describe('bundleCertificate: the pair in the config bundle Secret', () => {
  it('names the bundle Secret and its ssl.cert and ssl.key keys', () => {
    expect(bundleCertificate('config-bundle-secret', testBundle({ 'ssl.cert': CRT, 'ssl.key': KEY }))).toEqual({
      secret: 'config-bundle-secret',
      certKey: 'ssl.cert',
      keyKey: 'ssl.key',
      cert: Buffer.from(CRT),
      key: Buffer.from(KEY),
    });
  });

  it('is undefined without both files, or without a bundle Secret to read them from', () => {
    expect(bundleCertificate('config-bundle-secret', testBundle({ 'ssl.cert': CRT }))).toBeUndefined();
    expect(bundleCertificate('config-bundle-secret', testBundle({ 'ssl.cert': CRT, 'ssl.key': '' }))).toBeUndefined();
    expect(bundleCertificate('config-bundle-secret', testBundle({ 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\n' }))).toBeUndefined();
    expect(bundleCertificate(undefined, testBundle({ 'ssl.cert': CRT, 'ssl.key': KEY }))).toBeUndefined();
    expect(bundleCertificate('', testBundle({ 'ssl.cert': CRT, 'ssl.key': KEY }))).toBeUndefined();
  });
});

describe('tlsSecretCertificate: the pair of a kubernetes.io/tls Secret', () => {
  it('names the Secret and its tls.crt and tls.key keys', () => {
    expect(tlsSecretCertificate('registry-tls', tlsSecretObject('registry-tls', { 'tls.crt': CRT, 'tls.key': KEY, 'ca.crt': fixture('ca.crt') }))).toEqual({
      source: { secret: 'registry-tls', certKey: 'tls.crt', keyKey: 'tls.key', cert: Buffer.from(CRT), key: Buffer.from(KEY) },
      problems: [],
    });
  });

  it.each([
    ['neither key (an Opaque Secret with the bundle names)', { 'ssl.cert': CRT, 'ssl.key': KEY }, 'tls.crt and tls.key'],
    ['no tls.crt', { 'tls.key': KEY }, 'tls.crt'],
    ['no tls.key', { 'tls.crt': CRT }, 'tls.key'],
    ['an empty tls.key', { 'tls.crt': CRT, 'tls.key': '' }, 'tls.key'],
  ])('refuses a Secret with %s, naming spec.tlsSecret, the Secret and what is missing', (_, files, missing) => {
    expect(tlsSecretCertificate('registry-tls', tlsSecretObject('registry-tls', files))).toEqual({
      problems: [invalid('spec.tlsSecret: Secret registry-tls', NOT_TLS(missing))],
    });
  });

  it('reports a Secret it cannot read under spec.tlsSecret, the Secret and the key', () => {
    const secret = { ...tlsSecretObject('registry-tls', { 'tls.key': KEY }), data: { 'tls.crt': '-----BEGIN CERTIFICATE-----', 'tls.key': Buffer.from(KEY).toString('base64') } };
    expect(tlsSecretCertificate('registry-tls', secret)).toEqual({
      problems: [invalid('spec.tlsSecret: Secret registry-tls: data.tls.crt', 'is not base64; put plain text under stringData instead')],
    });
  });
});
