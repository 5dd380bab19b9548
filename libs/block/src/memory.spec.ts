import { MemoryBlock } from './memory';
import { blockContract, expectError, expectOk, pattern } from './testing/block-contract';

blockContract('MemoryBlock', async (sizeSectors, sectorSize) => {
  const device = await MemoryBlock.connect({ sizeSectors, sectorSize });
  return {
    device,
    stored: async (offset, length) => device.bytes().slice(offset, offset + length),
  };
});

describe('MemoryBlock', () => {
  it('addresses sectors beyond 2^32 and stores only what is written', async () => {
    const device = await MemoryBlock.connect({ sizeSectors: 2n ** 33n });
    const sector = 2n ** 32n + 5n;
    expectOk(await device.write(sector, [pattern(512, 3, 'far')]));
    const into = new Uint8Array(3 * 512);
    expectOk(await device.read(sector, [into]));
    expect(Buffer.from(into).equals(Buffer.from(pattern(512, 3, 'far')))).toBe(true);
    // The same offset modulo 2^32 sectors was not written: no truncation to 32 bits.
    const low = new Uint8Array(512);
    expectOk(await device.read(5n, [low]));
    expect(low.every((b) => b === 0)).toBe(true);
    expectOk(await device.write(2n ** 33n - 1n, [pattern(512, 1, 'end')]));
    expectError(await device.write(2n ** 33n - 1n, [new Uint8Array(1024)]), 'out-of-range');
    expect(device.allocatedBytes()).toBeLessThanOrEqual(3 * 64 * 1024);
    expect(() => device.bytes()).toThrow(/do not fit in one buffer/);
  });

  it('takes its contents and size from an image, and can be read-only', async () => {
    const image = pattern(4096, 3, 'img');
    const device = await MemoryBlock.fromBytes(image, { sectorSize: 4096, readOnly: true });
    expect(await device.getInfo()).toEqual({ readWrite: false, sectorSize: 4096, sizeSectors: 3n });
    const into = new Uint8Array(4096);
    expectOk(await device.read(2n, [into]));
    expect(Buffer.from(into).equals(Buffer.from(image.subarray(8192)))).toBe(true);
    expectError(await device.write(0n, [new Uint8Array(4096)]), 'read-only');
    expect(Buffer.from(device.bytes()).equals(Buffer.from(image))).toBe(true);
    image.fill(0); // a copy: the caller's buffer is not the device
    expect(device.bytes()[0]).not.toBe(0);
  });

  it('refuses sizes and sector sizes it cannot honour, at connect', async () => {
    await expect(MemoryBlock.connect({ sizeSectors: 8, sectorSize: 1000 })).rejects.toThrow(/power of two/);
    await expect(MemoryBlock.connect({ sizeSectors: 1.5 })).rejects.toThrow(/not an integer/);
    await expect(MemoryBlock.connect({ sizeSectors: -1n })).rejects.toThrow(/cannot have -1 sectors/);
    await expect(MemoryBlock.connect({ sizeSectors: 2n ** 60n })).rejects.toThrow(/2\^53 bytes/);
    await expect(MemoryBlock.fromBytes(new Uint8Array(700))).rejects.toThrow(/not a whole number of 512-byte sectors/);
  });

  it('applies requests in the order they are made', async () => {
    const device = await MemoryBlock.connect({ sizeSectors: 4 });
    const into = new Uint8Array(512);
    const w = device.write(1n, [pattern(512, 1, 'first')]);
    const r = device.read(1n, [into]);
    expectOk(await w);
    expectOk(await r);
    expect(Buffer.from(into).equals(Buffer.from(pattern(512, 1, 'first')))).toBe(true);
  });
});
