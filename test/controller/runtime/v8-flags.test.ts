// The V8 flags `quay-operator run` sets at start (lib/controller/runtime/v8-flags.ts): each is handed
// to V8, and each is one this Node's V8 knows (V8 ignores an unknown flag silently, so a misspelt one
// would quietly undo the heap tuning the bench measured).
import { execFileSync } from 'node:child_process';
import * as v8 from 'node:v8';
import { OPERATOR_V8_FLAGS, applyOperatorV8Flags } from '../../../lib/controller/runtime/v8-flags';

jest.mock('node:v8', () => ({ ...jest.requireActual('node:v8'), setFlagsFromString: jest.fn() }));

test('the heap may grow 25% past what is live after a full collection', () => {
  expect(OPERATOR_V8_FLAGS).toEqual(['--heap-growing-percent=25']);
});

test('applyOperatorV8Flags hands each flag to V8', () => {
  applyOperatorV8Flags();
  expect(jest.mocked(v8.setFlagsFromString).mock.calls).toEqual([['--heap-growing-percent=25']]);
});

test('every flag is one this V8 knows', () => {
  const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
  for (const flag of OPERATOR_V8_FLAGS) expect(known).toContain(`  ${flag.split('=')[0]} `);
});
