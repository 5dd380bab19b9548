import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { UserError } from '../../plugins/mirage/src/configure/user-error';
import type { HostTools } from '../../plugins/mirage/src/targets/vm/host-tools';
import { cacheDir, fetchDebianPackages, kernelPackageBehind } from '../../plugins/mirage/src/targets/vm/kernel';

/** Debian's Xen release the harness boots, and the dom0 kernel (the standard one: the cloud kernel cannot be a dom0). */
export const XEN_VERSION = '4.17';
export const DOM0_KERNEL_PACKAGE = 'linux-image-amd64';

/**
 * Everything the test dom0 runs, downloaded, never installed: the
 * hypervisor, the xl toolstack and the Xen libraries it links to. The
 * other libraries they need (libc, zlib, liblzma, libzstd, libuuid,
 * libgcc_s) are essential packages, taken from the host.
 */
export const XEN_PACKAGES = [
  `xen-hypervisor-${XEN_VERSION}-amd64`,
  `xen-utils-${XEN_VERSION}`,
  `libxenmisc${XEN_VERSION}`,
  'libxencall1',
  'libxendevicemodel1',
  'libxenevtchn1',
  'libxenforeignmemory1',
  'libxengnttab1',
  'libxenhypfs1',
  'libxenstore4',
  'libxentoolcore1',
  'libxentoollog1',
  'libyajl2',
  // xenstore-read/-write, for the block hotplug script.
  'xenstore-utils',
] as const;

export interface XenHost {
  /** The hypervisor, gunzipped (QEMU's multiboot loader takes no gzip). */
  readonly hypervisor: string;
  readonly dom0Kernel: string;
  readonly dom0Modules: string;
  /** The unpacked packages: usr/lib/xen-4.17/bin, usr/lib/x86_64-linux-gnu... */
  readonly root: string;
  readonly toolsDir: string;
  readonly libDir: string;
  /** `package=version`, as the cache key was made from. */
  readonly versions: readonly string[];
}

const FIX =
  'run `apt-get update` on this Debian 12 host (the Xen packages come from the bookworm archive with `apt-get download`, no root, ' +
  'nothing installed); behind a proxy, configure apt for it';

/**
 * The Xen packages and dom0 kernel in ~/.cache/mirage-ts/xen/<key>, the key
 * made of the exact package versions the package lists name today: a new
 * Debian point release fetches afresh, an unchanged one reuses the folder.
 */
export async function xenHost(tools: HostTools, log: (line: string) => void = () => undefined): Promise<XenHost> {
  const kernelPackage = await kernelPackageBehind(DOM0_KERNEL_PACKAGE, tools, {
    problem: 'cannot fetch the Xen packages',
    fix: FIX,
  });
  const pkgs = [...XEN_PACKAGES, kernelPackage];
  const candidates = await candidateVersions(pkgs, tools);
  const versions = pkgs.map((p) => `${p}=${candidates.get(p)}`);
  const key = `${XEN_VERSION}-${createHash('sha256').update(versions.join('\n')).digest('hex').slice(0, 12)}`;
  const dir = path.join(cacheDir(), 'xen', key);
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    log(`fetching Xen ${XEN_VERSION} and ${kernelPackage} into ${dir} (once)`);
    await fetchDebianPackages(versions, dir, tools, { problem: 'cannot fetch the Xen packages', fix: FIX });
  }
  const root = path.join(dir, 'root');
  const boot = path.join(root, 'boot');
  const gz = path.join(boot, `xen-${XEN_VERSION}-amd64.gz`);
  const hypervisor = path.join(dir, `xen-${XEN_VERSION}-amd64`);
  if (!fs.existsSync(hypervisor)) {
    if (!fs.existsSync(gz))
      throw new Error(
        `${dir}: the hypervisor package holds no boot/${path.basename(gz)}; remove the folder and try again`,
      );
    fs.writeFileSync(`${hypervisor}.tmp`, zlib.gunzipSync(fs.readFileSync(gz)));
    fs.renameSync(`${hypervisor}.tmp`, hypervisor);
  }
  const vmlinuz = fs.readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new Error(`${dir}: ${kernelPackage} holds no boot/vmlinuz-*; remove the folder and try again`);
  return {
    hypervisor,
    dom0Kernel: path.join(boot, vmlinuz),
    dom0Modules: path.join(root, 'lib/modules', vmlinuz.slice('vmlinuz-'.length)),
    root,
    toolsDir: path.join(root, `usr/lib/xen-${XEN_VERSION}/bin`),
    libDir: path.join(root, 'usr/lib/x86_64-linux-gnu'),
    versions,
  };
}

/** One `apt-cache policy` for all (each call reads the package lists, ≈ 0.7 s). */
async function candidateVersions(pkgs: readonly string[], tools: HostTools): Promise<Map<string, string>> {
  const r = await tools.run('apt-cache', ['policy', ...pkgs]);
  const found = new Map<string, string>();
  let current: string | undefined;
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) current = head[1];
    const v = /^\s+Candidate:\s*(\S+)/.exec(line)?.[1];
    if (current && v && v !== '(none)') found.set(current, v);
  }
  const missing = pkgs.find((p) => !found.has(p));
  if (r.missing || r.status !== 0 || missing) {
    throw new UserError(
      `cannot fetch the Xen packages: the package lists know no ${missing ?? pkgs[0]}${r.missing ? ' (apt-cache is not installed)' : ''}`,
      { fix: FIX },
    );
  }
  return found;
}
