// How the benchmark starts the operator binary: as its pod does (the manifests' NODE_OPTIONS and
// MALLOC_ARENA_MAX), or another build as it ran: BENCH_OPERATOR_BIN (without the pod's settings)
// and BENCH_NODE_FLAGS (bench/before.json: the operator before issue 15).
import * as path from 'node:path';
import { OPERATOR_MALLOC_ARENAS, OPERATOR_NODE_FLAGS } from '../constructs/operator-install';

const other = process.env.BENCH_OPERATOR_BIN;
export const BIN = other || path.join(__dirname, '..', 'lib', 'cli', 'bin.js');
export const NODE_FLAGS = process.env.BENCH_NODE_FLAGS !== undefined ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean) : OPERATOR_NODE_FLAGS;

export function operatorEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...(other ? {} : { MALLOC_ARENA_MAX: OPERATOR_MALLOC_ARENAS }), ...extra };
}
