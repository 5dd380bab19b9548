import { TARGETS } from '@mirage-ts/mirage';
import type { CreateNodesContext, CreateNodesResult, TargetConfiguration } from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unikernelFacts } from '../analysis/static/unikernel-facts';
import { diskImageInputExclusions } from '../disk-image/input-exclusions';
import { contributedTargets } from './contributed-targets';
import { UNIKERNEL_TAG } from './create-dependencies';
import { PLUGIN_PACKAGE, pluginSourceRoot } from './plugin-location';
import { TARGET_ENV } from './target-flag';

export interface MiragePluginOptions {
  /** Names of the inferred targets, to avoid clashes with targets a workspace already has. */
  readonly configureTargetName?: string;
  readonly buildTargetName?: string;
  readonly runTargetName?: string;
  readonly describeTargetName?: string;
}

export const CONFIG_GLOB = '**/config.ts';

/** A config.ts that declares no foreign entry is some other tool's config file. */
export function isUnikernelConfig(configSource: string): boolean {
  return /\bforeign\s*\(/.test(configSource);
}
const EXECUTORS = '@mirage-ts/nx-plugin';

/**
 * Every folder with a config.ts is a unikernel project, named after the
 * folder, with configure/build/run targets inferred (as `mirage configure`,
 * `make` and `./mir-NAME` are for a MirageOS app).
 */
export function unikernelProject(
  configFile: string,
  options: MiragePluginOptions,
  context: CreateNodesContext,
): CreateNodesResult {
  const root = path.dirname(configFile);
  const configSource = fs.readFileSync(path.join(context.workspaceRoot, configFile), 'utf8');
  if (!isUnikernelConfig(configSource)) return {};
  const name = path.basename(root);
  const names = {
    configure: options.configureTargetName ?? 'configure',
    build: options.buildTargetName ?? 'build',
    run: options.runTargetName ?? 'run',
    describe: options.describeTargetName ?? 'describe',
  };
  const targetFlag = `--target=${TARGETS.join('|')}`;
  const outputs = TARGETS.map((t) => `{workspaceRoot}/dist/apps/{projectName}/${t}`);
  // `production` when the workspace defines it; Nx always defines `default`.
  const sources = context.nxJsonConfiguration?.namedInputs?.production ? 'production' : 'default';
  const inputs = [
    sources,
    ...diskImageInputExclusions(configSource),
    `^${sources}`,
    ...dataInputs(context.workspaceRoot, root),
    { env: TARGET_ENV },
    ...pluginInputs(context.workspaceRoot),
    { externalDependencies: ['esbuild', 'ts-morph'] },
  ];

  const targets: Record<string, TargetConfiguration> = {
    [names.configure]: {
      executor: `${EXECUTORS}:configure`,
      cache: false,
      metadata: {
        description: 'Evaluate config.ts for a target and keys; write the device graph and main.ts',
        help: { command: `npx nx run ${name}:${names.configure} ${targetFlag} [--key=value ...]`, example: {} },
      },
    },
    [names.build]: {
      executor: `${EXECUTORS}:build`,
      cache: true,
      inputs,
      outputs,
      metadata: {
        description: 'Configure, bundle and package the unikernel into dist/apps/<project>/<target>',
        help: { command: `npx nx build ${name} ${targetFlag} [--key=value ...]`, example: {} },
      },
    },
    [names.run]: {
      executor: `${EXECUTORS}:run`,
      cache: false,
      dependsOn: [{ target: names.build, params: 'forward' }],
      metadata: {
        description: 'Build when needed, then run the unikernel (run-time keys are passed through)',
        help: { command: `npx nx run ${name}:${names.run} ${targetFlag} [--key=value ...]`, example: {} },
      },
    },
    [names.describe]: {
      executor: `${EXECUTORS}:describe`,
      cache: false,
      metadata: {
        description: 'Print the resolved device graph for a target and keys; write it as DOT (and SVG with Graphviz)',
        help: { command: `npx nx run ${name}:${names.describe} ${targetFlag} [--key=value ...] [--dot]`, example: {} },
      },
    },
  };

  return {
    projects: {
      [root]: {
        name,
        root,
        projectType: 'application',
        tags: [UNIKERNEL_TAG],
        targets: { ...targets, ...contributedTargets({ name, root, configSource }) },
      },
    },
  };
}

/**
 * Data that config.ts names (`crunch('t')`, `blockOfFile('disk.img')`, a FAT
 * source folder), read from its source without running it. Data inside the
 * unikernel's folder is already part of `production`; naming it keeps the
 * build sound when it lies elsewhere in the workspace.
 */
function dataInputs(workspaceRoot: string, root: string): string[] {
  let dataPaths: readonly string[];
  try {
    dataPaths = unikernelFacts(workspaceRoot, root).dataPaths;
  } catch {
    // config.ts does not parse: the configure step reports it at its line; the folder stays an input.
    return [];
  }
  return dataPaths.flatMap((p) => [`{workspaceRoot}/${p}`, `{workspaceRoot}/${p}/**/*`]);
}

/**
 * A change to the plugin changes what every build produces. Inside this
 * repository the plugin is source, outside it an installed package.
 */
function pluginInputs(workspaceRoot: string): ({ externalDependencies: string[] } | string)[] {
  const rel = pluginSourceRoot(workspaceRoot);
  if (rel !== undefined) return [`{workspaceRoot}/${rel}/src/**/*`, `!{workspaceRoot}/${rel}/src/**/*.spec.ts`];
  return [{ externalDependencies: [PLUGIN_PACKAGE] }];
}
