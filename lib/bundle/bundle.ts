// The config bundle: a Secret (or a directory) holding config.yaml and the files that go with it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { Problem, problem } from '../problems';
import { invalidUtf8Line, loadYaml } from '../yaml';

/** Keys with a meaning of their own; any other key is passed through to Quay's config volume. */
export const BUNDLE_KEYS = {
  config: 'config.yaml',
  sslCert: 'ssl.cert',
  sslKey: 'ssl.key',
  clairConfig: 'clair-config.yaml',
  clairSslCert: 'clair-ssl.crt',
  clairSslKey: 'clair-ssl.key',
  extraCaPrefix: 'extra_ca_cert_',
} as const;

/** A Secret key: what a bundle file (and a certificate the config editor uploads) may be called. */
export const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** As strict as the API server: the base64 alphabet, padded to a multiple of 4. */
export function isBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0;
}

export interface ConfigBundle {
  /** Secret name, or directory path, for messages. */
  readonly source: string;
  /** Every file, by key, as raw bytes. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** config.yaml parsed; {} when the bundle has none. */
  readonly config: Readonly<Record<string, unknown>>;
  /** clair-config.yaml parsed, when present. */
  readonly clairConfig?: Readonly<Record<string, unknown>>;
}

export interface BundleResult {
  readonly bundle?: ConfigBundle;
  readonly problems: Problem[];
}

export function emptyBundle(source = '(no config bundle)'): ConfigBundle {
  return { source, files: new Map(), config: {} };
}

export function bundleText(bundle: ConfigBundle, key: string): string | undefined {
  return bundle.files.get(key)?.toString('utf8');
}

export function hasCertificate(bundle: ConfigBundle): boolean {
  return nonEmpty(bundle, BUNDLE_KEYS.sslCert) && nonEmpty(bundle, BUNDLE_KEYS.sslKey);
}

export function nonEmpty(bundle: ConfigBundle, key: string): boolean {
  return (bundle.files.get(key)?.length ?? 0) > 0;
}

/** Parses a YAML file of the bundle that must hold a mapping; errors name the key, line and column. */
export function parseYamlMapping(key: string, text: string): { value?: Record<string, unknown>; problem?: Problem } {
  let value: unknown;
  try {
    value = loadYaml(text, key);
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      const at = err.mark ? ` at line ${err.mark.line + 1}, column ${err.mark.column + 1}` : '';
      return { problem: problem(key, `invalid YAML${at}: ${err.reason}`) };
    }
    throw err;
  }
  if (value === undefined || value === null) return { value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { problem: problem(key, `must be a YAML mapping of config keys, got ${Array.isArray(value) ? 'a list' : typeof value}`) };
  }
  return { value: value as Record<string, unknown> };
}

/** Kubernetes refuses a Secret whose data adds up to more than 1 MiB; the bundle must fit in one. */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** Builds a bundle from its files; parses config.yaml and clair-config.yaml. */
export function bundleFromFiles(source: string, files: ReadonlyMap<string, Buffer>): BundleResult {
  const problems: Problem[] = [];
  for (const key of files.keys()) {
    if (!SECRET_KEY.test(key)) problems.push(problem(key, 'is not a valid Secret key (letters, digits, -, _ and . only)'));
  }
  const total = [...files.values()].reduce((n, b) => n + b.length, 0);
  if (total > MAX_SECRET_BYTES) {
    const [largest, bytes] = [...files.entries()].sort((a, b) => b[1].length - a[1].length)[0];
    problems.push(problem(largest, `is ${bytes.length} bytes (the whole bundle ${total}): Kubernetes limits a Secret to 1 MiB (${MAX_SECRET_BYTES} bytes), so the bundle cannot be stored`));
    return { problems };
  }
  // YAML is UTF-8; decoding would silently turn bad bytes into U+FFFD (in a password, say).
  const yamlText = (key: string): string | undefined => {
    const bytes = files.get(key);
    const line = bytes && invalidUtf8Line(bytes);
    if (line === undefined) return bytes?.toString('utf8');
    problems.push(problem(key, `is not UTF-8 text (line ${line}): YAML must be UTF-8`));
    return undefined;
  };
  let config: Record<string, unknown> = {};
  const configText = yamlText(BUNDLE_KEYS.config);
  if (configText !== undefined) {
    const parsed = parseYamlMapping(BUNDLE_KEYS.config, configText);
    if (parsed.problem) problems.push(parsed.problem);
    else config = parsed.value ?? {};
  }
  let clairConfig: Record<string, unknown> | undefined;
  const clairText = yamlText(BUNDLE_KEYS.clairConfig);
  if (clairText !== undefined) {
    const parsed = parseYamlMapping(BUNDLE_KEYS.clairConfig, clairText);
    if (parsed.problem) problems.push(parsed.problem);
    else clairConfig = parsed.value;
  }
  if (problems.length > 0) return { problems };
  return { bundle: { source, files, config, ...(clairConfig ? { clairConfig } : {}) }, problems };
}

/** Reads a Secret object: `data` is base64, `stringData` is plain text and wins, as in the API server. */
export function bundleFromSecret(secret: Record<string, unknown>): BundleResult {
  const meta = (secret.metadata ?? {}) as Record<string, unknown>;
  const source = `Secret ${String(meta.namespace ?? 'default')}/${String(meta.name ?? '')}`;
  const files = new Map<string, Buffer>();
  const problems: Problem[] = [];
  const data = secret.data ?? {};
  const stringData = secret.stringData ?? {};
  // The field named is the one that is wrong (data when both are).
  const notMapping = (v: unknown) => typeof v !== 'object' || Array.isArray(v);
  if (notMapping(data) || notMapping(stringData)) {
    return { problems: [problem(notMapping(data) ? 'data' : 'stringData', 'data and stringData must be mappings of file name to content')] };
  }
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const compact = typeof value === 'string' ? value.replace(/\s+/g, '') : undefined;
    if (compact === undefined || !isBase64(compact)) {
      problems.push(problem(`data.${key}`, 'is not base64; put plain text under stringData instead'));
      continue;
    }
    files.set(key, Buffer.from(compact, 'base64'));
  }
  for (const [key, value] of Object.entries(stringData as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      problems.push(problem(`stringData.${key}`, 'must be a string'));
      continue;
    }
    files.set(key, Buffer.from(value, 'utf8'));
  }
  if (problems.length > 0) return { problems };
  return bundleFromFiles(source, files);
}

/** Reads every regular file of a directory (not recursive), as `oc create secret --from-file=DIR` does. */
export function bundleFromDirectory(dir: string): BundleResult {
  const files = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isFile()) files.set(entry.name, fs.readFileSync(path.join(dir, entry.name)));
  }
  return bundleFromFiles(dir, files);
}
