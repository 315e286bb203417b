// Jest for mutation testing (stryker.config.cjs): the tests that exercise lib/ and constructs/ in
// process. The CLI and e2e tests run the built binary, which Stryker's mutants never reach, and the
// fake API server's own tests check test code: running them would only slow every mutant down. The
// hardening suites (bad-input corpus, injected faults) repeat what the unit tests check, thousands of times.
// STRYKER_TESTS=test/bundle,test/config narrows the tests to those folders: a mutant of lib/bundle
// is covered by every controller test, which makes a run hours long; the folder's unit tests alone
// give a lower bound of its score in minutes.
const base = require('./jest.config.js');
const only = (process.env.STRYKER_TESTS ?? '').split(',').filter(Boolean);
module.exports = {
  ...base,
  ...(only.length ? { testMatch: only.map((d) => (d.endsWith('.ts') ? `<rootDir>/${d}` : `<rootDir>/${d}/**/*.test.ts`)) } : {}),
  globalSetup: undefined,
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cli/', '<rootDir>/test/e2e/', '<rootDir>/test/support/', '<rootDir>/test/hardening/'],
};
