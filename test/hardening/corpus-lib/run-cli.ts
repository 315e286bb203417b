// Runs a corpus case through the CLI: `validate` and `synth` in-process (lib/cli/main.ts's main, as
// bin.ts calls it) and, for the cases marked `spawn`, through the built binary, as users run it.
// Every run must: exit 2 (refused) or 0 (accepted), never 1; print no stack trace and no "internal
// error"; name what is wrong on stderr; print nothing on stdout when it refuses; end in seconds.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { main } from '../../../lib/cli/main';
import { CorpusCase, inputBytes } from './case';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'build/lib/cli/bin.js');
/** A run longer than this is a hang, whatever it printed. */
const MAX_MS = 10_000;

export interface CliRun {
  readonly via: 'main' | 'bin';
  readonly command: 'validate' | 'synth';
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

let workDir: string | undefined;
const PROTOTYPE = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Writes the case's input files; returns the arguments after the command. */
export function cliArgs(c: CorpusCase): string[] {
  workDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'quay-corpus-'));
  const dir = path.join(workDir, c.id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120));
  fs.mkdirSync(dir, { recursive: true });
  let file = c.file;
  if (!file) {
    file = path.join(dir, 'input.yaml');
    fs.writeFileSync(file, inputBytes(c));
  }
  // Relative to where Jest runs (the repository), as users name their files.
  const relative = path.relative(process.cwd(), file);
  const args = ['-f', relative.startsWith('..') ? file : relative, '--apps-domain', 'apps.example.com'];
  if (c.bundleDir) {
    const bundle = path.join(dir, 'bundle');
    fs.mkdirSync(bundle, { recursive: true });
    for (const [name, content] of Object.entries(c.bundleDir)) fs.writeFileSync(path.join(bundle, name), content);
    args.push('--bundle', bundle);
  }
  return [...args, ...(c.args ?? [])];
}

export function removeWorkDir(): void {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
}

export async function runInProcess(command: CliRun['command'], args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const start = Date.now();
  let code: number | null;
  try {
    code = await main([command, ...args], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {} });
  } catch (err) {
    // main() catches everything; a throw past it would kill bin.ts with exit code 1.
    code = 1;
    stderr += `thrown past main(): ${(err as Error)?.stack ?? String(err)}\n`;
  }
  // A `__proto__` key merged carelessly would reach every object of the process.
  const polluted = Object.getOwnPropertyNames(Object.prototype).filter((k) => !PROTOTYPE.has(k));
  if (polluted.length > 0) stderr += `internal error: Object.prototype polluted with ${polluted.join(', ')}\n`;
  return { via: 'main', command, code, stdout, stderr, ms: Date.now() - start };
}

export function runBinary(command: CliRun['command'], args: readonly string[]): CliRun {
  const start = Date.now();
  const r = spawnSync(process.execPath, [BIN, command, ...args], { cwd: process.cwd(), encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  const killed = r.signal ? `killed by ${r.signal}${r.error ? ` (${r.error.message})` : ''}\n` : '';
  return { via: 'bin', command, code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + killed, ms: Date.now() - start };
}

/** What is wrong with a run of the case, as lines; none when it behaved. */
export function judgeCliRun(c: CorpusCase, run: CliRun): string[] {
  const out: string[] = [];
  const bad = (what: string) => out.push(`${run.via} ${run.command}: ${what}`);
  const firstLines = run.stderr.split('\n').slice(0, 3).join(' / ').slice(0, 400);
  if (run.ms > MAX_MS) bad(`took ${run.ms} ms (a hang)`);
  if (run.code === null) bad(`did not exit: ${firstLines}`);
  if (/internal error|thrown past main/.test(run.stderr)) bad(`crashed: ${firstLines}`);
  if (/^\s+at /m.test(run.stderr)) bad('printed a stack trace');
  if (c.expect.refused) {
    if (run.code !== 2) bad(`exit code ${run.code}, expected 2: ${firstLines}`);
    if (run.stdout !== '') bad(`printed ${run.stdout.length} bytes on stdout while refusing`);
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    if (!lines.some((l) => l.startsWith('error: '))) bad(`no "error: " line on stderr: ${firstLines}`);
    for (const l of lines) if (!/^(error|warning): /.test(l)) bad(`stderr line not "error: ..." or "warning: ...": ${l.slice(0, 200)}`);
    for (const name of c.expect.names) if (!run.stderr.includes(name)) bad(`stderr does not name ${JSON.stringify(name)}: ${firstLines}`);
  } else {
    if (run.code !== 0) bad(`exit code ${run.code}, expected 0: ${firstLines}`);
    else if (run.command === 'validate' && run.stdout !== '') bad('validate printed on stdout');
    else if (run.command === 'synth') {
      const objects = yaml.loadAll(run.stdout) as { kind?: string; metadata?: { name?: string } }[];
      if (objects.length === 0 || objects.some((o) => !o?.kind || !o.metadata?.name)) bad('synth printed no objects, or objects without kind and name');
    }
  }
  return out;
}
