import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../configure/user-error';
import type { HostTools } from './host-tools';

/** A Linux kernel image and the folder of its modules (lib/modules/VERSION). */
export interface KernelFiles {
  readonly kernel: string;
  readonly modulesDir: string;
  /** Where it came from, for messages: a package name or the paths given. */
  readonly origin: string;
}

/** Debian's kernel for virtual machines: small, PVH-capable, virtio and Xen front-ends as modules. */
export const DEFAULT_KERNEL_PACKAGE = 'linux-image-cloud-amd64';

/** ~/.cache/mirage-ts unless MIRAGE_TS_CACHE or XDG_CACHE_HOME says otherwise: never inside the repository. */
export function cacheDir(): string {
  if (process.env.MIRAGE_TS_CACHE) return process.env.MIRAGE_TS_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'mirage-ts');
}

const KERNEL_FIX =
  'on Debian or Ubuntu run `apt-get update` and build again (the kernel is fetched with `apt-get download ' +
  `${DEFAULT_KERNEL_PACKAGE}\`, no root needed); elsewhere pass your own: --kernel=/path/to/vmlinuz --modules=/path/to/lib/modules/VERSION`;

/**
 * The kernel given with --kernel/--modules, or Debian's cloud kernel from
 * the cache, fetched on first use with the package tools (no root: the .deb
 * is only unpacked, nothing is installed).
 */
export async function findKernel(
  options: { kernel?: string; modules?: string },
  tools: HostTools,
  log: (line: string) => void,
): Promise<KernelFiles> {
  if (options.kernel !== undefined || options.modules !== undefined) return givenKernel(options);
  let pkg: string;
  try {
    pkg = await resolveKernelPackage(tools);
  } catch (e) {
    // Without the package tools (or their lists), a kernel fetched earlier still serves.
    const cached = newestCachedKernel();
    if (!cached) throw e;
    log(`the package tools cannot name the current kernel; using ${cached}, fetched earlier`);
    return kernelInTree(path.join(cacheDir(), 'kernels', cached), cached);
  }
  const dir = path.join(cacheDir(), 'kernels', pkg);
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    log(`fetching the kernel ${pkg} into ${dir} (once)`);
    await fetchKernelPackage(pkg, dir, tools);
  }
  return kernelInTree(dir, pkg);
}

function givenKernel(options: { kernel?: string; modules?: string }): KernelFiles {
  if (!options.kernel) {
    throw new UserError('--modules was given without --kernel', {
      fix: 'pass both: --kernel=/path/to/vmlinuz --modules=/path/to/lib/modules/VERSION',
    });
  }
  const kernel = path.resolve(options.kernel);
  if (!fs.existsSync(kernel) || !fs.statSync(kernel).isFile()) {
    throw new UserError(`the kernel ${kernel} given with --kernel does not exist`, {
      fix: "pass the path of a Linux bzImage (vmlinuz), or leave --kernel out to use Debian's cloud kernel",
    });
  }
  const modulesDir = options.modules ? path.resolve(options.modules) : guessModulesDir(kernel);
  if (!modulesDir || !fs.existsSync(modulesDir) || !fs.statSync(modulesDir).isDirectory()) {
    throw new UserError(
      `no modules folder for the kernel ${kernel}${modulesDir ? ` (${modulesDir} does not exist)` : ''}`,
      {
        fix: 'pass --modules=/path/to/lib/modules/VERSION (the folder with kernel/drivers/...) of the same kernel build',
      },
    );
  }
  return { kernel, modulesDir, origin: kernel };
}

/** A kernel unpacked from a .deb keeps boot/vmlinuz-V beside lib/modules/V. */
function guessModulesDir(kernel: string): string | undefined {
  const m = /^vmlinuz-(.+)$/.exec(path.basename(kernel));
  if (!m) return undefined;
  const root = path.dirname(path.dirname(kernel));
  return path.join(root, 'lib', 'modules', m[1]);
}

function resolveKernelPackage(tools: HostTools): Promise<string> {
  return kernelPackageBehind(DEFAULT_KERNEL_PACKAGE, tools, { problem: 'no kernel available', fix: KERNEL_FIX });
}

/**
 * The versioned package a kernel meta-package depends on today
 * (linux-image-cloud-amd64 -> linux-image-6.1.0-NN-cloud-amd64): the one
 * with the kernel in it. Failures are UserErrors starting with `problem`.
 */
export async function kernelPackageBehind(
  meta: string,
  tools: HostTools,
  failure: { readonly problem: string; readonly fix: string },
): Promise<string> {
  const r = await tools.run('apt-cache', ['depends', meta]);
  if (r.missing) {
    throw new UserError(`${failure.problem}: this host has no Debian package tools (apt-cache) to fetch one`, {
      fix: failure.fix,
    });
  }
  const dep = /Depends:\s*(linux-image-[^\s]+)/.exec(r.stdout.toString('utf8'))?.[1];
  if (r.status !== 0 || !dep) {
    throw new UserError(
      `${failure.problem}: the package lists know no ${meta}${r.stderr ? ` (${r.stderr.trim().split('\n')[0]})` : ''}`,
      {
        fix: failure.fix,
      },
    );
  }
  return dep;
}

function fetchKernelPackage(pkg: string, dir: string, tools: HostTools): Promise<void> {
  return fetchDebianPackages([pkg], dir, tools, { problem: 'no kernel available', fix: KERNEL_FIX });
}

/**
 * Downloads Debian packages with `apt-get download` (no root) and unpacks
 * them all into DIR/root with `dpkg-deb -x`, nothing installed. DIR appears
 * whole or not at all (built beside it, then renamed), with a `.complete`
 * file listing the .debs. Failures are UserErrors starting with `problem`.
 */
export async function fetchDebianPackages(
  pkgs: readonly string[],
  dir: string,
  tools: HostTools,
  failure: { readonly problem: string; readonly fix: string },
): Promise<void> {
  const work = `${dir}.partial-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  try {
    const dl = await tools.run('apt-get', ['download', ...pkgs], { cwd: work });
    const debs = fs
      .readdirSync(work)
      .filter((f) => f.endsWith('.deb'))
      .sort();
    if (dl.missing || dl.status !== 0 || debs.length < pkgs.length) {
      throw new UserError(
        `${failure.problem}: \`apt-get download ${pkgs.join(' ')}\` failed${dl.stderr ? `: ${lastLine(dl.stderr)}` : ''}`,
        { fix: failure.fix },
      );
    }
    for (const deb of debs) {
      const x = await tools.run('dpkg-deb', ['-x', path.join(work, deb), path.join(work, 'root')]);
      if (x.missing || x.status !== 0) {
        throw new UserError(`${failure.problem}: cannot unpack ${deb}${x.stderr ? `: ${lastLine(x.stderr)}` : ''}`, {
          fix: failure.fix,
        });
      }
      fs.rmSync(path.join(work, deb));
    }
    fs.writeFileSync(path.join(work, '.complete'), `${debs.join('\n')}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.renameSync(work, dir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function kernelInTree(dir: string, origin: string): KernelFiles {
  const boot = path.join(dir, 'root', 'boot');
  const vmlinuz = fs.existsSync(boot) ? fs.readdirSync(boot).find((f) => f.startsWith('vmlinuz-')) : undefined;
  if (!vmlinuz) {
    throw new UserError(`the cached kernel in ${dir} has no boot/vmlinuz-*`, { fix: `remove ${dir} and build again` });
  }
  const version = vmlinuz.slice('vmlinuz-'.length);
  return { kernel: path.join(boot, vmlinuz), modulesDir: path.join(dir, 'root', 'lib', 'modules', version), origin };
}

function newestCachedKernel(): string | undefined {
  const dir = path.join(cacheDir(), 'kernels');
  if (!fs.existsSync(dir)) return undefined;
  return fs
    .readdirSync(dir)
    .filter((d) => fs.existsSync(path.join(dir, d, '.complete')))
    .map((d) => ({ d, at: fs.statSync(path.join(dir, d, '.complete')).mtimeMs }))
    .sort((a, b) => b.at - a.at || a.d.localeCompare(b.d))[0]?.d;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}
