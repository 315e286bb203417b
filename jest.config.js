// ts-jest compiles our TypeScript, and also @kubernetes/client-node and its ESM-only dependencies,
// which Jest cannot load as ES modules on Node 20 (see ../shared/reference/ecosystem.md §0 B).
const esmPackages = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'jsonpath-plus', '@marcbachmann/cel-js'];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The CLI tests run build/lib/cli/bin.js: rebuilt first when a source is newer.
  globalSetup: '<rootDir>/test/support/build-if-stale.js',
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    '^.+\\.m?js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
