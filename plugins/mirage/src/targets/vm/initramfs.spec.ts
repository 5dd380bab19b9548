import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isUserError } from '../../configure/user-error';
import { readCpio, writeCpio } from './cpio';
import { fakeHostTools } from './fake-host-tools';
import { hasInterpreter, initramfsEntries, type InitramfsInputs } from './initramfs';

describe('initramfs contents', () => {
  let dir: string;
  let inputs: InitramfsInputs;
  const ldd = fakeHostTools({
    // As ldd prints: the vDSO (no file, skipped) and a library found through a symlink.
    ldd: () => ({
      stdout: Buffer.from(`\tlinux-vdso.so.1 (0x00007ffd)\n\tlibm.so.6 => ${dir}/lib/libm.so.6 (0x00007f)\n`),
    }),
  });
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-initramfs-'));
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib', 'libm.so.6.real'), 'libm');
    fs.symlinkSync('libm.so.6.real', path.join(dir, 'lib', 'libm.so.6'));
    fs.writeFileSync(path.join(dir, 'node'), 'node binary');
    fs.writeFileSync(path.join(dir, 'virtio.ko'), 'ko');
    inputs = {
      node: path.join(dir, 'node'),
      busybox: '/bin/busybox',
      app: new Map([
        ['main.js', Buffer.from('console.log(1)')],
        ['mirage_netif-ABC.node', Buffer.from('addon')],
      ]),
      modules: [{ name: 'virtio', file: path.join(dir, 'virtio.ko') }],
      init: { networking: 'none', nics: [] },
    };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds the init, busybox, node and its libraries (symlinks followed), the modules and the app, and nothing else', async () => {
    const members = readCpio(writeCpio(await initramfsEntries(inputs, ldd)));
    const files = Object.fromEntries(
      members.filter((m) => (m.mode & 0o170000) === 0o100000).map((m) => [m.path, m.data.toString()]),
    );
    expect(Object.keys(files).sort()).toEqual(
      [
        'app/main.js',
        'app/mirage_netif-ABC.node',
        'bin/busybox',
        'bin/node',
        'etc/mirage/modules',
        'etc/mirage/udhcpc.sh',
        'init',
        `${dir.slice(1)}/lib/libm.so.6`,
        'lib/modules/virtio.ko',
      ].sort(),
    );
    expect(files[`${dir.slice(1)}/lib/libm.so.6`]).toBe('libm');
    expect(files['etc/mirage/modules']).toBe('virtio\n');
    expect(files.init).toMatch(/^#!\/bin\/busybox sh\n/);
    expect(files.init).toContain('/bin/node --enable-source-maps /app/main.js "$@"');
    const console = members.find((m) => m.path === 'dev/console');
    expect(console).toMatchObject({ rdevMajor: 5, rdevMinor: 1 });
  });

  it('tells a static busybox from a dynamic one', () => {
    expect(hasInterpreter(fs.readFileSync('/bin/busybox'))).toBe(false);
    expect(hasInterpreter(fs.readFileSync(process.execPath))).toBe(true);
  });

  it('refuses a dynamically linked busybox, naming the package to install', async () => {
    let caught: unknown;
    try {
      await initramfsEntries({ ...inputs, busybox: process.execPath }, ldd);
    } catch (e) {
      caught = e;
    }
    expect(isUserError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(
      /is dynamically linked; the image needs a static busybox\n {2}fix: apt-get install busybox-static/,
    );
  });
});
