/** Jest runs every package's tests from the root. SWC transpiles (fast); `npm run typecheck` type-checks. */
const swc = ['@swc/jest', {
  jsc: { target: 'es2022', parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } } },
  module: { type: 'commonjs' },
}];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/kalam-link', '<rootDir>/sdk-typescript', '<rootDir>/sdk-react', '<rootDir>/protocol-spec', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts?(x)'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: ['<rootDir>/test/support/jest.setup.cjs'],
  transform: {
    '^.+\\.(t|j|mj)sx?$': swc,
  },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  moduleNameMapper: {
    '^@kalam/link$': '<rootDir>/kalam-link/src/index.ts',
    '^@kalam/link/protocol$': '<rootDir>/kalam-link/src/protocol/index.ts',
    '^@kalam/link/inspect$': '<rootDir>/kalam-link/src/inspect/index.ts',
    '^@kalam/client$': '<rootDir>/sdk-typescript/src/index.ts',
    '^@kalam/react$': '<rootDir>/sdk-react/src/index.ts',
    '^@kalam/protocol-spec$': '<rootDir>/protocol-spec/server/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.cjs'],
};
