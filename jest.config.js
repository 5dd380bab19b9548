/**
 * One Jest for the whole workspace: TypeScript through @swc/jest, and the
 * same `@mirage-ts/...` aliases as tsconfig.base.json.
 */
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  const from = '^' + alias.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace('*', '(.*)') + '$';
  moduleNameMapper[from] = '<rootDir>/' + target.replace('*', '$1');
}

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/plugins', '<rootDir>/tools', '<rootDir>/apps'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/files/'],
  // End-to-end specs build and run real unikernels.
  testTimeout: 120000,
};
