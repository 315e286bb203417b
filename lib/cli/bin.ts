#!/usr/bin/env node
// Entry point of the `quay-operator` binary.
import { main } from './main';

const code = main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
});
process.exitCode = code;
