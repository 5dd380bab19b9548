import { TARGETS } from '@mirage-ts/mirage';
import type { CreateNodesContext, CreateNodesResult, TargetConfiguration } from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diskImageInputExclusions } from '../disk-image/input-exclusions';
import { contributedTargets } from './contributed-targets';
import { TARGET_ENV } from './target-flag';

export interface MiragePluginOptions {
  /** Names of the inferred targets, to avoid clashes with targets a workspace already has. */
  readonly configureTargetName?: string;
  readonly buildTargetName?: string;
  readonly runTargetName?: string;
}

export const CONFIG_GLOB = '**/config.ts';
const EXECUTORS = '@mirage-ts/nx-plugin';

/**
 * Every folder with a config.ts is a unikernel project, named after the
 * folder, with configure/build/run targets inferred (as `mirage configure`,
 * `make` and `./mir-NAME` are for a MirageOS app).
 */
export function unikernelProject(configFile: string, options: MiragePluginOptions, context: CreateNodesContext): CreateNodesResult {
  const root = path.dirname(configFile);
  const configSource = fs.readFileSync(path.join(context.workspaceRoot, configFile), 'utf8');
  // A config.ts that declares no foreign entry is some other tool's config file.
  if (!/\bforeign\s*\(/.test(configSource)) return {};
  const name = path.basename(root);
  const names = {
    configure: options.configureTargetName ?? 'configure',
    build: options.buildTargetName ?? 'build',
    run: options.runTargetName ?? 'run',
  };
  const targetFlag = `--target=${TARGETS.join('|')}`;
  const outputs = TARGETS.map((t) => `{workspaceRoot}/dist/apps/{projectName}/${t}`);
  const inputs = [
    'production',
    ...diskImageInputExclusions(configSource),
    '^production',
    { env: TARGET_ENV },
    ...pluginInputs(context.workspaceRoot),
    { externalDependencies: ['esbuild'] },
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
  };

  return {
    projects: {
      [root]: {
        name,
        root,
        projectType: 'application',
        tags: ['type:unikernel'],
        targets: { ...targets, ...contributedTargets({ name, root, configSource }) },
      },
    },
  };
}

/**
 * A change to the plugin changes what every build produces. Inside this
 * repository the plugin is source, outside it an installed package.
 */
function pluginInputs(workspaceRoot: string): ({ externalDependencies: string[] } | string)[] {
  const pluginRoot = path.resolve(__dirname, '..', '..');
  const rel = path.relative(workspaceRoot, pluginRoot);
  if (!rel.startsWith('..') && !path.isAbsolute(rel) && !rel.split(path.sep).includes('node_modules')) {
    return [`{workspaceRoot}/${rel.split(path.sep).join('/')}/src/**/*`, `!{workspaceRoot}/${rel.split(path.sep).join('/')}/src/**/*.spec.ts`];
  }
  return [{ externalDependencies: ['@mirage-ts/nx-plugin'] }];
}
