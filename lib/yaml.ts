// YAML in and out. Output: the same objects always print the same bytes. Input: what users give us
// (the CLI's files, config bundles) is parsed with limits, so hostile YAML is an error, not a crash.
import { isUtf8 } from 'node:buffer';
import * as yaml from 'js-yaml';

export function toYamlDocument(obj: unknown): string {
  return yaml.dump(obj, { noRefs: true, lineWidth: -1, quotingType: '"' });
}

/** A multi-document stream, each document starting with `---`. */
export function toYamlStream(objects: readonly unknown[]): string {
  return objects.map((o) => `---\n${toYamlDocument(o)}`).join('');
}

/**
 * Nesting deeper than this is refused while parsing: js-yaml (and later the renderer) recurse per
 * level and would overflow the stack. Kubernetes objects nest about 15 levels deep.
 */
export const MAX_YAML_DEPTH = 100;
/**
 * Values a document may hold once its aliases are expanded. js-yaml shares an anchor's value between
 * its aliases, so a few lines (an alias bomb, "billion laughs") expand to billions of values when
 * rendered or printed. Far more than any Kubernetes object holds (the API server takes 3 MiB).
 */
export const MAX_YAML_VALUES = 500_000;

function parseOptions(filename: string): yaml.LoadOptions {
  let depth = 0;
  return {
    filename,
    listener(event, state) {
      if (event === 'close') depth--;
      else if (++depth > MAX_YAML_DEPTH) {
        const mark = { name: filename, buffer: state.input, position: state.position, line: state.line, column: state.position - state.lineStart, snippet: '' };
        throw new yaml.YAMLException(`nested deeper than ${MAX_YAML_DEPTH} levels`, mark as unknown as yaml.Mark);
      }
    },
  };
}

/** Throws a YAMLException when the document, its aliases expanded, is too big or too deep. */
function checkExpanded(doc: unknown): void {
  const stack: [unknown, number][] = [[doc, 0]];
  let values = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++values > MAX_YAML_VALUES) throw new yaml.YAMLException(`its aliases expand to more than ${MAX_YAML_VALUES} values (an alias bomb?)`);
    if (depth > MAX_YAML_DEPTH) throw new yaml.YAMLException(`its aliases nest it deeper than ${MAX_YAML_DEPTH} levels`);
    if (typeof v !== 'object' || v === null || v instanceof Date || ArrayBuffer.isView(v)) continue;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}

/** Every document of a YAML stream, within the limits above; throws yaml.YAMLException otherwise. */
export function loadYamlAll(text: string, filename: string): unknown[] {
  const docs = yaml.loadAll(text, undefined, parseOptions(filename));
  docs.forEach(checkExpanded);
  return docs;
}

/** One YAML document, within the limits above; throws yaml.YAMLException otherwise. */
export function loadYaml(text: string, filename: string): unknown {
  const doc = yaml.load(text, parseOptions(filename));
  checkExpanded(doc);
  return doc;
}

/** Where bytes that should be UTF-8 text are not: the 1-based line of the first bad byte, or undefined when they are. */
export function invalidUtf8Line(bytes: Buffer): number | undefined {
  if (isUtf8(bytes)) return undefined;
  // A newline byte never occurs inside a multi-byte UTF-8 sequence, so lines can be checked alone.
  let start = 0;
  for (let line = 1; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    if (!isUtf8(bytes.subarray(start, end < 0 ? bytes.length : end))) return line;
    if (end < 0) return undefined;
    start = end + 1;
  }
}
