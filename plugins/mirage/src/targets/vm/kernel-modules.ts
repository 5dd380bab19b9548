import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../configure/user-error';

export interface KernelModule {
  readonly name: string;
  readonly file: string;
}

/**
 * The modules to load, each after the ones it depends on. Dependencies are
 * read from each module's own `depends=` field (the .deb ships no
 * modules.dep, and depmod may not be installed). Names compare with `-` and
 * `_` as equals, as the kernel does.
 */
export function modulesInLoadOrder(modulesDir: string, wanted: readonly string[]): KernelModule[] {
  const index = indexModules(modulesDir);
  const ordered: KernelModule[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (name: string, neededBy?: string) => {
    const key = canonical(name);
    if (done.has(key)) return;
    if (visiting.has(key)) throw new Error(`kernel modules: dependency cycle through ${name}`);
    const file = index.get(key);
    if (!file) {
      if (builtIn(modulesDir).has(key)) return;
      throw new UserError(
        `the kernel's modules in ${modulesDir} have no ${name}.ko${neededBy ? ` (needed by ${neededBy})` : ''}`,
        {
          fix: "use a kernel built with virtio and Xen front-end drivers (Debian's linux-image-cloud-amd64 has them), as uncompressed .ko files",
        },
      );
    }
    visiting.add(key);
    for (const dep of moduleDepends(fs.readFileSync(file))) visit(dep, name);
    visiting.delete(key);
    done.add(key);
    ordered.push({ name: path.basename(file, '.ko'), file });
  };
  for (const name of wanted) visit(name);
  return ordered;
}

/** The `depends=` list inside a module's .modinfo section (NUL-separated key=value strings). */
export function moduleDepends(ko: Buffer): string[] {
  const marker = Buffer.from('\0depends=');
  const at = ko.indexOf(marker);
  if (at < 0) return [];
  const start = at + marker.length;
  const end = ko.indexOf(0, start);
  return ko
    .toString('utf8', start, end < 0 ? undefined : end)
    .split(',')
    .filter(Boolean);
}

const indexes = new Map<string, Map<string, string>>();

function indexModules(modulesDir: string): Map<string, string> {
  let index = indexes.get(modulesDir);
  if (index) return index;
  index = new Map();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ko')) index!.set(canonical(e.name.slice(0, -3)), p);
    }
  };
  if (fs.existsSync(path.join(modulesDir, 'kernel'))) walk(path.join(modulesDir, 'kernel'));
  indexes.set(modulesDir, index);
  return index;
}

function builtIn(modulesDir: string): Set<string> {
  const file = path.join(modulesDir, 'modules.builtin');
  if (!fs.existsSync(file)) return new Set();
  return new Set(
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => canonical(path.basename(l, '.ko'))),
  );
}

function canonical(name: string): string {
  return name.replace(/-/g, '_');
}
