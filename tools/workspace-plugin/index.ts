/**
 * This workspace's own Nx plugin: lint, typecheck, test, e2e and nx-e2e targets for
 * every project (libraries, the plugin, tools, and each unikernel app).
 */
import { createNodesFromFiles, type CreateNodes } from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUnikernelConfig } from '../../plugins/mirage/src/plugin/create-nodes';
import { DEFAULT_NAMES, qualityTargets, type QualityTargetNames } from './quality-targets';
import { releaseTargets } from './release-targets';

export type WorkspacePluginOptions = Partial<QualityTargetNames>;

export const createNodes: CreateNodes<WorkspacePluginOptions> = [
  '**/{project.json,config.ts}',
  (files, options, context) =>
    createNodesFromFiles(
      (file, opts, ctx) => {
        const root = path.dirname(file);
        // config.ts makes a project only where it declares a unikernel (the mirage plugin names it).
        if (path.basename(file) === 'config.ts') {
          const source = fs.readFileSync(path.join(ctx.workspaceRoot, file), 'utf8');
          if (!isUnikernelConfig(source)) return {};
        }
        return {
          projects: {
            [root]: {
              root,
              targets: {
                ...qualityTargets(ctx.workspaceRoot, root, { ...DEFAULT_NAMES, ...opts }),
                ...releaseTargets(ctx.workspaceRoot, root),
              },
            },
          },
        };
      },
      files,
      options ?? {},
      context,
    ),
];
