// Jest globalSetup: the CLI tests run the compiled binary (build/), so a bare `npx jest` after an
// edit must not test yesterday's build. Rebuilds when any source the build compiles is newer than
// build/lib/cli/bin.js (`npm test` has just built, so this is a few stat calls there).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'build/lib/cli/bin.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

module.exports = async function buildIfStale() {
  const built = fs.existsSync(BIN) ? fs.statSync(BIN).mtimeMs : 0;
  const sources = Math.max(...['lib', 'constructs', 'imports'].map((d) => newestSource(path.join(ROOT, d))), fs.statSync(path.join(ROOT, 'app.ts')).mtimeMs);
  if (sources <= built) return;
  process.stdout.write('\nbuild/ is older than the sources: npm run build\n');
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
};
