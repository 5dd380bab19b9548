import * as fs from 'node:fs';
import * as path from 'node:path';
import { isXenPvhKernel } from '../testing/bzimage';
import { consoleLines, folderDigests, imageInfo, pathWithOnly, vmDist } from '../testing/vm';
import { copyWorkspace, nx, WORKSPACE_ROOT } from '../testing/workspace';
import { BOOT_TRACE_STEPS, parseBootTrace } from '../../plugins/mirage/src/targets/vm/boot-trace';
import { parseXl } from '../../plugins/mirage/src/targets/vm/xl-files';

/**
 * The console example as a VM: the seed's `mirage configure -t xen && make`
 * (the .xl pair), and the same image booted under QEMU (software emulation
 * here, so boots are few and timeouts generous).
 */
const BOOT_MS = 600_000;
const EIGHT = ['hello', 'world', 'hello', 'world', 'hello', 'world', 'hello', 'world'];

describe('console on xen and qemu', () => {
  it(
    '`nx build console --target=xen` writes console.xl and console.xl.in beside a PVH kernel, its initramfs and the root disk',
    () => {
      const build = nx(['build', 'console', '--target=xen'], { timeoutMs: BOOT_MS });
      expect(build.output).toContain('Successfully ran target build for project console');
      const dir = vmDist(WORKSPACE_ROOT, 'console', 'xen');
      const info = imageInfo(WORKSPACE_ROOT, 'console', 'xen');

      const xl = parseXl(fs.readFileSync(path.join(dir, 'console.xl'), 'utf8'));
      expect(xl).toEqual({
        name: 'console',
        type: 'pvh',
        kernel: path.join(dir, 'vmlinuz'),
        ramdisk: path.join(dir, info.initramfs),
        extra: 'console=hvc0 quiet loglevel=0 panic=-1 mirage_console=hvc0 mirage_root=xvda --',
        memory: info.memoryMb,
        on_crash: 'preserve',
        disk: [`format=raw, vdev=xvda, access=ro, target=${path.join(dir, 'root.squashfs')}`],
        vif: [],
      });
      expect(fs.statSync(xl.kernel as string).size).toBe(info.kernelBytes);
      expect(fs.statSync(xl.ramdisk as string).size).toBe(info.initramfsBytes);
      expect(fs.statSync(path.join(dir, info.rootDisk)).size).toBe(info.rootDiskBytes);
      // squashfs magic "hsqs": the root disk is a file system the guest mounts, not an archive it unpacks.
      expect(fs.readFileSync(path.join(dir, info.rootDisk)).subarray(0, 4).toString('latin1')).toBe('hsqs');
      expect(build.output).toMatch(/done: kernel [\d.]+ MB \+ initramfs [\d.]+ MB \+ root disk [\d.]+ MB = [\d.]+ MB/);
      expect(isXenPvhKernel(fs.readFileSync(xl.kernel as string))).toBe(true);
      expect(info.memoryMb).toBeGreaterThanOrEqual(info.minimumMemoryMb);

      const xlIn = parseXl(fs.readFileSync(path.join(dir, 'console.xl.in'), 'utf8'));
      expect(xlIn).toEqual({
        ...xl,
        name: '@NAME@',
        kernel: '@KERNEL@',
        ramdisk: '@RAMDISK@',
        memory: NaN,
        disk: ['format=raw, vdev=xvda, access=ro, target=@ROOT@'],
      });
      expect(fs.readFileSync(path.join(dir, 'console.xl.in'), 'utf8')).toContain('memory = @MEMORY@');
    },
    BOOT_MS,
  );

  it(
    '`nx run console:run --target=qemu` boots the image and prints the 8 lines, then the VM powers off with status 0',
    () => {
      const run = nx(['run', 'console:run', '--target=qemu'], { timeoutMs: BOOT_MS });
      expect(run.status).toBe(0);
      expect(consoleLines(run.stdout, ['hello', 'world'])).toEqual(EIGHT);
      if (!fs.existsSync('/dev/kvm'))
        expect(run.output).toMatch(/KVM is not usable \(\/dev\/kvm does not exist\): using software emulation \(TCG\)/);
      const dir = vmDist(WORKSPACE_ROOT, 'console', 'qemu');
      for (const f of [
        'vmlinuz',
        imageInfo(WORKSPACE_ROOT, 'console', 'qemu').initramfs,
        'root.squashfs',
        'mir-console',
        'console.libvirt.xml',
      ]) {
        expect(fs.existsSync(path.join(dir, f))).toBe(true);
      }
      const xml = fs.readFileSync(path.join(dir, 'console.libvirt.xml'), 'utf8');
      expect(xml).toContain("<domain type='kvm'>");
      expect(xml).toContain(`<kernel>${path.join(dir, 'vmlinuz')}</kernel>`);
      expect(xml).toContain(
        '<cmdline>console=ttyS0 quiet loglevel=0 panic=-1 mirage_console=ttyS0 mirage_root=vda --</cmdline>',
      );
      expect(xml).toContain(`<source file='${path.join(dir, 'root.squashfs')}'/>`);
    },
    BOOT_MS,
  );

  it(
    'builds the same image bytes twice (so Nx may cache it)',
    () => {
      const dir = vmDist(WORKSPACE_ROOT, 'console', 'qemu');
      expect(nx(['build', 'console', '--target=qemu', '--skip-nx-cache'], { timeoutMs: BOOT_MS }).status).toBe(0);
      const first = folderDigests(dir);
      const again = nx(['build', 'console', '--target=qemu', '--skip-nx-cache'], { timeoutMs: BOOT_MS });
      expect(again.status).toBe(0);
      expect(again.output).toMatch(/initramfs: \d+ entries/);
      expect(Object.keys(first)).toContain('root.squashfs');
      expect(folderDigests(dir)).toEqual(first);
    },
    BOOT_MS,
  );

  it(
    'refuses too little guest memory, naming the least that works',
    () => {
      const r = nx(['build', 'console', '--target=qemu', '--memory=64'], { timeoutMs: BOOT_MS });
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(
        /error: --memory=64 is too little for this image: it needs at least (\d+) MB \(the kernel keeps/,
      );
      expect(r.output).toMatch(/fix: use --memory=\d+ or more/);
      expect(r.output).not.toMatch(/\n\s+at /);
    },
    BOOT_MS,
  );

  it(
    'says how to install QEMU when it is missing',
    () => {
      // Everything a build uses stays on PATH; only QEMU is missing.
      const bin = pathWithOnly([
        'git',
        'zstd',
        'strip',
        'ldd',
        'apt-cache',
        'apt-get',
        'dpkg-deb',
        'mksquashfs',
        'nm',
        'icupkg',
      ]);
      try {
        const r = nx(['run', 'console:run', '--target=qemu'], { env: { PATH: bin.dir }, timeoutMs: BOOT_MS });
        expect(r.status).not.toBe(0);
        expect(r.output).toContain('error: QEMU is not installed (qemu-system-x86_64 is not on PATH)');
        expect(r.output).toContain('fix: install it: apt-get install qemu-system-x86');
      } finally {
        bin.dispose();
      }
    },
    BOOT_MS,
  );
});

describe('a VM unikernel with run-time keys and an exit status', () => {
  const ws = copyWorkspace('mirage-vm-keys-');
  const cache = fs.mkdtempSync(path.join(ws.root, '..', 'mirage-empty-cache-'));
  afterAll(() => {
    ws.dispose();
    fs.rmSync(cache, { recursive: true, force: true });
  });
  beforeAll(() => {
    fs.mkdirSync(path.join(ws.root, 'apps/greeter'), { recursive: true });
    fs.writeFileSync(
      path.join(ws.root, 'apps/greeter/config.ts'),
      `import { console, defaultConsole, foreign, Key, register } from '@mirage-ts/mirage';
const who = Key.string('who', { default: 'nobody', stage: 'runtime', doc: 'whom to greet' });
const status = Key.int('status', { default: 0, stage: 'runtime', doc: 'exit status' });
const main = foreign('Unikernel.Main', [console]);
export default register('greeter', [main(defaultConsole)], { keys: [who, status] });
`,
    );
    fs.writeFileSync(
      path.join(ws.root, 'apps/greeter/unikernel.ts'),
      `import type { Console } from '@mirage-ts/types';
const arg = (k: string) => process.argv.find((a) => a.startsWith('--' + k + '='))?.slice(k.length + 3);
export class Main {
  async start(c: Console) {
    await c.log('hello ' + arg('who'));
    process.stderr.write('to stderr\\n', () => process.exit(Number(arg('status') ?? 0)));
    await new Promise(() => undefined);
  }
}
`,
    );
  });

  it(
    'hands run-time keys to the unikernel through the kernel command line and reports its exit status',
    () => {
      const r = nx(['run', 'greeter:run', '--target=qemu', '--who=vm', '--status=7'], {
        cwd: ws.root,
        env: { MIRAGE_TRACE: '1' },
        timeoutMs: BOOT_MS,
      });
      expect(consoleLines(r.stdout, ['hello vm', 'to stderr'])).toEqual(['hello vm', 'to stderr']);
      expect(r.status).not.toBe(0);
      expect(r.output).toContain('mir-greeter exited with status 7');
      // MIRAGE_TRACE=1: the boot's milestones, in order, before the unikernel's first line.
      const trace = parseBootTrace(r.stdout);
      expect(trace.map((m) => m.step)).toEqual([...BOOT_TRACE_STEPS]);
      const times = trace.map((m) => m.uptime);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(times[0]).toBeGreaterThan(0);
      expect(r.stdout.indexOf('mirage-trace: main')).toBeLessThan(r.stdout.indexOf('hello vm'));
    },
    BOOT_MS,
  );

  it(
    'says how to get a kernel when none can be fetched',
    () => {
      const bin = pathWithOnly([]);
      try {
        const r = nx(['build', 'greeter', '--target=xen', '--skip-nx-cache'], {
          cwd: ws.root,
          env: { PATH: bin.dir, MIRAGE_TS_CACHE: cache },
          timeoutMs: BOOT_MS,
        });
        expect(r.status).not.toBe(0);
        expect(r.output).toContain(
          'error: no kernel available: this host has no Debian package tools (apt-cache) to fetch one',
        );
        expect(r.output).toMatch(
          /fix: on Debian or Ubuntu run `apt-get update`.*--kernel=\/path\/to\/vmlinuz --modules=\/path\/to\/lib\/modules\/VERSION/,
        );
        expect(fs.existsSync(path.join(ws.root, 'dist/apps/greeter/xen'))).toBe(false);
      } finally {
        bin.dispose();
      }
    },
    BOOT_MS,
  );
});
