import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileBlock } from './file';
import { blockContract, expectError, expectOk, pattern } from './testing/block-contract';
import { tempDir } from './testing/temp-dir';
import { makeUnwritable } from './testing/unwritable';

function readFileRange(file: string, offset: number, length: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const out = Buffer.alloc(length);
    const n = fs.readSync(fd, out, 0, length, offset);
    return out.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

blockContract('FileBlock', async (sizeSectors, sectorSize) => {
  const tmp = tempDir('file-block');
  const file = path.join(tmp.dir, 'disk.img');
  fs.writeFileSync(file, Buffer.alloc(Number(sizeSectors) * sectorSize));
  const device = await FileBlock.connect(file, { sectorSize });
  return {
    device,
    stored: async (offset, length) => readFileRange(file, offset, length),
    storedLength: async () => fs.statSync(file).size,
    dispose: async () => tmp.remove(),
  };
});

describe('FileBlock', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir('file-block');
    file = path.join(tmp.dir, 'disk.img');
  });
  afterEach(() => tmp.remove());

  it('is as large as its file, whole sectors only, and never touches the bytes past the last sector', async () => {
    fs.writeFileSync(file, Buffer.alloc(10 * 4096 + 100, 0xee));
    const device = await FileBlock.connect(file, { sectorSize: 4096 });
    expect(await device.getInfo()).toEqual({ readWrite: true, sectorSize: 4096, sizeSectors: 10n });
    expectOk(await device.write(9n, [pattern(4096, 1, 'tail')]));
    expectError(await device.write(10n, [new Uint8Array(4096)]), 'out-of-range');
    await device.disconnect();
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(10 * 4096 + 100);
    expect(bytes.subarray(9 * 4096, 10 * 4096).equals(Buffer.from(pattern(4096, 1, 'tail')))).toBe(true);
    expect(bytes.subarray(10 * 4096).every((b) => b === 0xee)).toBe(true);
  });

  it('has 512-byte sectors unless told otherwise', async () => {
    fs.writeFileSync(file, Buffer.alloc(4096));
    const device = await FileBlock.connect(file);
    expect(await device.getInfo()).toEqual({ readWrite: true, sectorSize: 512, sizeSectors: 8n });
    await device.disconnect();
  });

  it('addresses sectors beyond 2^32 in a sparse file', async () => {
    const sizeSectors = 2n ** 32n + 16n; // 2 TiB and a little: sparse, so it costs nothing
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, Number(sizeSectors * 512n));
    const device = await FileBlock.connect(file);
    expect((await device.getInfo()).sizeSectors).toBe(sizeSectors);
    const far = 2n ** 32n + 3n;
    expectOk(await device.write(far, [pattern(512, 2, 'far')]));
    expectOk(await device.write(sizeSectors - 1n, [pattern(512, 1, 'last')]));
    expectError(await device.write(sizeSectors - 1n, [new Uint8Array(1024)]), 'out-of-range');
    const into = new Uint8Array(1024);
    expectOk(await device.read(far, [into]));
    await device.disconnect();
    expect(Buffer.from(into).equals(Buffer.from(pattern(512, 2, 'far')))).toBe(true);
    expect(Buffer.from(readFileRange(file, Number(far * 512n), 1024)).equals(Buffer.from(pattern(512, 2, 'far')))).toBe(
      true,
    );
    // Not folded onto the same sector modulo 2^32.
    expect(readFileRange(file, 3 * 512, 1024).every((b) => b === 0)).toBe(true);
    expect(fs.statSync(file).size).toBe(Number(sizeSectors * 512n));
  });

  it('is read-only over a file it cannot write, and leaves the file alone', async () => {
    fs.writeFileSync(file, Buffer.from(pattern(512, 4, 'ro')));
    const restore = makeUnwritable(file);
    try {
      const device = await FileBlock.connect(file);
      expect(await device.getInfo()).toEqual({ readWrite: false, sectorSize: 512, sizeSectors: 4n });
      expectError(await device.write(0n, [new Uint8Array(512)]), 'read-only');
      const into = new Uint8Array(2048);
      expectOk(await device.read(0n, [into]));
      expect(Buffer.from(into).equals(Buffer.from(pattern(512, 4, 'ro')))).toBe(true);
      expectOk(await device.flush());
      await device.disconnect();
    } finally {
      restore();
    }
    expect(fs.readFileSync(file).equals(Buffer.from(pattern(512, 4, 'ro')))).toBe(true);
  });

  it('is read-only when asked, over a writable file', async () => {
    fs.writeFileSync(file, Buffer.alloc(1024));
    const device = await FileBlock.connect(file, { readOnly: true });
    expect((await device.getInfo()).readWrite).toBe(false);
    expectError(await device.write(1n, [pattern(512, 1, 'x')]), 'read-only');
    await device.disconnect();
    expect(fs.readFileSync(file).every((b) => b === 0)).toBe(true);
  });

  it('reports a file cut short underneath it, and does not grow it back', async () => {
    fs.writeFileSync(file, Buffer.alloc(100 * 512));
    const device = await FileBlock.connect(file);
    fs.truncateSync(file, 50 * 512);
    const read = expectError(await device.read(60n, [new Uint8Array(512)]), 'io');
    expect(read.message).toMatch(
      /now ends at byte 25600, inside the device \(100 sectors of 512 bytes\): it was truncated/,
    );
    // A read that starts inside but runs past the new end fails too.
    expectError(await device.read(49n, [new Uint8Array(1024)]), 'io');
    const write = expectError(await device.write(60n, [pattern(512, 1, 'regrow')]), 'io');
    expect(write.message).toMatch(/now ends at byte 25600.*; not writing past its end/);
    expect(fs.statSync(file).size).toBe(50 * 512);
    // What is still there keeps working.
    expectOk(await device.write(10n, [pattern(512, 1, 'inside')]));
    await device.disconnect();
    expect(fs.statSync(file).size).toBe(50 * 512);
    expect(Buffer.from(readFileRange(file, 10 * 512, 512)).equals(Buffer.from(pattern(512, 1, 'inside')))).toBe(true);
  });

  it('keeps the size it was connected with when the file grows', async () => {
    fs.writeFileSync(file, Buffer.alloc(4 * 512));
    const device = await FileBlock.connect(file);
    fs.truncateSync(file, 8 * 512);
    expectError(await device.write(5n, [new Uint8Array(512)]), 'out-of-range');
    await device.disconnect();
  });

  it('says what is wrong with a path it cannot use', async () => {
    await expect(FileBlock.connect(path.join(tmp.dir, 'missing.img'))).rejects.toThrow(
      /missing\.img does not exist: a block device needs an existing file .*disk-image/,
    );
    await expect(FileBlock.connect(tmp.dir)).rejects.toThrow(/is a directory, not a file or a block device/);
    await expect(FileBlock.connect('/dev/null')).rejects.toThrow(/\/dev\/null is a character device/);
    fs.writeFileSync(file, Buffer.alloc(512));
    await expect(FileBlock.connect(file, { sectorSize: 520 })).rejects.toThrow(/sector size 520 is not a power of two/);
  });

  it('makes writes durable through the file (another reader sees them after flush)', async () => {
    fs.writeFileSync(file, Buffer.alloc(8 * 512));
    const device = await FileBlock.connect(file);
    expectOk(await device.write(2n, [pattern(512, 3, 'seen')]));
    expectOk(await device.flush());
    expect(Buffer.from(readFileRange(file, 1024, 1536)).equals(Buffer.from(pattern(512, 3, 'seen')))).toBe(true);
    await device.disconnect();
  });
});
