import type { Resource } from '@mirage-ts/mirage';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureImages } from '../disk-image/disk-images';
import { imageSize } from '../disk-image/image-size';
import type { PackageContext, RunContext, TargetPaths, UnikernelTarget } from './target';

/**
 * glibc's malloc asks the kernel for transparent huge pages (where the kernel
 * allows them on request). A network stack writes what it receives into
 * fresh buffers, and V8 frees dropped ones only at its next young-generation
 * GC: until then every 4 KiB page is touched for the first time, a fault
 * costing 11-16 us each on a VM such as this project's CI machine. In 2 MiB
 * pages, 64 MiB received over a tap took ~2 000 faults instead of ~10 000, and
 * ran 2 200 -> 3 650 Mbit/s (tools/bench/notes/tcp-profile.md). The cost is a
 * few MB of resident memory. A `glibc.malloc.hugetlb` the user set is kept.
 */
export const MALLOC_TUNABLE = 'glibc.malloc.hugetlb=1';

/** `GLIBC_TUNABLES` with MALLOC_TUNABLE added unless it already says how malloc uses huge pages. */
export function withMallocTunable(current: string | undefined): string {
  if (current && /(^|:)glibc\.malloc\.hugetlb=/.test(current)) return current;
  return current ? `${current}:${MALLOC_TUNABLE}` : MALLOC_TUNABLE;
}

/**
 * A Node program. `mir-NAME` is a small launcher so that stack traces from
 * the unikernel point at its TypeScript sources (through the bundle's map),
 * and malloc uses huge pages (MALLOC_TUNABLE, same rule as withMallocTunable).
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
      'case ":${GLIBC_TUNABLES-}" in',
      '  *:glibc.malloc.hugetlb=*) ;;',
      `  *) GLIBC_TUNABLES="\${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}${MALLOC_TUNABLE}"; export GLIBC_TUNABLES ;;`,
      'esac',
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
