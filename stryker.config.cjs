// npm run test:mutation (not in CI: slow). Incremental: a rerun tests only mutants whose code or tests
// changed (reports/stryker-incremental.json, written by each run; commit it after a full run so
// everyone's reruns reuse it). A narrower run: npm run test:mutation -- --mutate lib/upgrade/versions.ts
// A folder's own unit tests only (minutes instead of hours; see jest.stryker.config.js):
//   STRYKER_TESTS=test/controller/plan.test.ts npm run test:mutation -- --mutate lib/controller/plan.ts
// Then Jest's findRelatedTests is off: it misses files a test reaches only through another module,
// and the narrowed test list already says which tests run.
const narrowed = Boolean(process.env.STRYKER_TESTS);
// STRYKER_COVERAGE=all runs every mutant against all the (narrowed) tests instead of the tests that
// reached it: slower per mutant, but right for files whose tests render in a describe body (the
// trap at ignoreStatic below), so their survivors need no re-check by hand. Incremental reruns then
// keep Survived results when tests were added (no per-test coverage says what they reach): --force.
const allTests = process.env.STRYKER_COVERAGE === 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.stryker.config.js',
    enableFindRelatedTests: !narrowed
  },
  checkers: [
    'typescript'
  ],
  // The checker type-checks each mutant on its own (mutants of one file cannot share a check), so it
  // is the slow half of a run: tsconfig.stryker.json leaves out test/ and bench/ (about twice as fast).
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: {
    prioritizePerformanceOverAccuracy: true
  },
  mutate: [
    'lib/controller/**/*.ts',
    'lib/bundle/**/*.ts',
    'lib/api/**/*.ts',
    'lib/keys.ts',
    'lib/upgrade/**/*.ts',
    'constructs/**/*.ts'
  ],
  coverageAnalysis: allTests ? 'all' : 'perTest',
  // A trap with perTest coverage: a mutant that a test file runs while loading (a `const objs =
  // render(model)` in a describe body, as most constructs/ tests do) and that some test also runs is
  // "hybrid"; with ignoreStatic Stryker runs it against that test only, not against the tests that
  // assert on the describe's render, and reports it Survived. Survivors of such files must be
  // re-checked by applying them to the source and running the test file (README, mutation scores).
  ignoreStatic: !allTests,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 2,
  timeoutMS: 30000,
  reporters: [
    'clear-text',
    'progress',
    'html',
    'json'
  ],
  htmlReporter: {
    fileName: 'reports/mutation/index.html'
  },
  jsonReporter: {
    fileName: 'reports/mutation/mutation.json'
  },
  thresholds: {
    high: 90,
    low: 85,
    break: null
  },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  dryRunTimeoutMinutes: 30
};
