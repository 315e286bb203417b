// The config bundle: every rule of the seeds broken alone and in pairs, bad certificates (garbage,
// expired, not yet valid, mismatched, for another host, CA-less, encrypted, swapped), and bundle
// Secrets that are missing, empty, malformed or too big.
import { generateKeyPairSync } from 'node:crypto';
import { BASE_CONFIG, BOTH, BUNDLE, CLI, CorpusCase, Expect, HOST, Obj, accepted, refused, refusedFor, registry, secret, tls, withBundle } from './case';

interface Rule {
  readonly id: string;
  readonly components?: readonly Obj[];
  /** Merged over BASE_CONFIG; `undefined` removes a key. */
  readonly config?: Obj;
  readonly files?: Readonly<Record<string, string>>;
  readonly spec?: Obj;
  /** What the refusal says (each must appear). */
  readonly names: readonly string[];
  /**
   * When it is checked: 1 the registry alone (parse), 2 its components together, 3 (default) with
   * the bundle. Problems of the earliest stage are reported, instead of the later ones.
   */
  readonly stage?: 1 | 2 | 3;
  /** Rules whose breaking satisfies this one (they cannot be broken together). */
  readonly undone?: readonly string[];
}

const unmanaged = (kind: string) => ({ kind, managed: false });
const managed = (kind: string, overrides?: Obj) => ({ kind, managed: true, ...(overrides ? { overrides } : {}) });
const UNMANAGED_FIELDS = 'marked as unmanaged, but `configBundleSecret` is missing necessary fields';

const RULES: Rule[] = [
  { id: 'postgres-unmanaged-without-DB_URI', components: [unmanaged('postgres')], names: [`\`postgres\` ${UNMANAGED_FIELDS}`], undone: ['postgres-managed-with-DB_URI'] },
  { id: 'redis-unmanaged-without-redis', components: [unmanaged('redis')], names: [`\`redis\` ${UNMANAGED_FIELDS}`] },
  { id: 'objectstorage-unmanaged-without-storage', components: [unmanaged('objectstorage')], names: [`\`objectstorage\` ${UNMANAGED_FIELDS}`], undone: ['objectstorage-managed-with-storage'] },
  { id: 'route-unmanaged-without-SERVER_HOSTNAME', components: [unmanaged('route'), unmanaged('tls')], config: { SERVER_HOSTNAME: undefined, EXTERNAL_TLS_TERMINATION: true }, names: [`\`route\` ${UNMANAGED_FIELDS}`] },
  { id: 'tls-unmanaged-without-certificate', components: [unmanaged('tls')], names: [`\`tls\` ${UNMANAGED_FIELDS}`], undone: ['certificate-key-mismatch', 'certificate-for-another-host', 'route-unmanaged-without-SERVER_HOSTNAME'] },
  { id: 'postgres-managed-with-DB_URI', config: { DB_URI: 'postgresql://quay:pw@db.example.com/quay' }, names: ['postgres component marked as managed', 'DB_URI'] },
  { id: 'clair-managed-with-scanner-fields', config: { SECURITY_SCANNER_INDEXING_INTERVAL: 30 }, names: ['clair component marked as managed', 'SECURITY_SCANNER_INDEXING_INTERVAL'] },
  { id: 'objectstorage-managed-with-storage', config: { DISTRIBUTED_STORAGE_CONFIG: { s3: ['S3Storage', {}] } }, names: ['objectstorage component marked as managed', 'DISTRIBUTED_STORAGE_CONFIG'] },
  { id: 'tls-managed-with-certificate', components: [managed('tls')], files: { 'ssl.cert': tls('leaf.crt'), 'ssl.key': tls('leaf.key') }, names: ['tls component marked as managed', 'ssl.cert'] },
  { id: 'clairpostgres-managed-with-connstring', files: { 'clair-config.yaml': 'indexer: {connstring: "host=db user=clair"}\n' }, names: ['clairpostgres component marked as managed', 'clair-config.yaml'] },
  { id: 'tls-managed-route-unmanaged', components: [unmanaged('route'), managed('tls')], names: ['if TLS is managed, then route must also be managed'] },
  { id: 'clairpostgres-unmanaged-without-config', components: [unmanaged('clairpostgres')], names: ['clairpostgres component unmanaged but no clair postgres config provided'], undone: ['clairpostgres-managed-with-connstring'] },
  { id: 'initial-user-with-feature-off', spec: { initialUser: { secretName: 'quay-admin' } }, config: { FEATURE_USER_INITIALIZE: false }, names: ['spec.initialUser', 'FEATURE_USER_INITIALIZE'] },
  { id: 'certificate-key-mismatch', components: [unmanaged('tls')], files: { 'ssl.cert': tls('leaf.crt'), 'ssl.key': tls('other.key') }, names: ['ssl.key', 'does not match the certificate'] },
  { id: 'certificate-for-another-host', components: [unmanaged('tls')], files: { 'ssl.cert': tls('ip.crt'), 'ssl.key': tls('ip.key') }, names: ['ssl.cert', `not valid for host '${HOST}'`] },
  { id: 'server-hostname-not-a-host', config: { SERVER_HOSTNAME: 'https://quay.example.com/' }, names: ['SERVER_HOSTNAME', 'is not a host name'] },
  { id: 'quay-unmanaged', components: [unmanaged('quay')], names: ['`quay` cannot be unmanaged'], stage: 1 },
  { id: 'overrides-on-unmanaged', components: [{ kind: 'mirror', managed: false, overrides: { env: [] } }], names: ['cannot set overrides on unmanaged component'], stage: 1 },
  { id: 'replicas-with-managed-hpa', components: [managed('clair', { replicas: 3 })], names: ['cannot override replicas with managed HPA'], stage: 2 },
];

function configOf(rules: readonly Rule[]): Obj {
  const config: Obj = { ...BASE_CONFIG };
  for (const r of rules) for (const [k, v] of Object.entries(r.config ?? {})) v === undefined ? delete config[k] : (config[k] = v);
  return config;
}

/** Two rules that cannot be broken together (one component both ways, or one undoing the other). */
function clash(a: Rule, b: Rule): boolean {
  const kinds = (r: Rule) => new Map((r.components ?? []).map((c) => [c.kind as string, c.managed as boolean]));
  const ka = kinds(a);
  for (const [kind, m] of kinds(b)) if (ka.has(kind) && ka.get(kind) !== m) return true;
  const keys = (r: Rule) => new Set([...Object.keys(r.config ?? {}), ...Object.keys(r.files ?? {})]);
  const kb = keys(b);
  if ([...keys(a)].some((k) => kb.has(k))) return true;
  if (a.undone?.includes(b.id) || b.undone?.includes(a.id)) return true;
  // Without a valid SERVER_HOSTNAME there is no host for a certificate to be wrong for.
  const touchesHost = (r: Rule) => 'SERVER_HOSTNAME' in (r.config ?? {});
  const needsHost = (r: Rule) => r.id === 'certificate-for-another-host';
  return (touchesHost(a) && needsHost(b)) || (touchesHost(b) && needsHost(a));
}

function broken(rules: readonly Rule[]): CorpusCase {
  const components = rules.flatMap((r) => r.components ?? []).filter((c, i, all) => all.findIndex((d) => d.kind === c.kind) === i);
  const spec = Object.assign({}, ...rules.map((r) => r.spec ?? {}), components.length > 0 ? { components } : {});
  const files = Object.assign({}, ...rules.map((r) => r.files ?? {}));
  // The registry's own problems come first: its bundle is checked once the registry is valid.
  const first = Math.min(...rules.map((r) => r.stage ?? 3));
  const reported = rules.filter((r) => (r.stage ?? 3) === first);
  const ids = rules.map((r) => r.id);
  return {
    id: `rules/${ids.join('+')}`,
    title: rules.length === 1 ? `the rule broken alone: ${ids[0]}` : `two rules broken at once: ${ids.join(' and ')}`,
    objects: withBundle(spec, configOf(rules), files),
    expect: refused(...new Set(reported.flatMap((r) => r.names))),
    targets: BOTH,
    always: rules.length === 1 && rules[0].id === 'postgres-unmanaged-without-DB_URI',
  };
}

const ruleCases: CorpusCase[] = [
  ...RULES.map((r) => broken([r])),
  ...RULES.flatMap((a, i) => RULES.slice(i + 1).filter((b) => !clash(a, b)).map((b) => broken([a, b]))),
  // The same rules kept: each is satisfied by its fields (controls: the base config is valid).
  { id: 'rules/all-unmanaged-configured', title: 'every component that can be unmanaged, unmanaged and configured', objects: allUnmanaged(), expect: accepted, targets: BOTH, always: true },
  { id: 'rules/base', title: 'the base registry of these cases (SERVER_HOSTNAME only)', objects: withBundle({}, BASE_CONFIG), expect: accepted, targets: BOTH },
  { id: 'rules/platform-kubernetes-objectstorage-managed', title: '--platform kubernetes with objectstorage managed', objects: withBundle({ components: [managed('objectstorage')] }, BASE_CONFIG), args: ['--platform', 'kubernetes'], expect: refusedFor('ComponentUnsupported', 'spec.components[0]', 'ObjectBucketClaim'), targets: CLI },
];

function allUnmanaged(): Obj[] {
  const kinds = ['postgres', 'clair', 'redis', 'horizontalpodautoscaler', 'objectstorage', 'route', 'mirror', 'monitoring', 'tls', 'clairpostgres'];
  return withBundle(
    { components: kinds.map(unmanaged) },
    { ...BASE_CONFIG, DB_URI: 'postgresql://quay:pw@db.example.com/quay', BUILDLOGS_REDIS: { host: 'redis.example.com' }, USER_EVENTS_REDIS: { host: 'redis.example.com' }, DISTRIBUTED_STORAGE_CONFIG: { default: ['LocalStorage', { storage_path: '/datastorage' }] } },
    { 'ssl.cert': tls('leaf.crt'), 'ssl.key': tls('leaf.key') },
  );
}

/** tls unmanaged, Quay serving the pair; SERVER_HOSTNAME from `config`. */
function cert(id: string, title: string, files: Readonly<Record<string, string | Buffer>>, expect: Expect, config: Obj = BASE_CONFIG, always = false): CorpusCase {
  return { id: `certs/${id}`, title, objects: withBundle({ components: [unmanaged('tls')] }, config, files), expect, targets: BOTH, always };
}

const pair = (c: string, k: string) => ({ 'ssl.cert': tls(c), 'ssl.key': tls(k) });
const rsaKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const der = () => Buffer.from(tls('leaf.crt').replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');

const certCases: CorpusCase[] = [
  cert('chain', 'a valid leaf with its CA after it', pair('leaf-chain.crt', 'leaf.key'), accepted),
  cert('self-signed', 'a self-signed (CA-less) certificate for the host: served as it is', pair('self-signed.crt', 'self-signed.key'), accepted),
  cert('leaf-without-ca', 'a leaf whose CA is in neither the chain nor extra_ca_cert_* (CA-less chain): served as it is', pair('leaf.crt', 'leaf.key'), accepted),
  cert('ca-only', 'ssl.cert holds only the CA certificate (no leaf)', pair('ca.crt', 'ca.key'), refused('ssl.cert', `not valid for host '${HOST}'`, 'Example Test CA')),
  cert('chain-reversed', 'the chain with the CA first', { 'ssl.cert': tls('ca.crt') + tls('leaf.crt'), 'ssl.key': tls('leaf.key') }, refused('ssl.key', 'does not match')),
  cert('garbage-cert', 'ssl.cert is not PEM', { 'ssl.cert': 'not a certificate', 'ssl.key': tls('leaf.key') }, refused('ssl.cert', 'is not a valid PEM certificate'), BASE_CONFIG, true),
  cert('garbage-key', 'ssl.key is not PEM', { 'ssl.cert': tls('leaf.crt'), 'ssl.key': 'not a key' }, refused('ssl.key', 'is not a valid PEM private key')),
  cert('truncated-cert', 'ssl.cert cut in half', { 'ssl.cert': tls('leaf.crt').slice(0, 300), 'ssl.key': tls('leaf.key') }, refused('ssl.cert', 'is not a valid PEM certificate')),
  cert('der-cert', 'ssl.cert in DER (binary), not PEM', { 'ssl.cert': der(), 'ssl.key': tls('leaf.key') }, refused('ssl.cert', 'is not a valid PEM certificate')),
  cert('cert-only', 'ssl.cert without ssl.key', { 'ssl.cert': tls('leaf.crt') }, refused('ssl.key', 'is missing')),
  cert('key-only', 'ssl.key without ssl.cert', { 'ssl.key': tls('leaf.key') }, refused('ssl.cert', 'is missing')),
  cert('empty-cert', 'an empty ssl.cert beside ssl.key', { 'ssl.cert': '', 'ssl.key': tls('leaf.key') }, refused('ssl.cert', 'is missing')),
  cert('mismatched', 'a key of another pair', pair('leaf.crt', 'other.key'), refused('ssl.key', 'does not match the certificate in ssl.cert'), BASE_CONFIG, true),
  cert('mismatched-rsa', 'an RSA key for an EC certificate', { 'ssl.cert': tls('leaf.crt'), 'ssl.key': rsaKey() }, refused('ssl.key', 'does not match')),
  cert('expired', 'expired in 2001', pair('expired.crt', 'expired.key'), refused('ssl.cert', 'expired on 2001-01-01'), { SERVER_HOSTNAME: 'expired.apps.example.com' }, true),
  cert('not-yet-valid', 'valid from 2100 only', pair('future.crt', 'future.key'), refused('ssl.cert', 'is not valid before 2100-01-01')),
  cert('other-host', 'a wildcard for *.apps.example.com serving quay.example.org', pair('wildcard.crt', 'wildcard.key'), refused('ssl.cert', "not valid for host 'quay.example.org'"), { SERVER_HOSTNAME: 'quay.example.org' }),
  cert('wildcard-two-levels', 'a wildcard does not cover two labels', pair('wildcard.crt', 'wildcard.key'), refused('ssl.cert', "not valid for host 'a.b.apps.example.com'"), { SERVER_HOSTNAME: 'a.b.apps.example.com' }),
  cert('wildcard-with-port', 'a wildcard covering the host (its port ignored)', pair('wildcard.crt', 'wildcard.key'), accepted, { SERVER_HOSTNAME: 'quay.apps.example.com:8443' }),
  cert('ip-for-hostname', 'an IP certificate for a host name', pair('ip.crt', 'ip.key'), refused('ssl.cert', `not valid for host '${HOST}'`)),
  cert('ip-for-ip', 'an IP certificate for its IP', pair('ip.crt', 'ip.key'), accepted, { SERVER_HOSTNAME: '192.0.2.10' }),
  cert('builder-not-covered', 'BUILDMAN_HOSTNAME not covered', pair('leaf.crt', 'leaf.key'), refused('ssl.cert', "not valid for host 'builder.example.org'"), { ...BASE_CONFIG, BUILDMAN_HOSTNAME: 'builder.example.org:443' }),
  cert('encrypted-key', 'a passphrase-protected key (the pods cannot read it)', pair('leaf.crt', 'encrypted.key'), refused('ssl.key', 'is not a valid PEM private key')),
  cert('swapped', 'the key in ssl.cert and the certificate in ssl.key', pair('leaf.key', 'leaf.crt'), refused('ssl.cert', 'ssl.key')),
  cert('key-in-cert', 'ssl.cert holds a private key', pair('other.key', 'leaf.key'), refused('ssl.cert', 'is not a valid PEM certificate')),
  cert('latin1-cert', 'a Latin-1 byte inside the PEM', { 'ssl.cert': Buffer.concat([Buffer.from(tls('leaf.crt').slice(0, 100)), Buffer.from([0xe9]), Buffer.from(tls('leaf.crt').slice(100))]), 'ssl.key': tls('leaf.key') }, refused('ssl.cert', 'is not a valid PEM certificate')),
];

/** spec.tlsSecret: a kubernetes.io/tls Secret instead of the bundle's pair. */
function tlsSecret(id: string, title: string, files: Readonly<Record<string, string>> | undefined, expect: Expect, bundleFiles: Readonly<Record<string, string>> = {}, components: Obj[] = [unmanaged('tls')]): CorpusCase {
  const objects = [...withBundle({ tlsSecret: 'registry-tls', components }, BASE_CONFIG, bundleFiles), ...(files ? [secret('registry-tls', files)] : [])];
  return { id: `certs/tls-secret-${id}`, title: `spec.tlsSecret: ${title}`, objects, expect, targets: BOTH };
}
const tlsPair = (c: string, k: string) => ({ 'tls.crt': tls(c), 'tls.key': tls(k) });

const tlsSecretCases: CorpusCase[] = [
  tlsSecret('good', 'a valid pair (control)', tlsPair('leaf.crt', 'leaf.key'), accepted),
  tlsSecret('missing', 'the Secret does not exist', undefined, refused('spec.tlsSecret', 'not found')),
  tlsSecret('no-key', 'no tls.key', { 'tls.crt': tls('leaf.crt') }, refused('spec.tlsSecret', 'tls.key')),
  tlsSecret('empty', 'no data at all', {}, refused('spec.tlsSecret', 'tls.crt and tls.key')),
  tlsSecret('garbage', 'tls.crt is not PEM', { 'tls.crt': 'garbage', 'tls.key': tls('leaf.key') }, refused('spec.tlsSecret', 'tls.crt', 'not a valid PEM certificate')),
  tlsSecret('expired', 'expired', tlsPair('expired.crt', 'expired.key'), refused('spec.tlsSecret', 'expired')),
  tlsSecret('mismatched', 'a key of another pair', tlsPair('leaf.crt', 'other.key'), refused('spec.tlsSecret', 'tls.key', 'does not match the certificate in tls.crt')),
  tlsSecret('and-bundle-pair', 'the bundle has ssl.cert/ssl.key too', tlsPair('leaf.crt', 'leaf.key'), refused('spec.tlsSecret', 'take the certificate from one place'), pair('leaf.crt', 'leaf.key')),
  tlsSecret('tls-managed', 'with tls managed', tlsPair('leaf.crt', 'leaf.key'), refused('spec.tlsSecret', 'the tls component is managed'), {}, [managed('tls')]),
];

const SECRET = 'Secret quay-enterprise/config-bundle-secret';
const bundleSecretCases: CorpusCase[] = [
  { id: 'bundle/missing', title: 'the bundle Secret is not there', objects: [registry({ configBundleSecret: BUNDLE })], expect: refused('spec.configBundleSecret', 'not found'), targets: BOTH, always: true },
  { id: 'bundle/other-namespace', title: 'the bundle Secret is in another namespace', objects: [registry({ configBundleSecret: BUNDLE }), { ...secret(BUNDLE, { 'config.yaml': '' }), metadata: { name: BUNDLE, namespace: 'elsewhere' } }], expect: refused('spec.configBundleSecret', 'not found'), targets: CLI },
  { id: 'bundle/empty-secret', title: 'a bundle Secret without data (allowed: every component managed)', objects: [registry({ configBundleSecret: BUNDLE }), secret(BUNDLE, {})], expect: accepted, targets: BOTH },
  { id: 'bundle/empty-secret-unmanaged-postgres', title: 'a bundle Secret without data, postgres unmanaged', objects: [registry({ configBundleSecret: BUNDLE, components: [unmanaged('postgres')] }), secret(BUNDLE, {})], expect: refused(`\`postgres\` ${UNMANAGED_FIELDS}`), targets: BOTH },
  { id: 'bundle/data-not-base64', title: 'data that is not base64', objects: [registry({ configBundleSecret: BUNDLE }), { ...secret(BUNDLE, {}), data: { 'config.yaml': 'SERVER_HOSTNAME: x' } }], expect: refused(SECRET, 'data.config.yaml', 'not base64'), targets: CLI },
  { id: 'bundle/data-number', title: 'a data value that is a number', objects: [registry({ configBundleSecret: BUNDLE }), { ...secret(BUNDLE, {}), data: { 'config.yaml': 5 } }], expect: refused('data.config.yaml'), targets: CLI },
  { id: 'bundle/stringdata-map', title: 'a stringData value that is a mapping', objects: [registry({ configBundleSecret: BUNDLE }), { ...secret(BUNDLE, {}), stringData: { 'config.yaml': { SERVER_HOSTNAME: HOST } } }], expect: refused('stringData.config.yaml', 'must be a string'), targets: CLI },
  { id: 'bundle/data-list', title: 'data that is a list', objects: [registry({ configBundleSecret: BUNDLE }), { ...secret(BUNDLE, {}), data: ['config.yaml'] }], expect: refused(SECRET, 'data and stringData must be mappings'), targets: CLI },
  { id: 'bundle/bad-key', title: 'a file name that is no Secret key', objects: [registry({ configBundleSecret: BUNDLE }), secret(BUNDLE, { 'config yaml': 'x' })], expect: refused('config yaml', 'not a valid Secret key'), targets: CLI },
  { id: 'bundle/stringdata-wins', title: 'data and stringData both (stringData wins, as in the API server)', objects: [registry({ configBundleSecret: BUNDLE }), { ...secret(BUNDLE, { 'config.yaml': 'DB_URI: x\n' }), stringData: { 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n` } }], expect: accepted, targets: CLI },
  { id: 'bundle/2MiB', title: 'a 2 MiB config.yaml: more than a Secret may hold', objects: withBundle({}, `SERVER_HOSTNAME: ${HOST}\nBIG: ${'x'.repeat(2 * 1024 * 1024)}\n`), expect: refused('config.yaml', 'Kubernetes limits a Secret to 1 MiB'), targets: CLI, always: true },
  { id: 'bundle/over-1MiB-in-two-files', title: 'two files adding up to just over 1 MiB', objects: withBundle({}, `SERVER_HOSTNAME: ${HOST}\nPAD: ${'x'.repeat(600 * 1024)}\n`, { 'extra_ca_cert_big.crt': 'y'.repeat(450 * 1024) }), expect: refused('config.yaml', '1 MiB'), targets: CLI },
  { id: 'bundle/1MiB-less-1KiB', title: 'a bundle of 1 MiB less 1 KiB (allowed)', objects: withBundle({}, `SERVER_HOSTNAME: ${HOST}\nPAD: ${'x'.repeat(1023 * 1024 - 100)}\n`), expect: accepted, targets: BOTH },
  { id: 'bundle/dir-2MiB', title: '--bundle DIR with a 2 MiB file', objects: [registry({ configBundleSecret: BUNDLE })], bundleDir: { 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n`, 'extra_ca_cert_huge.crt': 'z'.repeat(2 * 1024 * 1024) }, expect: refused('extra_ca_cert_huge.crt', '1 MiB'), targets: CLI },
  { id: 'bundle/option-without-spec', title: '--bundle given but the registry names no bundle Secret', objects: [registry()], bundleDir: { 'config.yaml': `SERVER_HOSTNAME: ${HOST}\n` }, expect: refused('spec.configBundleSecret', 'not set'), targets: CLI },
];

export const bundleFamily: CorpusCase[] = [...ruleCases, ...certCases, ...tlsSecretCases, ...bundleSecretCases];
