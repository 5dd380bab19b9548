import * as fs from 'node:fs';
import * as path from 'node:path';
import { majorMinor, probeBytesByReading } from './device-size';
import { RawBlock } from './raw';
import { blockContract, expectError, expectOk, pattern } from './testing/block-contract';
import { attachLoop, canUseLoopDevices } from './testing/loop-device';
import { tempDir } from './testing/temp-dir';

function readFileRange(file: string, offset: number, length: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const out = Buffer.alloc(length);
    return out.subarray(0, fs.readSync(fd, out, 0, length, offset));
  } finally {
    fs.closeSync(fd);
  }
}

blockContract('RawBlock over a file', async (sizeSectors, sectorSize) => {
  const tmp = tempDir('raw-block');
  const file = path.join(tmp.dir, 'disk.img');
  fs.writeFileSync(file, Buffer.alloc(Number(sizeSectors) * sectorSize));
  const device = await RawBlock.connect(file, { sectorSize });
  return {
    device,
    stored: async (offset, length) => readFileRange(file, offset, length),
    storedLength: async () => fs.statSync(file).size,
    dispose: async () => tmp.remove(),
  };
});

// A loop device is a real block device node: fstat says 0 bytes, so the size must come from the kernel.
// Root-only (as in CI); on a user's machine these are skipped.
const loopDescribe = canUseLoopDevices() ? describe : describe.skip;

loopDescribe('RawBlock over a loop device', () => {
  const attached: { tmp: ReturnType<typeof tempDir>; detach(): void }[] = [];
  afterAll(() => {
    for (const a of attached) {
      a.detach();
      a.tmp.remove();
    }
  });
  const loopOver = (bytes: number) => {
    const tmp = tempDir('raw-loop');
    const file = path.join(tmp.dir, 'backing.img');
    fs.writeFileSync(file, Buffer.alloc(bytes));
    const loop = attachLoop(file);
    attached.push({ tmp, detach: loop.detach });
    return { file, device: loop.device };
  };

  blockContract('RawBlock over a loop device', async (sizeSectors, sectorSize) => {
    const { file, device: node } = loopOver(Number(sizeSectors) * sectorSize);
    const device = await RawBlock.connect(node, { sectorSize });
    return {
      device,
      // Read through the node by another descriptor: the kernel's view of the disk.
      stored: async (offset, length) => readFileRange(node, offset, length),
      storedLength: async () => fs.statSync(file).size,
    };
  });

  it('takes its size and sector size from the kernel, and its writes reach the backing file', async () => {
    const { file, device: node } = loopOver(3 * 1024 * 1024);
    const device = await RawBlock.connect(node);
    const name = path.basename(node);
    const sysfsSectors = BigInt(fs.readFileSync(`/sys/class/block/${name}/size`, 'utf8').trim());
    expect(await device.getInfo()).toEqual({ readWrite: true, sectorSize: 512, sizeSectors: sysfsSectors });
    expect(sysfsSectors).toBe(6144n);
    expectOk(await device.write(6143n, [pattern(512, 1, 'end')]));
    expectError(await device.write(6144n, [new Uint8Array(512)]), 'out-of-range');
    await device.disconnect();
    expect(Buffer.from(readFileRange(file, 6143 * 512, 512)).equals(Buffer.from(pattern(512, 1, 'end')))).toBe(true);
    expect(fs.statSync(file).size).toBe(3 * 1024 * 1024);
  });

  it('finds the device number the kernel gave the node', () => {
    const { device: node } = loopOver(1024 * 1024);
    const { major, minor } = majorMinor(fs.statSync(node, { bigint: true }).rdev);
    expect(`${major}:${minor}`).toBe(fs.readFileSync(`/sys/class/block/${path.basename(node)}/dev`, 'utf8').trim());
  });

  it('finds the end of a device by reading, as it must where /sys is absent', async () => {
    const { device: node } = loopOver(5 * 1024 * 1024 + 3 * 512);
    const handle = await fs.promises.open(node, 'r');
    try {
      expect(await probeBytesByReading(handle)).toBe(BigInt(5 * 1024 * 1024 + 3 * 512));
    } finally {
      await handle.close();
    }
  });
});

describe('RawBlock', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('raw-block')));
  afterEach(() => tmp.remove());

  it('finds where a file ends by reading', async () => {
    for (const bytes of [0, 511, 512, 513, 100_000 * 512, 7 * 1024 * 1024 + 512]) {
      const file = path.join(tmp.dir, `f${bytes}`);
      fs.closeSync(fs.openSync(file, 'w'));
      fs.truncateSync(file, bytes);
      const handle = await fs.promises.open(file, 'r');
      try {
        expect(await probeBytesByReading(handle)).toBe(BigInt(Math.floor(bytes / 512) * 512));
      } finally {
        await handle.close();
      }
    }
  });

  it('waits for a device node that appears late, as a disk does while its driver probes it', async () => {
    const file = path.join(tmp.dir, 'late.img');
    setTimeout(() => fs.writeFileSync(file, Buffer.alloc(2048)), 200);
    const device = await RawBlock.connect(file, { appearWithinMs: 5000 });
    expect((await device.getInfo()).sizeSectors).toBe(4n);
    await device.disconnect();
  });

  it('gives up on a device that never appears, naming it', async () => {
    const started = Date.now();
    await expect(RawBlock.connect(path.join(tmp.dir, 'xvdb'), { appearWithinMs: 300 })).rejects.toThrow(
      /xvdb does not exist$/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
