/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }],
    // jose 6 (firebase-admin/auth -> jwks-rsa, loaded by firebase-functions' callables) ships only
    // ESM. Node 20 can require() it, but jest's module system cannot (jest supports require(esm)
    // from Node 24.9), so compile it to CommonJS for the tests.
    '^.+/node_modules/jose/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, isolatedModules: true },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testMatch: ['<rootDir>/{contract,emulator,client-sdk,functions}/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // Tests compile the workspace's contract from source, like the rest of the code under test.
  moduleNameMapper: { '^@device-limit/contract$': '<rootDir>/contract/src/index.ts' },
  // dist/functions is the staged deploy folder (scripts/stage-functions.mjs), a copy of functions/.
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.*/dist/', '<rootDir>/functions/lib/'],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  testTimeout: 30000,
};
