// alm-examples: the QuayRegistries of the repository's examples (the seeds' examples), as the
// console offers them in its create form (the first is the form's default). Read from examples/ so
// the CSV cannot drift from them; the namespace is left to the console.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { GROUP, KIND, VERSION } from '../api/types';

/** In this order: the minimal registry first, an empty form. */
export const EXAMPLE_FILES = ['minimal.yaml', 'unmanaged-components.yaml', 'quayregistry.yaml'];

type Obj = Record<string, any>;

/** examples/ in the source tree, from lib/olm or build/lib/olm. */
export function examplesDir(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'examples');
    if (fs.existsSync(path.join(candidate, EXAMPLE_FILES[0]))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`examples/${EXAMPLE_FILES[0]} not found above ${from}`);
  }
}

export function almExamples(dir = examplesDir()): Obj[] {
  return EXAMPLE_FILES.flatMap((file) =>
    (yaml.loadAll(fs.readFileSync(path.join(dir, file), 'utf8')) as Obj[])
      .filter((o) => o?.apiVersion === `${GROUP}/${VERSION}` && o.kind === KIND)
      .map((o) => {
        const { namespace: _namespace, ...metadata } = o.metadata ?? {};
        return { ...o, metadata };
      }),
  );
}
