#!/usr/bin/env node
// Re-checks the survivors of a Stryker run by hand: applies each Survived or NoCoverage mutant of the
// JSON report to the source, runs the given Jest test files (jest.stryker.config.js), and restores
// the file. Needed where tests build their objects in a describe body (most of test/constructs/):
// Stryker's perTest coverage with ignoreStatic runs such "hybrid" mutants against the wrong tests
// and reports them Survived (README, "Mutation scores so far").
//
//   npm run --silent test:mutation:recheck -- [--report reports/mutation/mutation.json] [--file constructs/quay] test/constructs/quay.test.ts ...
//
// Prints KILLED or SURVIVED per mutant and writes the report with the killed ones marked Killed to
// reports/mutation/rechecked.json: pass it as --report with more tests to re-check only what is left.
// Edits the working tree while it runs: never two at once on one checkout.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
};
const reportPath = option('--report', 'reports/mutation/mutation.json');
const only = option('--file', undefined);
const tests = args;
if (tests.length === 0) {
  console.error('usage: recheck.cjs [--report <mutation.json>] [--file <path part>] <jest test file>...');
  process.exit(2);
}

const root = path.resolve(__dirname, '../..');
const report = JSON.parse(fs.readFileSync(path.resolve(root, reportPath), 'utf8'));
let restore = () => {};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    restore();
    process.exit(130);
  });
}

let killed = 0;
let survived = 0;
for (const [file, entry] of Object.entries(report.files)) {
  if (only && !file.includes(only)) continue;
  const target = path.resolve(root, file);
  const original = fs.readFileSync(target, 'utf8');
  if (original !== entry.source) {
    console.log(`# ${file}: changed since the report; skipped`);
    continue;
  }
  const lines = original.split('\n');
  const offset = (loc) => lines.slice(0, loc.line - 1).reduce((n, l) => n + l.length + 1, 0) + loc.column - 1;
  restore = () => fs.writeFileSync(target, original);
  try {
    for (const m of entry.mutants) {
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const [a, b] = [offset(m.location.start), offset(m.location.end)];
      fs.writeFileSync(target, original.slice(0, a) + m.replacement + original.slice(b));
      const run = spawnSync('npx', ['jest', '-c', 'jest.stryker.config.js', '--silent', '--bail', ...tests], { cwd: root, encoding: 'utf8' });
      const kill = run.status !== 0;
      if (kill) {
        killed++;
        m.status = 'Killed';
      } else survived++;
      const shown = (s) => JSON.stringify(s).slice(0, 80);
      console.log(`${kill ? 'KILLED  ' : 'SURVIVED'} ${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${shown(original.slice(a, b))} -> ${shown(m.replacement)}`);
    }
  } finally {
    restore();
    restore = () => {};
  }
}
const out = path.resolve(root, 'reports/mutation/rechecked.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(report));
console.log(`killed ${killed}, survived ${survived}; ${path.relative(root, out)} has the rest`);
