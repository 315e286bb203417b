#!/usr/bin/env node
// Entry point of the `quay-operator` binary. `run` loads only the operator (run.ts), not the other
// commands (main.ts loads cdk8s and every construct for them).
import type { Io } from './main';

const io: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};
const argv = process.argv.slice(2);

// A reader that stops early (`synth | head`) closes the pipe: stop as a Unix tool killed by SIGPIPE
// does (128 + 13), without an unhandled 'error' event and its stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(141);
});

Promise.resolve()
  .then(() => (argv[0] === 'run' ? (require('./run') as typeof import('./run')).runMain(argv.slice(1), io) : (require('./main') as typeof import('./main')).main(argv, io)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`internal error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
