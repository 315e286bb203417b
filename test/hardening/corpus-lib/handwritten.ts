// The hand-written cases: the files of test/hardening/corpus/, each stating in its first comment
// lines what it is and the outcome it must have:
//   # title: <what is wrong>
//   # expect: refused | <text the message must hold> | <more text>      (or: # expect: accepted)
//   # targets: cli controller                                           (default: cli)
//   # args: --platform kubernetes                                       (optional)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadYamlAll } from '../../../lib/yaml';
import { CorpusCase, Expect, Obj, Target } from './case';

export const CORPUS_DIR = path.resolve(__dirname, '../corpus');

function header(text: string, key: string): string | undefined {
  const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(text);
  return m ? m[1].trim() : undefined;
}

export function handwrittenCases(): CorpusCase[] {
  return fs
    .readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f): CorpusCase => {
      const file = path.join(CORPUS_DIR, f);
      // latin1: the header is ASCII even in the files that are not UTF-8 on purpose.
      const text = fs.readFileSync(file, 'latin1');
      const title = header(text, 'title');
      const expectLine = header(text, 'expect');
      if (!title || !expectLine) throw new Error(`corpus: ${f} lacks its "# title:" or "# expect:" line`);
      const [verdict, ...names] = expectLine.split(' | ').map((s) => s.trim());
      if (verdict !== 'refused' && verdict !== 'accepted') throw new Error(`corpus: ${f}: expect is "refused | ..." or "accepted"`);
      const expect: Expect = verdict === 'accepted' ? { refused: false } : { refused: true, names };
      const targets = (header(text, 'targets') ?? 'cli').split(/\s+/) as Target[];
      const args = header(text, 'args')?.split(/\s+/);
      // The controller gets the objects (the API server takes them as JSON, not the file's bytes).
      const objects = targets.includes('controller') ? (loadYamlAll(fs.readFileSync(file, 'utf8'), f).filter(Boolean) as Obj[]) : undefined;
      return { id: `corpus/${f}`, title, file, expect, targets, ...(objects ? { objects } : {}), ...(args ? { args } : {}), spawn: true, always: f.startsWith('seeds-') };
    });
}
