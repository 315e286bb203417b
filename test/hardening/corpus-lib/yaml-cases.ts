// Malformed and hostile YAML: as the CLI's -f files (bytes; the API server takes only JSON, so these
// reach the controller only inside a config bundle) and as a bundle's config.yaml or
// clair-config.yaml, which both the CLI and the controller parse.
import { BASE_CONFIG, BOTH, BUNDLE, CLI, CorpusCase, Expect, HOST, Obj, accepted, pseudoRandomBytes, refused, withBundle } from './case';

const REGISTRY = 'apiVersion: quay.redhat.com/v1\nkind: QuayRegistry\nmetadata:\n  name: example-registry\n  namespace: quay-enterprise\n';
const BUNDLE_DOC = `---\napiVersion: v1\nkind: Secret\nmetadata: {name: ${BUNDLE}, namespace: quay-enterprise}\nstringData:\n  config.yaml: "SERVER_HOSTNAME: ${HOST}"\n`;

/** Nine anchors, each a list of nine aliases of the previous one: 9^9 (387 million) values expanded. */
export function aliasBomb(indent = ''): string {
  const lines = [`${indent}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]`];
  for (let i = 1; i <= 8; i++) lines.push(`${indent}a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return lines.join('\n') + '\n';
}

/** `levels` nested flow sequences. */
const deepFlow = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
/** `levels` nested block mappings. */
const deepBlock = (levels: number, indent = 0) => Array.from({ length: levels }, (_, i) => `${' '.repeat(indent + 2 * i)}k${i}:`).join('\n') + ' leaf\n';

function raw(id: string, title: string, text: string | Buffer, expect: Expect, extra: Partial<CorpusCase> = {}): CorpusCase {
  return { id: `yaml/${id}`, title, raw: Buffer.isBuffer(text) ? text : Buffer.from(text), expect, targets: CLI, ...extra };
}

const INVALID = 'invalid YAML';

const rawCases: CorpusCase[] = [
  raw('alias-bomb-in-affinity', 'an alias bomb expanded into an override rendered into every pod', `x:\n${aliasBomb('  ')}${REGISTRY}spec:\n  components:\n    - kind: quay\n      managed: true\n      overrides:\n        affinity: {nodeAffinity: *a8}\n`, refused(INVALID, 'alias bomb'), { always: true, spawn: true }),
  raw('alias-bomb-unused', 'an alias bomb in a field nothing reads', `${REGISTRY}bomb:\n${aliasBomb('  ')}`, refused(INVALID, 'alias bomb')),
  raw('alias-bomb-secret', 'an alias bomb in a Secret of the stream', `${REGISTRY}---\napiVersion: v1\nkind: Secret\nmetadata: {name: x}\nextra:\n${aliasBomb('  ')}`, refused(INVALID, 'alias bomb')),
  raw('aliases-reused', 'one anchor reused by three components (legitimate aliasing)', `${REGISTRY}spec:\n  components:\n    - kind: quay\n      managed: true\n      overrides:\n        tolerations: &t [{key: infra, operator: Exists, effect: NoSchedule}]\n    - kind: clair\n      managed: true\n      overrides: {tolerations: *t}\n    - kind: mirror\n      managed: true\n      overrides: {tolerations: *t}\n`, accepted),
  raw('deep-flow-20000', '20,000 nested flow sequences', `${REGISTRY}spec:\n  x: ${deepFlow(20000)}\n`, refused(INVALID, 'nested deeper than 100 levels'), { always: true, spawn: true }),
  raw('deep-block-3000', '3,000 nested block mappings', `${REGISTRY}spec:\n${deepBlock(3000, 2)}`, refused(INVALID, 'nested deeper than 100 levels')),
  raw('deep-flow-mappings', '5,000 nested flow mappings', `${REGISTRY}spec: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`, refused(INVALID, 'nested deeper')),
  raw('deep-by-aliases', 'anchors of 60 levels nested into each other by aliases', `${REGISTRY}x:\n  a: &a ${deepFlow(60)}\n  b: &b ${'['.repeat(60)}*a${']'.repeat(60)}\n  c: &c ${'['.repeat(60)}*b${']'.repeat(60)}\n`, refused(INVALID, 'deeper than 100 levels')),
  raw('duplicate-key-spec', 'configBundleSecret twice in spec', `${REGISTRY}spec:\n  configBundleSecret: a\n  configBundleSecret: b\n`, refused(INVALID, 'duplicated mapping key', 'line 8')),
  raw('duplicate-key-root', 'kind twice', `${REGISTRY}kind: Secret\n`, refused(INVALID, 'duplicated mapping key')),
  raw('duplicate-key-flow', 'a duplicate key in a flow mapping', `${REGISTRY}spec: {configBundleSecret: a, configBundleSecret: a}\n`, refused(INVALID, 'duplicated mapping key')),
  raw('duplicate-key-metadata', 'metadata.name twice', `apiVersion: quay.redhat.com/v1\nkind: QuayRegistry\nmetadata:\n  name: a\n  name: b\n`, refused(INVALID, 'duplicated mapping key')),
  raw('tab-indentation', 'a tab indents spec', `${REGISTRY}spec:\n\tconfigBundleSecret: a\n`, refused(INVALID, 'tab characters must not be used in indentation'), { always: true }),
  raw('tab-in-list', 'a tab indents a list item', `${REGISTRY}spec:\n  components:\n\t- {kind: clair, managed: false}\n`, refused(INVALID, 'tab')),
  raw('tab-after-colon', 'a tab separating a key from its value (allowed)', `${REGISTRY.replace('namespace: quay-enterprise', 'namespace:\tquay-enterprise')}`, accepted),
  raw('bom', 'a UTF-8 byte order mark (allowed)', `\uFEFF${REGISTRY}`, accepted, { always: true }),
  raw('bom-second-document', 'a byte order mark starting the second document (allowed by YAML 1.2)', `${REGISTRY}---\n\uFEFF${BUNDLE_DOC.slice(4)}`, accepted),
  raw('utf16le', 'the registry in UTF-16 (with its byte order mark)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(REGISTRY, 'utf16le')]), refused('not UTF-8 text (line 1)')),
  raw('binary-random', '4 KiB of random bytes', pseudoRandomBytes(4096), refused('not UTF-8 text')),
  raw('binary-nul', 'NUL bytes only', Buffer.alloc(64), refused(INVALID, 'null byte is not allowed')),
  raw('binary-control', 'control characters (valid UTF-8)', Buffer.from([0x01, 0x02, 0x1b, 0x7f, 0x0a]), refused(INVALID)),
  raw('gzip', 'a gzipped file', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0]), refused('not UTF-8 text')),
  raw('latin1-in-comment', 'a Latin-1 byte in a comment', Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(`\n${REGISTRY}`)]), refused('not UTF-8 text (line 1)')),
  raw('latin1-in-value', 'a Latin-1 byte in a name', Buffer.concat([Buffer.from(REGISTRY), Buffer.from('spec:\n  configBundleSecret: caf'), Buffer.from([0xe9]), Buffer.from('\n')]), refused('not UTF-8 text (line 7)'), { always: true }),
  raw('overlong-utf8', 'an overlong UTF-8 encoding of "/"', Buffer.concat([Buffer.from(REGISTRY), Buffer.from('# '), Buffer.from([0xc0, 0xaf]), Buffer.from('\n')]), refused('not UTF-8 text (line 6)')),
  raw('utf8-surrogate', 'an encoded UTF-16 surrogate', Buffer.concat([Buffer.from(REGISTRY), Buffer.from('# '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n')]), refused('not UTF-8 text')),
  raw('truncated-utf8', 'a multi-byte character cut at the end of the file', Buffer.concat([Buffer.from(REGISTRY), Buffer.from('# '), Buffer.from([0xe2, 0x82])]), refused('not UTF-8 text (line 6)')),
  raw('js-function-tag', 'a !!js/function tag', `${REGISTRY}spec:\n  configBundleSecret: !!js/function "function () { return 1 }"\n`, refused(INVALID, 'unknown tag')),
  raw('js-undefined-tag', 'a !!js/undefined tag', `${REGISTRY}spec: !!js/undefined ''\n`, refused(INVALID, 'unknown tag')),
  raw('custom-tag', 'a local tag', `${REGISTRY}spec: !secret {a: 1}\n`, refused(INVALID, 'unknown tag')),
  raw('python-tag', 'a !!python/object tag', `${REGISTRY}spec: !!python/object:os.system {}\n`, refused(INVALID, 'unknown tag')),
  raw('empty-file', 'an empty file', '', refused('no QuayRegistry found')),
  raw('comments-only', 'comments only', '# nothing here\n# at all\n', refused('no QuayRegistry found')),
  raw('separators-only', 'document separators only', '---\n---\n...\n', refused('no QuayRegistry found')),
  raw('scalar-document', 'a document that is a string', `${REGISTRY}---\njust a string\n`, refused('document 2', 'must be a Kubernetes object')),
  raw('list-document', 'a document that is a list', '- apiVersion: quay.redhat.com/v1\n  kind: QuayRegistry\n', refused('document 1', 'must be a Kubernetes object')),
  raw('unterminated-quote', 'an unterminated double-quoted string', `${REGISTRY}spec:\n  configBundleSecret: "abc\n`, refused(INVALID)),
  raw('unclosed-flow', 'an unclosed flow sequence', `${REGISTRY}spec:\n  components: [{kind: clair, managed: false}\n`, refused(INVALID)),
  raw('bad-indentation', 'a mis-indented key (the seeds\' bad-yaml example)', `${REGISTRY}spec:\n  configBundleSecret: a\n   components: []\n`, refused(INVALID, 'line')),
  raw('undefined-alias', 'an alias without its anchor', `${REGISTRY}spec:\n  components: *missing\n`, refused(INVALID, 'unidentified alias')),
  raw('anchor-redefined-alias', 'an anchor defined twice (the last wins; allowed)', `${REGISTRY}x: &a 1\ny: &a 2\n`, accepted),
  raw('merge-key', 'a << merge key (allowed)', `${REGISTRY}base: &base {configBundleSecret: ${BUNDLE}}\nspec:\n  <<: *base\n${BUNDLE_DOC}`, accepted),
  raw('crlf', 'Windows line endings (allowed)', `${REGISTRY}${BUNDLE_DOC}`.replace(/\n/g, '\r\n'), accepted),
  raw('binary-tag-name', 'a !!binary value as configBundleSecret', `${REGISTRY}spec:\n  configBundleSecret: !!binary aGVsbG8=\n`, refused('spec.configBundleSecret', 'is not a valid Secret name')),
  raw('timestamp-name', 'a timestamp as metadata.name', 'apiVersion: quay.redhat.com/v1\nkind: QuayRegistry\nmetadata: {name: 2024-01-01, namespace: quay-enterprise}\n', refused('metadata.name')),
  raw('number-name', 'a number as metadata.name', 'apiVersion: quay.redhat.com/v1\nkind: QuayRegistry\nmetadata: {name: 1234, namespace: quay-enterprise}\n', refused('metadata.name')),
  raw('infinity-replicas', '.inf as replicas', `${REGISTRY}spec:\n  components:\n    - {kind: horizontalpodautoscaler, managed: false}\n    - kind: quay\n      managed: true\n      overrides: {replicas: .inf}\n`, refused('spec.components[1].overrides.replicas')),
  raw('nan-replicas', '.nan as replicas', `${REGISTRY}spec:\n  components:\n    - {kind: horizontalpodautoscaler, managed: false}\n    - kind: quay\n      managed: true\n      overrides: {replicas: .nan}\n`, refused('spec.components[1].overrides.replicas')),
  raw('nul-in-quoted-name', 'an escaped NUL inside a quoted Secret name', `${REGISTRY}spec:\n  configBundleSecret: "config\\0bundle"\n`, refused('spec.configBundleSecret')),
  raw('huge-scalar', 'a 4 MiB label value', `${REGISTRY}spec:\n  components:\n    - kind: quay\n      managed: true\n      overrides:\n        labels: {team: ${'x'.repeat(4 * 1024 * 1024)}}\n`, refused('spec.components[0].overrides.labels')),
  raw('many-documents', '5,000 empty documents around one registry (allowed)', `${'---\n# empty\n'.repeat(5000)}${REGISTRY}`, accepted),
];

function inConfig(id: string, title: string, text: string | Buffer, expect: Expect, extra: Partial<CorpusCase> = {}): CorpusCase {
  return { id: `yaml/config-${id}`, title: `config.yaml: ${title}`, objects: withBundle({}, text), expect, targets: BOTH, ...extra };
}

function inClairConfig(id: string, title: string, text: string | Buffer, expect: Expect): CorpusCase {
  return { id: `yaml/clair-config-${id}`, title: `clair-config.yaml: ${title}`, objects: withBundle({}, BASE_CONFIG, { 'clair-config.yaml': text }), expect, targets: BOTH };
}

const host = `SERVER_HOSTNAME: ${HOST}\n`;
const configCases: CorpusCase[] = [
  inConfig('alias-bomb', 'an alias bomb', `${host}${aliasBomb()}`, refused('config.yaml', 'alias bomb'), { always: true }),
  inConfig('deep-20000', '20,000 nested flow sequences', `${host}X: ${deepFlow(20000)}\n`, refused('config.yaml', 'nested deeper than 100 levels'), { always: true }),
  inConfig('deep-block-500', '500 nested block mappings', `${host}${deepBlock(500)}`, refused('config.yaml', 'nested deeper')),
  inConfig('deep-90', '90 nested mappings (allowed)', `${host}${deepBlock(90)}`, accepted),
  inConfig('duplicate-key', 'SERVER_HOSTNAME twice', `${host}${host}`, refused('config.yaml', 'duplicated mapping key')),
  inConfig('tabs', 'a tab indenting a nested key', `${host}SUPER_USERS:\n\t- admin\n`, refused('config.yaml', 'tab')),
  inConfig('bom', 'a byte order mark (allowed)', `\uFEFF${host}`, accepted),
  inConfig('nul', 'NUL bytes', Buffer.concat([Buffer.from(host), Buffer.alloc(16)]), refused('config.yaml', 'null byte is not allowed')),
  inConfig('binary', 'random bytes', pseudoRandomBytes(2048, 7), refused('config.yaml', 'not UTF-8 text')),
  inConfig('latin1-password', 'a Latin-1 byte in a password', Buffer.concat([Buffer.from(`${host}LDAP_ADMIN_PASSWD: caf`), Buffer.from([0xe9]), Buffer.from('\n')]), refused('config.yaml', 'not UTF-8 text (line 2)'), { always: true }),
  inConfig('utf16', 'UTF-16 text', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(host, 'utf16le')]), refused('config.yaml', 'not UTF-8 text')),
  inConfig('list', 'a list, not a mapping', '- SERVER_HOSTNAME\n- x\n', refused('config.yaml', 'must be a YAML mapping')),
  inConfig('scalar', 'a string, not a mapping', 'just text\n', refused('config.yaml', 'must be a YAML mapping')),
  inConfig('number', 'a number, not a mapping', '42\n', refused('config.yaml', 'must be a YAML mapping')),
  inConfig('unknown-tag', 'a !!js/regexp tag', `${host}X: !!js/regexp /a/\n`, refused('config.yaml', 'unknown tag')),
  inConfig('bad-indentation', 'a mis-indented key', `${host}SUPER_USERS:\n  - quayadmin\n FEATURE_USER_CREATION: false\n`, refused('config.yaml', 'invalid YAML')),
  inConfig('unterminated', 'an unterminated quote', `${host}DB_URI: "postgresql://\n`, refused('config.yaml', 'invalid YAML')),
  inConfig('empty', 'empty (allowed: the operator fills what it manages)', '', accepted),
  inConfig('null', 'null (allowed)', 'null\n', accepted),
  inConfig('proto-key', 'a __proto__ key (allowed; it is data, not the prototype)', `${host}__proto__: {FEATURE_USER_INITIALIZE: false}\n`, accepted),
  inConfig('many-keys', '10,000 keys (allowed)', host + Array.from({ length: 10000 }, (_, i) => `KEY_${i}: value-${i}`).join('\n') + '\n', accepted),
];

const clairCases: CorpusCase[] = [
  inClairConfig('alias-bomb', 'an alias bomb', aliasBomb(), refused('clair-config.yaml', 'alias bomb')),
  inClairConfig('deep', '20,000 nested sequences', `x: ${deepFlow(20000)}\n`, refused('clair-config.yaml', 'nested deeper')),
  inClairConfig('duplicate-key', 'indexer twice', 'indexer: {}\nindexer: {}\n', refused('clair-config.yaml', 'duplicated mapping key')),
  inClairConfig('latin1', 'a Latin-1 byte', Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]), refused('clair-config.yaml', 'not UTF-8 text (line 1)')),
  inClairConfig('list', 'a list', '- indexer\n', refused('clair-config.yaml', 'must be a YAML mapping')),
  inClairConfig('proto-key', 'a __proto__ key merged into Clair\'s config (data, not the prototype)', '__proto__: {polluted: true}\nindexer: {__proto__: {polluted: true}}\n', accepted),
];

/** --bundle FILE|DIR: the CLI's other way in. */
const bundleOptionCases: CorpusCase[] = [
  { id: 'yaml/bundle-dir-alias-bomb', title: '--bundle DIR whose config.yaml is an alias bomb', objects: [registryNamingBundle()], bundleDir: { 'config.yaml': `${host}${aliasBomb()}` }, expect: refused('config.yaml', 'alias bomb'), targets: CLI },
  { id: 'yaml/bundle-dir-latin1', title: '--bundle DIR whose config.yaml is Latin-1', objects: [registryNamingBundle()], bundleDir: { 'config.yaml': Buffer.concat([Buffer.from('LDAP_ADMIN_PASSWD: '), Buffer.from([0xe9])]) }, expect: refused('config.yaml', 'not UTF-8 text'), targets: CLI },
  { id: 'yaml/bundle-dir-bad-key', title: '--bundle DIR holding a file whose name is no Secret key', objects: [registryNamingBundle()], bundleDir: { 'config.yaml': host, 'my cert.pem': 'x' }, expect: refused('my cert.pem', 'not a valid Secret key'), targets: CLI },
];

function registryNamingBundle(): Obj {
  return { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'example-registry', namespace: 'quay-enterprise' }, spec: { configBundleSecret: BUNDLE } };
}

export const yamlCases: CorpusCase[] = [...rawCases, ...configCases, ...clairCases, ...bundleOptionCases];
