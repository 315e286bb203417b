// Reads the CLI's input files: YAML streams holding QuayRegistries and, optionally, the Secrets and
// ConfigMaps they reference (config bundles, managed keys, a bound bucket's credentials).
import * as fs from 'node:fs';
import * as yaml from 'js-yaml';
import { KIND } from '../api/types';
import { Problem, problem } from '../problems';

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

export function readInputs(files: readonly string[], defaultNamespace: string): { inputs: Inputs; problems: FileProblem[] } {
  const registries: InputDocument[] = [];
  const objects = new Map<string, InputDocument>();
  const problems: FileProblem[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ file, ...problem('', `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`) });
      continue;
    }
    let docs: unknown[];
    try {
      docs = yaml.loadAll(text, undefined, { filename: file });
    } catch (err) {
      if (!(err instanceof yaml.YAMLException)) throw err;
      const at = err.mark ? ` at line ${err.mark.line + 1}, column ${err.mark.column + 1}` : '';
      problems.push({ file, ...problem('', `invalid YAML${at}: ${err.reason}`) });
      continue;
    }
    docs.forEach((doc, i) => {
      if (doc === null || doc === undefined) return;
      const index = i + 1;
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        problems.push({ file, ...problem(`document ${index}`, 'must be a Kubernetes object (a YAML mapping)') });
        return;
      }
      const object = doc as Record<string, unknown>;
      const kind = object.kind;
      const meta = (object.metadata ?? {}) as Record<string, unknown>;
      if (kind === KIND) {
        registries.push({ file, index, object });
      } else if ((kind === 'Secret' || kind === 'ConfigMap') && typeof meta.name === 'string') {
        objects.set(objectKey(kind, typeof meta.namespace === 'string' ? meta.namespace : defaultNamespace, meta.name), { file, index, object });
      } else {
        problems.push({ file, ...problem(`document ${index}`, `unexpected ${JSON.stringify(kind)}: expected QuayRegistry, or the Secrets and ConfigMaps it references`) });
      }
    });
  }
  return { inputs: { registries, objects }, problems };
}
