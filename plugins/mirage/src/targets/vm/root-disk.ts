import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../configure/user-error';
import type { HostTools } from './host-tools';
import { cacheDir } from './kernel';

export const ROOT_DISK_FILE = 'root.squashfs';

/**
 * Folders of the root disk: mount points the init binds its own /dev,
 * /proc, /sys, /tmp and /etc onto before it runs Node inside it.
 */
const MOUNT_POINTS = ['dev', 'proc', 'sys', 'tmp', 'etc', 'app'];

/**
 * Options that make mksquashfs write the same bytes for the same files:
 * owners, times and xattrs of the build host left out. zstd level 19 with
 * 128K blocks is the measured trade-off (FACTS.md "VM image diet"): xz is
 * smaller but costs seconds of boot, erofs lz4 is larger.
 */
const SQUASHFS_OPTIONS = [
  '-all-root',
  '-mkfs-time',
  '0',
  '-all-time',
  '0',
  '-no-xattrs',
  '-comp',
  'zstd',
  '-Xcompression-level',
  '19',
  '-b',
  '128K',
  '-quiet',
  '-no-progress',
];

/**
 * The read-only root disk: Node and its libraries (compressed once and
 * cached by their content: that is the slow part), then the unikernel's
 * /app appended, which takes a moment. Same inputs, same bytes.
 */
export async function buildRootDisk(
  runtime: ReadonlyMap<string, string>,
  app: ReadonlyMap<string, Uint8Array>,
  out: string,
  tools: HostTools,
  log: (line: string) => void,
): Promise<void> {
  const base = await runtimeDisk(runtime, tools, log);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-root-'));
  try {
    const tree = path.join(work, 'tree');
    fs.mkdirSync(path.join(tree, 'app'), { recursive: true });
    for (const [name, data] of app) fs.writeFileSync(path.join(tree, 'app', name), data);
    normaliseModes(tree, 0o644);
    const partial = `${out}.partial`;
    fs.copyFileSync(base, partial);
    await mksquashfs(tree, partial, [], tools);
    fs.renameSync(partial, out);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Runtime files by path inside the disk -> host file. */
async function runtimeDisk(runtime: ReadonlyMap<string, string>, tools: HostTools, log: (line: string) => void) {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(SQUASHFS_OPTIONS));
  const sorted = [...runtime].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [inside, host] of sorted) hash.update(inside).update('\0').update(fs.readFileSync(host));
  const file = path.join(cacheDir(), 'root-disks', `runtime-${hash.digest('hex').slice(0, 20)}.squashfs`);
  if (fs.existsSync(file)) return file;
  log('root disk: compressing Node and its libraries (once; cached)');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-runtime-'));
  try {
    const tree = path.join(work, 'tree');
    for (const d of MOUNT_POINTS.filter((m) => m !== 'app')) fs.mkdirSync(path.join(tree, d), { recursive: true });
    for (const [inside, host] of sorted) {
      const target = path.join(tree, inside);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(host, target);
    }
    normaliseModes(tree, 0o755);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.partial-${process.pid}`;
    await mksquashfs(tree, partial, ['-noappend'], tools);
    fs.renameSync(partial, file);
    return file;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Modes independent of the build host's umask: folders 0755, files as given. */
function normaliseModes(dir: string, fileMode: number): void {
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) normaliseModes(p, fileMode);
    else fs.chmodSync(p, fileMode);
  }
}

async function mksquashfs(tree: string, image: string, extra: readonly string[], tools: HostTools): Promise<void> {
  const r = await tools.run('mksquashfs', [tree, image, ...extra, ...SQUASHFS_OPTIONS]);
  if (r.missing) {
    throw new UserError('the VM image needs mksquashfs to write its root disk, and it is not installed', {
      fix: 'apt-get install squashfs-tools',
    });
  }
  if (r.status !== 0) throw new Error(`mksquashfs failed: ${r.stderr.trim()}`);
}
