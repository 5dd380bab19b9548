import * as fs from 'node:fs';
import * as path from 'node:path';
import { CpioTree, type CpioEntry } from '../../plugins/mirage/src/targets/vm/cpio';
import type { HostTools } from '../../plugins/mirage/src/targets/vm/host-tools';
import { hasInterpreter } from '../../plugins/mirage/src/targets/vm/initramfs';
import { modulesInLoadOrder } from '../../plugins/mirage/src/targets/vm/kernel-modules';
import {
  ATTACH_CONSOLE_SCRIPT,
  CREATE_DOMAIN_SCRIPT,
  DOM0_PATHS,
  dom0InitScript,
  HARNESS_MARK,
  TCP_SCRIPT,
  type Dom0Init,
} from './dom0-init';
import {
  COMMAND_PROLOGUE,
  commandPrologue,
  GROUP,
  NETWORK_BIN,
  NETWORK_MODULES,
  NETWORK_PROGRAMS,
  PASSWD,
  vifHotplugScript,
} from './dom0-network';
import type { XenHost } from './xen-packages';

/** Programs (inside the unpacked packages) a dom0 needs to create one domain, show its console and attach its disks. */
export const DOM0_PROGRAMS = [
  'usr/lib/xen-4.17/bin/xl',
  'usr/lib/xen-4.17/bin/xenstored',
  'usr/lib/xen-4.17/bin/xenconsoled',
  'usr/lib/xen-4.17/bin/xenconsole',
  'usr/lib/xen-4.17/bin/xen-init-dom0',
  'usr/lib/xen-4.17/bin/libxl-save-helper',
  'usr/bin/xenstore',
] as const;

/** xenstore is one program that acts as its name says. */
const XENSTORE_NAMES = ['xenstore-read', 'xenstore-write', 'xenstore-exists', 'xenstore-rm', 'xenstore-ls'];

/**
 * Kernel modules of the dom0: the Xen devices the toolstack opens; the
 * block back-end, loop devices and the virtio disk that carries a domU
 * disk in from the host.
 */
export const DOM0_MODULES = [
  'xen-evtchn',
  'xen-gntdev',
  'xen-gntalloc',
  'xen-privcmd',
  'xenfs',
  'xen-blkback',
  'loop',
  'virtio_pci',
  'virtio_blk',
] as const;

/**
 * libxl runs /etc/xen/scripts/block for every `phy:` disk. Debian's is a
 * bash script with many helpers; this dom0 has only busybox, and a block
 * device needs one thing: its major:minor (hexadecimal) in xenstore, for
 * blkback.
 */
export const BLOCK_HOTPLUG_SCRIPT = `#!/bin/busybox sh
case "$1" in
  add)
    dev=$(xenstore-read "$XENBUS_PATH/params") || exit 1
    [ -b "$dev" ] || { echo "block: $dev is not a block device" >&2; exit 1; }
    xenstore-write "$XENBUS_PATH/physical-device" "$(stat -L -c '%t:%T' "$dev")" || exit 1
    xenstore-write "$XENBUS_PATH/hotplug-status" connected ;;
  remove) ;;
esac
`;

export interface Dom0Inputs {
  readonly host: XenHost;
  readonly busybox: string;
  readonly init: Dom0Init;
  /** The xl configuration, already with dom0 paths in it (the one domain of a boot that is not a session). */
  readonly xlConfig?: string;
  /** A session's domains: name -> xl configuration. */
  readonly domainXl?: ReadonlyMap<string, string>;
  /** Files the domain needs inside dom0 (its kernel, ramdisk, disks), by name under /domu. */
  readonly domuFiles: ReadonlyMap<string, string>;
}

/**
 * The dom0's initramfs: busybox, the xl toolstack with every shared object
 * it loads (found with the host's ldd, the unpacked Xen libraries first on
 * the search path), the dom0 modules, the init, and the domain's files.
 */
export async function dom0Entries(inputs: Dom0Inputs, tools: HostTools): Promise<CpioEntry[]> {
  const tree = new CpioTree(['proc', 'sys', 'dev', 'tmp', 'root', 'bin', 'var', 'run']);
  const file = tree.file.bind(tree);

  const busybox = fs.readFileSync(inputs.busybox);
  if (hasInterpreter(busybox))
    throw new Error(
      `${inputs.busybox} is dynamically linked; the dom0 needs busybox-static (apt-get install busybox-static)`,
    );
  file('bin/busybox', busybox, 0o755);
  file('init', Buffer.from(dom0InitScript(inputs.init)), 0o755);

  const programs: string[] = DOM0_PROGRAMS.map((p) => path.join(inputs.host.root, p));
  for (const p of programs) {
    if (!fs.existsSync(p))
      throw new Error(
        `the Xen packages in ${inputs.host.root} have no ${path.relative(inputs.host.root, p)}; remove that folder and try again`,
      );
    file(`${DOM0_PATHS.toolsDir}/${path.basename(p)}`, fs.readFileSync(p), 0o755);
  }
  for (const name of XENSTORE_NAMES) tree.symlink(`${DOM0_PATHS.toolsDir}/${name}`, 'xenstore');
  if (inputs.init.network) {
    for (const p of NETWORK_PROGRAMS) {
      if (!fs.existsSync(p.from)) {
        if (p.optional) continue;
        throw new Error(
          `the test dom0's network needs ${p.from}: apt-get install ${p.as === 'nc' ? 'netcat-openbsd' : 'dnsmasq-base'}`,
        );
      }
      file(`${NETWORK_BIN}/${p.as}`, fs.readFileSync(p.from), 0o755);
      programs.push(p.from);
    }
    file('etc/xen/scripts/vif-bridge', Buffer.from(vifHotplugScript(HARNESS_MARK)), 0o755);
    file('etc/passwd', Buffer.from(PASSWD));
    file('etc/group', Buffer.from(GROUP));
  }
  const libs = new Map<string, string>();
  for (const p of programs)
    for (const [soname, real] of await sharedObjects(p, inputs.host.libDir, tools)) libs.set(soname, real);
  // glibc loads libgcc_s with dlopen when a thread is cancelled; ldd cannot see that.
  const gcc = '/lib/x86_64-linux-gnu/libgcc_s.so.1';
  if (fs.existsSync(gcc)) libs.set(gcc, gcc);
  for (const [wanted, real] of [...libs].sort(([a], [b]) => a.localeCompare(b))) {
    // Every library goes to the path the loader searches, whichever folder it came from.
    const at = wanted.startsWith('/lib64/') ? wanted : path.join('/usr/lib/x86_64-linux-gnu', path.basename(wanted));
    file(at.slice(1), fs.readFileSync(real), 0o755);
  }

  const modules = modulesInLoadOrder(inputs.host.dom0Modules, [
    ...DOM0_MODULES,
    ...(inputs.init.network ? NETWORK_MODULES : []),
    // A session's commands come in on a virtio-serial port.
    ...(inputs.init.session ? ['virtio_console'] : []),
  ]);
  file(DOM0_PATHS.modules, Buffer.from(modules.map((m) => `${m.name}\n`).join('')));
  for (const m of modules) file(`lib/modules/${m.name}.ko`, fs.readFileSync(m.file));

  if (inputs.xlConfig !== undefined) file(DOM0_PATHS.xlConfig, Buffer.from(inputs.xlConfig));
  for (const [name, xl] of inputs.domainXl ?? []) file(`${DOM0_PATHS.xlDir}/${name}.xl`, Buffer.from(xl));
  if (inputs.init.session) file(COMMAND_PROLOGUE, Buffer.from(inputs.init.network ? commandPrologue() : ''));
  if (inputs.init.session) {
    file(DOM0_PATHS.createDomain, Buffer.from(CREATE_DOMAIN_SCRIPT), 0o755);
    file(DOM0_PATHS.attachConsole, Buffer.from(ATTACH_CONSOLE_SCRIPT), 0o755);
    if (inputs.init.network) file(DOM0_PATHS.tcp, Buffer.from(TCP_SCRIPT), 0o755);
  }
  // xl's defaults are right for this dom0; an empty file spares a warning.
  file('etc/xen/xl.conf', Buffer.from('# test dom0: xl defaults\n'));
  for (const [name, from] of inputs.domuFiles) file(`${DOM0_PATHS.domuDir}/${name}`, fs.readFileSync(from));
  file('etc/xen/scripts/block', Buffer.from(BLOCK_HOTPLUG_SCRIPT), 0o755);

  return tree.sorted();
}

/** name-or-path -> real file of every shared object `ldd` lists for a program (the loader by its absolute path). */
async function sharedObjects(program: string, libDir: string, tools: HostTools): Promise<Map<string, string>> {
  const r = await tools.run('env', [`LD_LIBRARY_PATH=${libDir}`, 'ldd', program]);
  if (r.missing || r.status !== 0) throw new Error(`ldd ${program} failed: ${r.stderr.trim()}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    if (/not found/.test(line))
      throw new Error(`${path.basename(program)} needs ${line.trim()}: install the package that has it`);
    const m = /^\s*(\S+)\s+=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (!m) continue;
    const [name, where] = m[2] ? [m[1], m[2]] : [m[1], m[1]];
    out.set(name.startsWith('/') ? name : `/${name}`, fs.realpathSync(where));
  }
  return out;
}
