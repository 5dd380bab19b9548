import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESOLVED_GRAPH_FORMAT, type ResolvedGraph } from '../configure/resolved-graph';
import { isUserError } from '../configure/user-error';
import { runQemu } from './qemu';
import type { RunContext } from './target';
import { fakeHostTools } from './vm/fake-host-tools';
import type { ImageInfo } from './vm/image';

const graph: ResolvedGraph = {
  format: RESOLVED_GRAPH_FORMAT,
  name: 'block_test',
  project: 'block',
  target: 'qemu',
  configFile: 'apps/block/config.ts',
  configureKeys: {},
  runtimeKeys: [],
  devices: [
    {
      id: 0,
      variable: 'console_0',
      typ: 'console',
      signature: 'Console',
      label: 'console',
      module: '@mirage-ts/console/stdio',
      symbol: 'StdioConsole',
      args: [],
      build: null,
    },
    {
      id: 1,
      variable: 'block_1',
      typ: 'block',
      signature: 'Block',
      label: 'raw disk for disk.img',
      module: '@mirage-ts/block/raw',
      symbol: 'RawBlock',
      args: [{ kind: 'resource', resource: { kind: 'block', file: 'disk.img' } }],
      build: null,
      at: { file: 'apps/block/config.ts', line: 8, column: 44 },
    },
  ],
  jobs: [{ entry: 'Unikernel.Main', args: [0, 1] }],
};

describe('running the qemu target', () => {
  let root: string;
  let ctx: RunContext;
  const logged: string[] = [];
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-qemu-run-'));
    const outDir = path.join(root, 'dist/apps/block/qemu');
    fs.mkdirSync(outDir, { recursive: true });
    fs.mkdirSync(path.join(root, 'apps/block'), { recursive: true });
    const info: ImageInfo = {
      target: 'qemu',
      kernel: 'vmlinuz',
      initramfs: 'initramfs.cpio.gz',
      rootDisk: 'root.squashfs',
      compression: 'gzip',
      kernelOrigin: 'test',
      kernelBytes: 1,
      initramfsBytes: 1,
      rootDiskBytes: 1,
      unpackedBytes: 2 * 2 ** 20,
      icu: 'en',
      sourceMaps: false,
      modules: [],
      devices: { blocks: ['disk.img'], networks: ['default'], networking: 'kernel' },
      memoryMb: 128,
      minimumMemoryMb: 96,
    };
    fs.writeFileSync(path.join(outDir, 'image.json'), JSON.stringify(info));
    logged.length = 0;
    ctx = {
      workspaceRoot: root,
      projectRoot: 'apps/block',
      outDir,
      graph,
      args: ['--who=vm'],
      options: { forward: 'tcp:18080:8080,udp:10053:53' },
      logger: { info: (m) => logged.push(m), warn: (m) => logged.push(m) },
    };
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  async function failure(p: Promise<unknown>): Promise<Error> {
    try {
      await p;
    } catch (e) {
      expect(isUserError(e)).toBe(true);
      return e as Error;
    }
    throw new Error('expected a UserError');
  }

  it('refuses a missing disk at the config.ts line that named it, with the fix', async () => {
    const e = await failure(runQemu(ctx, fakeHostTools({ 'qemu-system-x86_64': () => ({}) })));
    expect(e.message).toBe(
      "apps/block/config.ts:8:44 - error: the disk apps/block/disk.img for blockOfFile('disk.img') does not exist\n" +
        '  fix: create it before running: npx nx run block:disk-image (or truncate -s 16M apps/block/disk.img)',
    );
  });

  it('refuses too little memory before starting anything', async () => {
    const tools = fakeHostTools({ 'qemu-system-x86_64': () => ({}) });
    const e = await failure(runQemu({ ...ctx, options: { memory: 64 } }, tools));
    expect(e.message).toMatch(
      /--memory=64 is too little for this image: it needs at least 96 MB .*\n {2}fix: use --memory=96 or more/,
    );
    expect(tools.calls).toEqual([]);
  });

  it('says how to install QEMU when it is not there', async () => {
    fs.writeFileSync(path.join(root, 'apps/block/disk.img'), Buffer.alloc(4096));
    const e = await failure(runQemu(ctx, fakeHostTools({})));
    expect(e.message).toMatch(/QEMU is not installed .*\n {2}fix: install it: apt-get install qemu-system-x86/);
  });

  it('boots with the disk, the forwards and the keys, and returns the status the guest reported', async () => {
    fs.writeFileSync(path.join(root, 'apps/block/disk.img'), Buffer.alloc(4096));
    const tools = fakeHostTools({ 'qemu-system-x86_64': () => ({}) });
    let started: readonly string[] = [];
    tools.start = (_file, args) => {
      started = args;
      const status = args[args.indexOf('-serial', args.indexOf('-serial') + 1) + 1].slice('file:'.length);
      const child = new EventEmitter() as ChildProcess;
      setImmediate(() => {
        fs.writeFileSync(status, 'exit 3\n');
        child.emit('exit', 0, null);
      });
      return child;
    };
    const status = await runQemu({ ...ctx, options: { ...ctx.options, accel: 'tcg' } }, tools);
    expect(status).toBe(3);
    expect(started).toEqual(
      expect.arrayContaining(['-accel', 'tcg', '-m', '128', '-device', 'virtio-blk-pci,drive=disk0,serial=vdb']),
    );
    expect(started).toContain(`file=${path.join(ctx.outDir, 'root.squashfs')},format=raw,if=none,id=root,readonly=on`);
    expect(started).toContain(
      `file=${path.join(root, 'apps/block/disk.img')},format=raw,if=none,id=disk0,cache=writeback`,
    );
    expect(started).toContain('user,id=net0,hostfwd=tcp:127.0.0.1:18080-:8080,hostfwd=udp:127.0.0.1:10053-:53');
    expect(started[started.indexOf('-append') + 1]).toBe(
      'console=ttyS0 quiet loglevel=0 panic=-1 mirage_console=ttyS0 mirage_root=vda mirage_status=ttyS1 mirage_disks=/dev/vdb -- --who=vm',
    );
  });

  it('reports a VM that ended without a status as a failure', async () => {
    fs.writeFileSync(path.join(root, 'apps/block/disk.img'), Buffer.alloc(4096));
    const tools = fakeHostTools({ 'qemu-system-x86_64': () => ({}) });
    expect(await runQemu({ ...ctx, options: { accel: 'tcg' } }, tools)).toBe(1);
    expect(logged.join('\n')).toMatch(/ended without reporting the unikernel's exit status/);
  });
});
