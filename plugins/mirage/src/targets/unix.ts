import type { Resource } from '@mirage-ts/mirage';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureImages } from '../disk-image/disk-images';
import { imageSize } from '../disk-image/image-size';
import type { PackageContext, RunContext, TargetPaths, UnikernelTarget } from './target';

/**
 * A Node program. `mir-NAME` is a small launcher so that stack traces from
 * the unikernel point at its TypeScript sources (through the bundle's map).
 */
export const unixTarget: UnikernelTarget = {
  name: 'unix',
  description: 'a program for this machine, run with ./mir-NAME',
  options: [],
  // Native addons (the tap device's) are copied next to main.js, and the
  // bundle's require points there, so the program runs from anywhere.
  bundle: { platform: 'node', target: 'node20', loader: { '.node': 'copy' } },

  resourceExpression(resource: Resource, paths: TargetPaths): string {
    // Host files are named relative to the unikernel's folder, found from the
    // bundle's own place, so the program runs from any working directory.
    const appDir = path.relative(paths.outDir, path.join(paths.workspaceRoot, paths.projectRoot));
    switch (resource.kind) {
      case 'block':
        return `require('node:path').resolve(__dirname, ${JSON.stringify(appDir)}, ${JSON.stringify(resource.file)})`;
      case 'data-dir':
        return `require('node:path').resolve(__dirname, ${JSON.stringify(appDir)}, ${JSON.stringify(resource.dir)})`;
      case 'network':
        return JSON.stringify(resource.name);
    }
  },

  async package(ctx: PackageContext): Promise<void> {
    const launcher = path.join(ctx.stagingDir, `mir-${ctx.graph.name}`);
    const script = [
      '#!/bin/sh',
      `# ${ctx.graph.name} for unix, built by Mirage/TS from ${ctx.graph.configFile}.`,
      `exec node --enable-source-maps "$(dirname "$0")/${path.basename(ctx.bundleFile)}" "$@"`,
      '',
    ].join('\n');
    fs.writeFileSync(launcher, script, { mode: 0o755 });
  },

  run(ctx: RunContext): Promise<number> {
    // Like the seed's generate_disk_img.sh, but nobody has to remember it.
    ensureImages({ ...ctx, project: ctx.graph.project }, imageSize({}));
    const launcher = path.join(ctx.outDir, `mir-${ctx.graph.name}`);
    return new Promise((resolve, reject) => {
      const child = spawn(launcher, [...ctx.args], { stdio: 'inherit' });
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  },
};
