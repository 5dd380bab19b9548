/**
 * Test-only device families, written into a copyWorkspace() scratch
 * workspace: a library `@mirage-ts/scratch` with a few implementations
 * (one of them deliberately incomplete) and DSL functions for them in
 * libs/mirage/src/devices/scratch.ts. They let analysis and project-graph
 * tests exercise implementations chosen through the DSL, data folders and
 * target restrictions without depending on which device libraries exist.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const write = (root: string, file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text);
};

export function addScratchDevices(root: string): void {
  write(
    root,
    'libs/scratch/project.json',
    JSON.stringify(
      {
        name: '@mirage-ts/scratch',
        root: 'libs/scratch',
        sourceRoot: 'libs/scratch/src',
        projectType: 'library',
        tags: ['layer:device'],
      },
      null,
      2,
    ),
  );
  write(
    root,
    'libs/scratch/package.json',
    JSON.stringify({ name: '@mirage-ts/scratch', version: '0.1.0', main: 'src/index.ts' }),
  );
  write(root, 'libs/scratch/src/index.ts', 'export {};\n');
  write(
    root,
    'libs/scratch/src/memory-block.ts',
    `import { err, ok, type Block, type BlockError, type BlockInfo, type Result } from '@mirage-ts/types';

/** A block device in memory. */
export class MemoryBlock implements Block {
  private constructor(private readonly data: Uint8Array) {}
  static async connect(sectors: number): Promise<MemoryBlock> {
    return new MemoryBlock(new Uint8Array(sectors * 512));
  }
  async getInfo(): Promise<BlockInfo> {
    return { readWrite: true, sectorSize: 512, sizeSectors: BigInt(this.data.length / 512) };
  }
  async read(sector: bigint, buffers: readonly Uint8Array[]): Promise<Result<void, BlockError>> {
    let at = Number(sector) * 512;
    for (const b of buffers) {
      if (at + b.length > this.data.length) return err({ kind: 'io', message: 'past the end' });
      b.set(this.data.subarray(at, at + b.length));
      at += b.length;
    }
    return ok(undefined);
  }
  async write(sector: bigint, buffers: readonly Uint8Array[]): Promise<Result<void, BlockError>> {
    let at = Number(sector) * 512;
    for (const b of buffers) {
      if (at + b.length > this.data.length) return err({ kind: 'io', message: 'past the end' });
      this.data.set(b, at);
      at += b.length;
    }
    return ok(undefined);
  }
  async flush(): Promise<Result<void, BlockError>> {
    return ok(undefined);
  }
  async disconnect(): Promise<void> {}
}
`,
  );
  write(
    root,
    'libs/scratch/src/host-dir.ts',
    `import * as fs from 'node:fs';
import * as path from 'node:path';
import { err, ok, type KvEntry, type KvEntryKind, type KvError, type KvRo, type Result } from '@mirage-ts/types';

/** A read-only store over a host folder (unix only). */
export class HostDirKv implements KvRo {
  private constructor(private readonly dir: string) {}
  static async connect(dir: string): Promise<HostDirKv> {
    if (!fs.statSync(dir).isDirectory()) throw new Error(dir + ' is not a folder');
    return new HostDirKv(dir);
  }
  private file(key: string): string {
    return path.join(this.dir, key);
  }
  async exists(key: string): Promise<Result<KvEntryKind | null, KvError>> {
    if (!fs.existsSync(this.file(key))) return ok(null);
    return ok(fs.statSync(this.file(key)).isDirectory() ? 'dictionary' : 'value');
  }
  async get(key: string): Promise<Result<Uint8Array, KvError>> {
    if (!fs.existsSync(this.file(key))) return err({ kind: 'not-found', key, message: key + ' not found' });
    return ok(new Uint8Array(fs.readFileSync(this.file(key))));
  }
  async getPartial(key: string, offset: number, length: number): Promise<Result<Uint8Array, KvError>> {
    const all = await this.get(key);
    return all.ok ? ok(all.value.subarray(offset, offset + length)) : all;
  }
  async list(key: string): Promise<Result<KvEntry[], KvError>> {
    return ok(fs.readdirSync(this.file(key), { withFileTypes: true }).map((e) => ({ name: e.name, kind: e.isDirectory() ? 'dictionary' : 'value' })));
  }
  async size(key: string): Promise<Result<number, KvError>> {
    return ok(fs.statSync(this.file(key)).size);
  }
  async lastModified(key: string): Promise<Result<number, KvError>> {
    return ok(fs.statSync(this.file(key)).mtimeMs);
  }
  async disconnect(): Promise<void> {}
}
`,
  );
  write(
    root,
    'libs/scratch/src/beeper.ts',
    `/** Can only log: not a whole Console. */
export class Beeper {
  static async connect(): Promise<Beeper> {
    return new Beeper();
  }
  async log(line: string): Promise<void> {
    process.stdout.write('beep ' + line + '\\n');
  }
}
`,
  );
  write(
    root,
    'libs/scratch/src/no-connect.ts',
    `import { ok, type Console, type DeviceError, type Result } from '@mirage-ts/types';

/** A console nobody can connect: it has no static connect. */
export class NoConnectConsole implements Console {
  async log(): Promise<void> {}
  async write(): Promise<Result<void, DeviceError>> {
    return ok(undefined);
  }
  async read(): Promise<Result<Uint8Array | 'eof', DeviceError>> {
    return ok('eof');
  }
  async disconnect(): Promise<void> {}
}
`,
  );
  write(
    root,
    'libs/mirage/src/devices/scratch.ts',
    `import { impl, resource, value, type Impl } from '../impl';
import { typ } from '../typ';
import { block } from './block';

/** A read-only key/value store type for tests. */
export const scratchKv = typ('scratch_kv', 'KvRo');

/** A block device of \`sectors\` sectors held in memory. */
export function scratchBlock(sectors: number): Impl<'block'> {
  return impl(block, { label: 'memory block', module: '@mirage-ts/scratch/memory-block', symbol: 'MemoryBlock', args: [value(sectors)] });
}

/** The files under \`dir\` (in the unikernel's folder), read from the host: unix only. */
export function scratchDir(dir: string): Impl<'scratch_kv'> {
  return impl(scratchKv, {
    label: \`host directory \${dir}\`,
    module: '@mirage-ts/scratch/host-dir',
    symbol: 'HostDirKv',
    args: [resource({ kind: 'data-dir', dir })],
    targets: ['unix'],
  });
}
`,
  );
  fs.appendFileSync(path.join(root, 'libs/mirage/src/index.ts'), "export * from './devices/scratch';\n");
  const tsconfigFile = path.join(root, 'tsconfig.base.json');
  const tsconfig = JSON.parse(fs.readFileSync(tsconfigFile, 'utf8'));
  tsconfig.compilerOptions.paths['@mirage-ts/scratch'] = ['libs/scratch/src/index.ts'];
  tsconfig.compilerOptions.paths['@mirage-ts/scratch/*'] = ['libs/scratch/src/*'];
  fs.writeFileSync(tsconfigFile, JSON.stringify(tsconfig, null, 2));
}

/** Writes apps/<name>/config.ts and unikernel.ts (and any other files given). */
export function writeApp(root: string, name: string, files: Readonly<Record<string, string>>): void {
  for (const [file, text] of Object.entries(files)) write(root, path.join('apps', name, file), text);
}
