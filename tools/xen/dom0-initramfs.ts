import * as fs from 'node:fs';
import * as path from 'node:path';
import { sortEntries, type CpioEntry } from '../../plugins/mirage/src/targets/vm/cpio';
import type { HostTools } from '../../plugins/mirage/src/targets/vm/host-tools';
import { hasInterpreter } from '../../plugins/mirage/src/targets/vm/initramfs';
import { modulesInLoadOrder } from '../../plugins/mirage/src/targets/vm/kernel-modules';
import { DOM0_PATHS, dom0InitScript, type Dom0Init } from './dom0-init';
import type { XenHost } from './xen-packages';

/** Programs of the toolstack a dom0 needs to create one domain and show its console. */
export const DOM0_PROGRAMS = ['xl', 'xenstored', 'xenconsoled', 'xenconsole', 'xen-init-dom0', 'libxl-save-helper'] as const;

/** Kernel modules of the dom0: the Xen devices the toolstack opens, and the block back-end for domU disks. */
export const DOM0_MODULES = ['xen-evtchn', 'xen-gntdev', 'xen-gntalloc', 'xen-privcmd', 'xenfs', 'xen-blkback', 'loop'] as const;

export interface Dom0Inputs {
  readonly host: XenHost;
  readonly busybox: string;
  readonly init: Dom0Init;
  /** The xl configuration, already with dom0 paths in it. */
  readonly xlConfig: string;
  /** Files the domain needs inside dom0 (its kernel, ramdisk, disks), by name under /domu. */
  readonly domuFiles: ReadonlyMap<string, string>;
  /** The hotplug scripts libxl runs (busybox sh), by name under /etc/xen/scripts. */
  readonly hotplugScripts?: ReadonlyMap<string, string>;
}

/**
 * The dom0's initramfs: busybox, the xl toolstack with every shared object
 * it loads (found with the host's ldd, the unpacked Xen libraries first on
 * the search path), the dom0 modules, the init, and the domain's files.
 */
export async function dom0Entries(inputs: Dom0Inputs, tools: HostTools): Promise<CpioEntry[]> {
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const addDirsOf = (p: string) => {
    const parts = p.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  };
  const file = (p: string, data: Uint8Array, mode = 0o644) => {
    addDirsOf(p);
    entries.push({ kind: 'file', path: p, data, mode });
  };
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'root', 'bin', 'var', 'run']) addDirsOf(`${d}/-`);
  entries.push({ kind: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 });
  entries.push({ kind: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 });

  const busybox = fs.readFileSync(inputs.busybox);
  if (hasInterpreter(busybox)) throw new Error(`${inputs.busybox} is dynamically linked; the dom0 needs busybox-static (apt-get install busybox-static)`);
  file('bin/busybox', busybox, 0o755);
  file('init', Buffer.from(dom0InitScript(inputs.init)), 0o755);

  const programs = DOM0_PROGRAMS.map((p) => path.join(inputs.host.toolsDir, p));
  for (const p of programs) {
    if (!fs.existsSync(p)) throw new Error(`the Xen tools in ${inputs.host.root} have no ${path.basename(p)}`);
    file(`${DOM0_PATHS.toolsDir}/${path.basename(p)}`, fs.readFileSync(p), 0o755);
  }
  const libs = new Map<string, string>();
  for (const p of programs) for (const [soname, real] of await sharedObjects(p, inputs.host.libDir, tools)) libs.set(soname, real);
  // glibc loads libgcc_s with dlopen when a thread is cancelled; ldd cannot see that.
  const gcc = '/lib/x86_64-linux-gnu/libgcc_s.so.1';
  if (fs.existsSync(gcc)) libs.set(gcc, gcc);
  for (const [wanted, real] of [...libs].sort(([a], [b]) => a.localeCompare(b))) {
    // Every library goes to the path the loader searches, whichever folder it came from.
    const at = wanted.startsWith('/lib64/') ? wanted : path.join('/usr/lib/x86_64-linux-gnu', path.basename(wanted));
    file(at.slice(1), fs.readFileSync(real), 0o755);
  }

  const modules = modulesInLoadOrder(inputs.host.dom0Modules, DOM0_MODULES);
  file(DOM0_PATHS.modules, Buffer.from(modules.map((m) => `${m.name}\n`).join('')));
  for (const m of modules) file(`lib/modules/${m.name}.ko`, fs.readFileSync(m.file));

  file(DOM0_PATHS.xlConfig, Buffer.from(inputs.xlConfig));
  // xl's defaults are right for this dom0; an empty file spares a warning.
  file('etc/xen/xl.conf', Buffer.from('# test dom0: xl defaults\n'));
  for (const [name, from] of inputs.domuFiles) file(`${DOM0_PATHS.domuDir}/${name}`, fs.readFileSync(from));
  for (const [name, text] of inputs.hotplugScripts ?? []) file(`etc/xen/scripts/${name}`, Buffer.from(text), 0o755);

  for (const d of dirs) entries.push({ kind: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 });
  return sortEntries(entries);
}

/** name-or-path -> real file of every shared object `ldd` lists for a program (the loader by its absolute path). */
async function sharedObjects(program: string, libDir: string, tools: HostTools): Promise<Map<string, string>> {
  const r = await tools.run('env', [`LD_LIBRARY_PATH=${libDir}`, 'ldd', program]);
  if (r.missing || r.status !== 0) throw new Error(`ldd ${program} failed: ${r.stderr.trim()}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    if (/not found/.test(line)) throw new Error(`${path.basename(program)} needs ${line.trim()}: install the package that has it`);
    const m = /^\s*(\S+)\s+=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (!m) continue;
    const [name, where] = m[2] ? [m[1], m[2]] : [m[1], m[1]];
    out.set(name.startsWith('/') ? name : `/${name}`, fs.realpathSync(where));
  }
  return out;
}
