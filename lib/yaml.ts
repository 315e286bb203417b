// YAML output: the same objects always print the same bytes.
import * as yaml from 'js-yaml';

export function toYamlDocument(obj: unknown): string {
  return yaml.dump(obj, { noRefs: true, lineWidth: -1, quotingType: '"' });
}

/** A multi-document stream, each document starting with `---`. */
export function toYamlStream(objects: readonly unknown[]): string {
  return objects.map((o) => `---\n${toYamlDocument(o)}`).join('');
}
