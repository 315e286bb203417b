// Jest for mutation testing (stryker.config.json): the tests that exercise lib/ and constructs/ in
// process. The CLI and e2e tests run the built binary, which Stryker's mutants never reach, and the
// fake API server's own tests check test code: running them would only slow every mutant down.
const base = require('./jest.config.js');
module.exports = {
  ...base,
  globalSetup: undefined,
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cli/', '<rootDir>/test/e2e/', '<rootDir>/test/support/'],
};
