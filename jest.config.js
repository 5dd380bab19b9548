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

// `nx test P` runs unit specs, `nx e2e P` the end-to-end ones that boot VMs, use namespaces or
// time output, `nx nx-e2e P` those that only drive Nx in scratch workspaces (tools/workspace-plugin);
// plain `npx jest FILE` runs whatever it is given.
const SUITES = {
  unit: ['**/*.spec.ts', '!**/*.e2e.spec.ts', '!**/*.nx-e2e.spec.ts'],
  e2e: ['**/*.e2e.spec.ts'],
  'nx-e2e': ['**/*.nx-e2e.spec.ts'],
};
const suite = process.env.MIRAGE_TEST_SUITE;
if (suite !== undefined && !(suite in SUITES)) {
  throw new Error(
    `MIRAGE_TEST_SUITE=${suite}: use one of ${Object.keys(SUITES).join(', ')}, or leave it unset for every spec`,
  );
}

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/plugins', '<rootDir>/tools', '<rootDir>/apps'],
  testMatch: suite ? SUITES[suite] : ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/files/'],
  // End-to-end specs build and run real unikernels.
  testTimeout: 120000,
};
