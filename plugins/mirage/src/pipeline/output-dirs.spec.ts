import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parkOtherTargets, unparkAll } from './parking';
import { replaceDirWhenDone } from './staging';

let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-dirs-'))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const write = (file: string, text = file) => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text);
};
const list = (dir: string) => (fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir)).sort() : []);

describe('replaceDirWhenDone', () => {
  it('replaces the folder with what the work wrote', async () => {
    write('out/old.txt');
    await replaceDirWhenDone(path.join(root, 'out'), async (staging) =>
      fs.writeFileSync(path.join(staging, 'new.txt'), 'x'),
    );
    expect(list('out')).toEqual(['new.txt']);
    expect(list('.')).toEqual(['out']);
  });

  it('keeps the previous folder whole and leaves nothing behind when the work fails', async () => {
    write('out/old.txt');
    await expect(
      replaceDirWhenDone(path.join(root, 'out'), async (staging) => {
        fs.writeFileSync(path.join(staging, 'half.txt'), 'x');
        throw new Error('bundle failed');
      }),
    ).rejects.toThrow('bundle failed');
    expect(list('out')).toEqual(['old.txt']);
    expect(list('.')).toEqual(['out']);
  });

  it('removes the folders it created when the first build fails', async () => {
    await expect(
      replaceDirWhenDone(path.join(root, 'dist/apps/x/unix'), async () => {
        throw new Error('config.ts threw');
      }),
    ).rejects.toThrow('config.ts threw');
    expect(list('.')).toEqual([]);
  });
});

describe('parking other targets while Nx snapshots outputs', () => {
  it('moves the other targets aside and puts them back afterwards', () => {
    write('dist/apps/a/unix/mir-a', 'unix');
    write('dist/apps/a/xen/a.xl', 'xen');
    write('dist/apps/a/qemu/a.sh', 'qemu');
    parkOtherTargets(path.join(root, 'dist/apps/a'), 'unix');
    expect(list('dist/apps/a')).toEqual(['.parked', 'unix']);
    unparkAll(root);
    expect(list('dist/apps/a')).toEqual(['qemu', 'unix', 'xen']);
    expect(fs.readFileSync(path.join(root, 'dist/apps/a/xen/a.xl'), 'utf8')).toBe('xen');
  });

  it('lets a folder rebuilt meanwhile win over the parked one', () => {
    write('dist/apps/a/xen/a.xl', 'old');
    parkOtherTargets(path.join(root, 'dist/apps/a'), 'unix');
    write('dist/apps/a/xen/a.xl', 'new');
    unparkAll(root);
    expect(fs.readFileSync(path.join(root, 'dist/apps/a/xen/a.xl'), 'utf8')).toBe('new');
    expect(list('dist/apps/a')).toEqual(['xen']);
  });
});
