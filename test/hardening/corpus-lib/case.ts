// A case of the bad-input corpus: an input, where it goes (the CLI, the controller or both) and the
// outcome it must have. The runners (run-cli.ts, run-controller.ts) hold the rules every case obeys:
// no crash, no stack trace, exit code 2 or RolloutBlocked=True naming the field, nothing deleted,
// nothing applied for a refused registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

export type Obj = Record<string, any>;
export type Target = 'cli' | 'controller';

/** Refused: exit code 2 / RolloutBlocked=True, with every `names` string in the message. */
export interface Refused {
  readonly refused: true;
  readonly names: readonly string[];
  /** The condition reason the controller gives (default: not checked). */
  readonly reason?: string;
}
export interface Accepted {
  readonly refused: false;
}
export type Expect = Refused | Accepted;

export interface CorpusCase {
  /** `family/name`, unique. */
  readonly id: string;
  /** What is wrong with the input, in words. */
  readonly title: string;
  /** The QuayRegistry first, then the Secrets it references (dumped as YAML for the CLI). */
  readonly objects?: readonly Obj[];
  /** The -f file as bytes (the CLI only: the API server takes JSON). */
  readonly raw?: Buffer;
  /** A hand-written file of test/hardening/corpus/, passed as it is. */
  readonly file?: string;
  /** `--bundle DIR` (the CLI only). */
  readonly bundleDir?: Readonly<Record<string, Buffer | string>>;
  /** More CLI arguments. */
  readonly args?: readonly string[];
  readonly expect: Expect;
  readonly targets: readonly Target[];
  /** In the fast subset too. */
  readonly always?: boolean;
  /** Also through the built binary (a process per run: the fast subset spawns only these). */
  readonly spawn?: boolean;
}

export const NS = 'quay-enterprise';
export const NAME = 'example-registry';
export const BUNDLE = 'config-bundle-secret';
/** The host the leaf fixture covers (test/fixtures/tls). */
export const HOST = 'example-registry-quay-quay-enterprise.apps.example.com';
export const BOTH: readonly Target[] = ['cli', 'controller'];
export const CLI: readonly Target[] = ['cli'];

export const accepted: Accepted = { refused: false };
export function refused(...names: string[]): Refused {
  return { refused: true, names };
}
export function refusedFor(reason: string, ...names: string[]): Refused {
  return { refused: true, names, reason };
}

export function registry(spec: Obj = {}, metadata: Obj = {}): Obj {
  return { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: NS, ...metadata }, spec };
}

/** A Secret with its files as base64 `data` (so any bytes get through). */
export function secret(name: string, files: Readonly<Record<string, string | Buffer>>): Obj {
  const data = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, data };
}

/** config.yaml as given (text or bytes), or dumped from an object. */
export function configYaml(config: string | Buffer | Obj): string | Buffer {
  return typeof config === 'string' || Buffer.isBuffer(config) ? config : yaml.dump(config, { noRefs: true });
}

/** The registry naming config-bundle-secret, and that Secret with config.yaml (and more files). */
export function withBundle(spec: Obj, config: string | Buffer | Obj, files: Readonly<Record<string, string | Buffer>> = {}): Obj[] {
  return [registry({ configBundleSecret: BUNDLE, ...spec }), secret(BUNDLE, { 'config.yaml': configYaml(config), ...files })];
}

/** The usual base: SERVER_HOSTNAME set, so the Route and certificates have a host. */
export const BASE_CONFIG: Obj = { SERVER_HOSTNAME: HOST };

const TLS_DIR = path.resolve(__dirname, '../../fixtures/tls');
export function tls(file: string): string {
  return fs.readFileSync(path.join(TLS_DIR, file), 'utf8');
}

/** The -f input of a case as bytes. */
export function inputBytes(c: CorpusCase): Buffer {
  if (c.raw) return c.raw;
  if (c.file) return fs.readFileSync(c.file);
  return Buffer.from((c.objects ?? []).map((o) => `---\n${yaml.dump(o, { noRefs: true, lineWidth: -1 })}`).join(''));
}

/** A deterministic byte stream (xorshift), for binary garbage that is the same on every run. */
export function pseudoRandomBytes(n: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Checks ids are unique and every case names its outcome; returns the cases. */
export function checked(cases: readonly CorpusCase[]): CorpusCase[] {
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new Error(`corpus: duplicate case id ${c.id}`);
    seen.add(c.id);
    if (c.expect.refused && c.expect.names.length === 0) throw new Error(`corpus: ${c.id} is refused without naming what`);
    if (!c.objects && !c.raw && !c.file) throw new Error(`corpus: ${c.id} has no input`);
    if ((c.raw || c.bundleDir || c.args) && c.targets.includes('controller')) throw new Error(`corpus: ${c.id}: raw bytes, --bundle and arguments are for the CLI only`);
  }
  return [...cases];
}
