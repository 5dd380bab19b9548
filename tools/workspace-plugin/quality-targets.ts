import type { TargetConfiguration } from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The checks every project of this workspace gets: `lint`, `typecheck`,
 * `test` (unit specs), `e2e` (specs named `*.e2e.spec.ts`: VM boots, Xen,
 * network namespaces, timed output, builds in scratch workspaces) and
 * `nx-e2e` (specs named `*.nx-e2e.spec.ts`: they only drive Nx in scratch
 * workspaces, so they may run beside other tasks). They stand in for what
 * @nx/eslint and @nx/jest would infer, which have no release for Nx 24.
 */
export interface QualityTargetNames {
  readonly lint: string;
  readonly typecheck: string;
  readonly test: string;
  readonly e2e: string;
  readonly nxE2e: string;
}

export const DEFAULT_NAMES: QualityTargetNames = {
  lint: 'lint',
  typecheck: 'typecheck',
  test: 'test',
  e2e: 'e2e',
  nxE2e: 'nx-e2e',
};

/** Jest reads this to pick unit or end-to-end specs (jest.config.js). */
export const SUITE_ENV = 'MIRAGE_TEST_SUITE';

export const E2E_SPEC = /\.e2e\.spec\.ts$/;
export const NX_E2E_SPEC = /\.nx-e2e\.spec\.ts$/;
const SPEC = /\.spec\.ts$/;
/** Folders that hold no specs of the project: generator templates, build output, dependencies. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'files', 'build', '.nx']);

export interface SpecKinds {
  readonly unit: boolean;
  readonly e2e: boolean;
  readonly nxE2e: boolean;
}

export function specKinds(projectDir: string): SpecKinds {
  let unit = false;
  let e2e = false;
  let nxE2e = false;
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(path.join(dir, entry.name));
      } else if (E2E_SPEC.test(entry.name)) {
        e2e = true;
      } else if (NX_E2E_SPEC.test(entry.name)) {
        nxE2e = true;
      } else if (SPEC.test(entry.name)) {
        unit = true;
      }
    }
  };
  walk(projectDir);
  return { unit, e2e, nxE2e };
}

const TS_INPUTS = ['{workspaceRoot}/tsconfig.base.json', { externalDependencies: ['typescript'] }];

export function qualityTargets(
  workspaceRoot: string,
  projectRoot: string,
  names: QualityTargetNames = DEFAULT_NAMES,
): Record<string, TargetConfiguration> {
  const dir = path.join(workspaceRoot, projectRoot);
  const targets: Record<string, TargetConfiguration> = {};

  targets[names.lint] = {
    executor: 'nx:run-commands',
    options: { command: `eslint ${projectRoot}` },
    cache: true,
    inputs: [
      'default',
      '{workspaceRoot}/eslint.config.mjs',
      { externalDependencies: ['eslint', '@eslint/js', 'typescript-eslint'] },
    ],
    outputs: [],
    metadata: { description: 'ESLint with the layering rules of DESIGN.md (eslint.config.mjs)' },
  };

  if (fs.existsSync(path.join(dir, 'tsconfig.json'))) {
    targets[names.typecheck] = {
      executor: 'nx:run-commands',
      options: { command: `tsc -p ${projectRoot}/tsconfig.json` },
      cache: true,
      // Path aliases point at the sources of the libraries imported, so they are type-checked too.
      inputs: ['default', '^production', ...TS_INPUTS],
      outputs: [],
      metadata: { description: 'tsc --noEmit over the project and the library sources it imports' },
    };
  }

  const kinds = specKinds(dir);
  const jestTarget = (suite: 'unit' | 'e2e' | 'nx-e2e', description: string): TargetConfiguration => ({
    executor: 'nx:run-commands',
    options: { command: `jest --ci --roots ${projectRoot}`, env: { [SUITE_ENV]: suite } },
    cache: true,
    inputs: [
      'default',
      '^production',
      '{workspaceRoot}/jest.config.js',
      ...TS_INPUTS,
      { env: SUITE_ENV },
      { externalDependencies: ['jest', '@swc/jest'] },
    ],
    outputs: [],
    metadata: { description },
  });
  if (kinds.unit) targets[names.test] = jestTarget('unit', 'Unit specs (*.spec.ts) with Jest');
  if (kinds.e2e) {
    targets[names.e2e] = {
      ...jestTarget('e2e', 'End-to-end specs (*.e2e.spec.ts): real builds, VMs, Xen, network namespaces'),
      // They boot VMs and time real output: one at a time, beside nothing else.
      parallelism: false,
    };
  }
  // Nx in scratch workspaces, no VM, namespace or timing: they may share the machine with other tasks.
  if (kinds.nxE2e)
    targets[names.nxE2e] = jestTarget(
      'nx-e2e',
      'End-to-end specs that only drive Nx in scratch workspaces (*.nx-e2e.spec.ts): builds, cache, graph, install',
    );
  return targets;
}
