import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { UserError } from '../../configure/user-error';
import { CpioTree, type CpioEntry } from './cpio';
import type { HostTools } from './host-tools';
import {
  CONTROL_DIR,
  initScript,
  SHUTDOWN_HELPERS,
  shutdownHelper,
  MODULE_LIST,
  UDHCPC_SCRIPT,
  udhcpcScript,
  type InitSettings,
} from './init-script';
import type { KernelModule } from './kernel-modules';

export interface InitramfsInputs {
  /** A statically linked busybox. */
  readonly busybox: string;
  readonly modules: readonly KernelModule[];
  readonly init: InitSettings;
}

/**
 * The small initramfs the kernel unpacks into RAM: busybox, the init and
 * the modules it loads to reach the root disk. Node and the unikernel are
 * on the root disk (root-disk.ts), read from it on demand, so guest memory
 * does not grow with them.
 */
export function initramfsEntries(inputs: InitramfsInputs): CpioEntry[] {
  const tree = new CpioTree(['proc', 'sys', 'dev', 'tmp', 'root', 'etc/mirage', 'bin', 'sysroot']);
  const file = tree.file.bind(tree);

  file('init', Buffer.from(initScript(inputs.init)), 0o755);
  file(UDHCPC_SCRIPT, Buffer.from(udhcpcScript), 0o755);
  for (const helper of SHUTDOWN_HELPERS) file(helper, Buffer.from(shutdownHelper(CONTROL_DIR)), 0o755);
  file(MODULE_LIST, Buffer.from(inputs.modules.map((m) => `${m.name}\n`).join('')));
  for (const m of inputs.modules) file(`lib/modules/${m.name}.ko`, fs.readFileSync(m.file));

  file('bin/busybox', readStaticBusybox(inputs.busybox), 0o755);
  return tree.sorted();
}

/**
 * Node and its shared libraries at the paths its dynamic loader looks for
 * them (path inside the root disk -> host file). Nothing else: no shell
 * profile, no package manager.
 */
export async function runtimeFiles(node: string, tools: HostTools): Promise<Map<string, string>> {
  const files = new Map<string, string>([['bin/node', node]]);
  for (const lib of await sharedLibraries(node, tools)) files.set(lib.replace(/^\/+/, ''), fs.realpathSync(lib));
  return files;
}

export type Compression = 'zstd' | 'gzip' | 'xz' | 'none';
export const COMPRESSIONS: readonly Compression[] = ['zstd', 'gzip', 'xz', 'none'];
export const COMPRESSED_EXTENSION: Record<Compression, string> = { zstd: 'zst', gzip: 'gz', xz: 'xz', none: 'raw' };

/**
 * The archive compressed as the kernel can unpack it. zstd -3 is the
 * default, chosen by measurement (README): smaller than gzip -6, built in a
 * third of the time, and unpacked by the guest for about the same CPU. Without the
 * zstd program the build says so and uses gzip, which runs in-process. xz
 * (with the CRC32 check the kernel wants) gives the smallest file at many
 * times the build and unpack time.
 */
export async function compressArchive(
  cpio: Buffer,
  how: Compression,
  tools: HostTools,
  log: (line: string) => void = () => undefined,
): Promise<{ data: Buffer; compression: Compression }> {
  switch (how) {
    case 'none':
      return { data: cpio, compression: how };
    case 'gzip':
      return { data: zlib.gzipSync(cpio, { level: 6 }), compression: how };
    case 'zstd':
    case 'xz': {
      // One thread: the same bytes whatever the machine's core count.
      const args = how === 'zstd' ? ['-q', '-c', '-3', '-T1'] : ['-c', '-6', '--check=crc32', '-T1'];
      const r = await tools.run(how, args, { input: cpio });
      if (r.missing && how === 'zstd') {
        log(
          'zstd is not installed: compressing with gzip instead (apt-get install zstd for a smaller image that boots with less CPU)',
        );
        return compressArchive(cpio, 'gzip', tools, log);
      }
      if (r.missing) {
        throw new UserError('--compression=xz needs the xz program, which is not installed', {
          fix: 'install it (apt-get install xz-utils) or leave --compression out',
        });
      }
      if (r.status !== 0) throw new Error(`${how} failed: ${r.stderr}`);
      return { data: r.stdout, compression: how };
    }
  }
}

/** Absolute paths of the shared objects `ldd` lists for a binary, the loader included. */
async function sharedLibraries(binary: string, tools: HostTools): Promise<string[]> {
  const r = await tools.run('ldd', [binary]);
  if (r.missing || r.status !== 0) {
    throw new UserError(
      `cannot list the shared libraries of ${binary} (ldd ${r.missing ? 'is not installed' : `failed: ${r.stderr.trim()}`})`,
      {
        fix: 'build on a glibc Linux host with ldd (Debian package libc-bin)',
      },
    );
  }
  const libs = new Set<string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]);
  }
  return [...libs].sort();
}

function readStaticBusybox(file: string): Buffer {
  if (!fs.existsSync(file)) {
    throw new UserError(`busybox is not installed (looked for ${file})`, {
      fix: 'install a statically linked one: apt-get install busybox-static (or pass --busybox=/path/to/busybox)',
    });
  }
  const data = fs.readFileSync(file);
  if (hasInterpreter(data)) {
    throw new UserError(`${file} is dynamically linked; the image needs a static busybox`, {
      fix: 'apt-get install busybox-static (it replaces the dynamic busybox), or pass --busybox=/path/to/static/busybox',
    });
  }
  return data;
}

/** True for an ELF64 file with a PT_INTERP program header (a dynamically linked program). */
export function hasInterpreter(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 <= elf.length && elf.readUInt32LE(at) === 3) return true;
  }
  return false;
}

/** What the bundle step left in the staging folder for the guest: main.js, its map, native addons. */
export function appFiles(stagingDir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const n of fs.readdirSync(stagingDir).sort()) {
    if (n === 'main.js' || n === 'main.js.map' || n.endsWith('.node'))
      files.set(n, fs.readFileSync(path.join(stagingDir, n)));
  }
  return files;
}
