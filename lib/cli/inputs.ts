// Reads the CLI's input files: YAML streams holding QuayRegistries and, optionally, the Secrets and
// ConfigMaps they reference (config bundles, managed keys, a bound bucket's credentials).
import * as fs from 'node:fs';
import * as yaml from 'js-yaml';
import { KIND } from '../api/types';
import { Problem, problem } from '../problems';
import { invalidUtf8Line, loadYamlAll } from '../yaml';

export interface InputDocument {
  readonly file: string;
  /** 1-based position in the file's YAML stream. */
  readonly index: number;
  readonly object: Record<string, unknown>;
}

export interface Inputs {
  readonly registries: InputDocument[];
  /** Secrets and ConfigMaps by `<kind>/<namespace>/<name>`. */
  readonly objects: Map<string, InputDocument>;
}

export function objectKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export interface FileProblem extends Problem {
  readonly file: string;
}

function isList(doc: unknown): doc is { items: unknown[] } {
  const d = doc as Record<string, unknown> | null;
  return typeof d === 'object' && d !== null && typeof d.kind === 'string' && d.kind.endsWith('List') && Array.isArray(d.items);
}

export function readInputs(files: readonly string[], defaultNamespace: string): { inputs: Inputs; problems: FileProblem[] } {
  const registries: InputDocument[] = [];
  const objects = new Map<string, InputDocument>();
  const problems: FileProblem[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file === '-' ? 0 : file);
    } catch (err) {
      problems.push({ file, ...problem('', `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`) });
      continue;
    }
    // Decoding would silently turn bad bytes into U+FFFD, in a name or a password.
    const badLine = invalidUtf8Line(bytes);
    if (badLine !== undefined) {
      problems.push({ file, ...problem('', `is not UTF-8 text (line ${badLine}): YAML must be UTF-8`) });
      continue;
    }
    let docs: unknown[];
    try {
      docs = loadYamlAll(bytes.toString('utf8'), file);
    } catch (err) {
      if (!(err instanceof yaml.YAMLException)) throw err;
      const at = err.mark ? ` at line ${err.mark.line + 1}, column ${err.mark.column + 1}` : '';
      problems.push({ file, ...problem('', `invalid YAML${at}: ${err.reason}`) });
      continue;
    }
    // `oc get quayregistry,secret -o yaml` prints one `kind: List` whose items are the objects.
    const entries = docs.flatMap((doc, i) =>
      isList(doc) ? doc.items.map((item, j) => ({ doc: item, index: i + 1, where: `document ${i + 1} items[${j}]` })) : [{ doc, index: i + 1, where: `document ${i + 1}` }],
    );
    for (const { doc, index, where } of entries) {
      if (doc === null || doc === undefined) continue;
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        problems.push({ file, ...problem(where, 'must be a Kubernetes object (a YAML mapping)') });
        continue;
      }
      const object = doc as Record<string, unknown>;
      const kind = object.kind;
      const meta = (typeof object.metadata === 'object' && object.metadata !== null ? object.metadata : {}) as Record<string, unknown>;
      if (kind === KIND) {
        registries.push({ file, index, object });
      } else if ((kind === 'Secret' || kind === 'ConfigMap') && typeof meta.name === 'string') {
        objects.set(objectKey(kind, typeof meta.namespace === 'string' ? meta.namespace : defaultNamespace, meta.name), { file, index, object });
      } else if (kind === 'Secret' || kind === 'ConfigMap') {
        problems.push({ file, ...problem(`${where} metadata.name`, `a ${kind} needs a name (a string)`) });
      } else {
        problems.push({ file, ...problem(where, `unexpected ${JSON.stringify(kind)}: expected QuayRegistry, or the Secrets and ConfigMaps it references`) });
      }
    }
  }
  return { inputs: { registries, objects }, problems };
}
