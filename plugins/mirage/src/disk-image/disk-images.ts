import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedGraph } from '../configure/resolved-graph';
import { UserError } from '../configure/user-error';
import type { Logger } from '../targets/target';
import { describeSize, type ImageSize } from './image-size';

/**
 * Where disk images live: beside config.ts, in the app's own folder, as
 * disk.img sits beside config.ml in the seed (`./generate_disk_img.sh`, then
 * `./mir-block_test`). The unix target opens block files there, a VM's
 * configuration attaches them from there, and they survive rebuilds, which
 * dist/ (replaced by every build) would not give them. An image changes on
 * every run, so it must not count as a build input: the build target
 * excludes the block files config.ts names and *.img (see
 * input-exclusions.ts), and .gitignore's *.img keeps Nx from hashing the
 * file at all.
 */
export function imagePath(workspaceRoot: string, projectRoot: string, file: string): string {
  return path.resolve(workspaceRoot, projectRoot, file);
}

/** The block files the resolved graph opens (each once, in connect order). */
export function blockFiles(graph: ResolvedGraph): string[] {
  const files: string[] = [];
  for (const device of graph.devices) {
    for (const arg of device.args) {
      if (arg.kind === 'resource' && arg.resource.kind === 'block' && !files.includes(arg.resource.file))
        files.push(arg.resource.file);
    }
  }
  return files;
}

export type ImageOutcome = 'created' | 'replaced' | 'kept';

/**
 * Makes `file` an image of `size`, all zeros. The file is sparse: it costs
 * no disk space until written, and reads as zeros as dd's output does. A
 * new image is written beside the target and renamed over it, so a failure
 * leaves any existing image as it was. An existing image is kept unless
 * `force`; if it has another size, that is an error rather than a surprise.
 */
export function writeImage(
  file: string,
  size: ImageSize,
  options: { force?: boolean; shown?: string } = {},
): ImageOutcome {
  const shown = options.shown ?? file;
  const existing = statOrUndefined(file);
  if (existing && !existing.isFile()) {
    throw new UserError(`${shown} exists and is not a file`, {
      fix: `move it away, or name another file in blockOfFile(...)`,
    });
  }
  if (existing && !options.force) {
    if (BigInt(existing.size) === size.bytes) return 'kept';
    throw new UserError(
      `${shown} already exists with ${existing.size} bytes, not the ${size.bytes} asked for; nothing was changed`,
      {
        fix: 'add --force to replace it with a zeroed image (its contents are lost), or ask for its current size',
      },
    );
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const staging = `${file}.${process.pid}.partial`;
  try {
    const fd = fs.openSync(staging, 'wx', 0o644);
    try {
      fs.ftruncateSync(fd, Number(size.bytes));
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(staging, file);
  } catch (e) {
    fs.rmSync(staging, { force: true });
    throw new UserError(`cannot create ${shown}: ${e instanceof Error ? e.message : String(e)}`, {
      fix: 'check that the folder is writable and the disk has room',
    });
  }
  return existing ? 'replaced' : 'created';
}

export interface EnsureImagesContext {
  readonly workspaceRoot: string;
  readonly projectRoot: string;
  readonly project: string;
  readonly graph: ResolvedGraph;
  readonly logger: Logger;
}

/**
 * The run step's part: every block file the unikernel opens exists before
 * it starts. A missing one is created at the default size and the user is
 * told, with the command that makes another size.
 */
export function ensureImages(ctx: EnsureImagesContext, size: ImageSize): void {
  for (const file of blockFiles(ctx.graph)) {
    const target = imagePath(ctx.workspaceRoot, ctx.projectRoot, file);
    if (fs.existsSync(target)) continue;
    const shown = path.relative(ctx.workspaceRoot, target);
    ctx.logger.info(
      `${shown} does not exist: creating it, ${describeSize(size)} of zeros ` +
        `(another size: npx nx run ${ctx.project}:disk-image --sectors=N --force).`,
    );
    writeImage(target, size, { shown });
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
