#!/usr/bin/env node
// Entry point of the `quay-operator` binary.
import { main } from './main';

Promise.resolve(
  main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  }),
).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
