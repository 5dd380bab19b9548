/**
 * The behaviour every Block implementation owes its users, as a Jest suite
 * any backend's spec can run against a fresh device (memory, file, raw...).
 * `stored` reads what the backend really holds (the bytes of the file, the
 * memory), so the checks do not trust the device's own read.
 */
import type { Block, BlockError, Result } from '@mirage-ts/types';

export interface DeviceUnderTest {
  readonly device: Block;
  /** The bytes the backend holds from `offset`, read without the device. */
  stored(offset: number, length: number): Promise<Uint8Array>;
  /** Bytes the backing store holds in all (a file's length), to see nothing was added past the end. */
  storedLength?(): Promise<number>;
  dispose?(): Promise<void>;
}

/** `sectors` of `sectorSize` bytes, each filled with a phrase naming its number and `tag`. */
export function pattern(sectorSize: number, sectors: number, tag: string): Uint8Array {
  const out = new Uint8Array(sectorSize * sectors);
  for (let s = 0; s < sectors; s++) {
    const phrase = Buffer.from(`${tag}:${s}|`);
    for (let i = 0; i < sectorSize; i++) out[s * sectorSize + i] = phrase[i % phrase.length];
  }
  return out;
}

export function expectError(r: Result<void, BlockError>, kind: BlockError['kind']): BlockError {
  if (r.ok) throw new Error(`expected a ${kind} error, the request succeeded`);
  expect(r.error.kind).toBe(kind);
  expect(r.error.message.length).toBeGreaterThan(0);
  return r.error;
}

export function expectOk(r: Result<void, BlockError>): void {
  if (!r.ok) throw new Error(`expected success, got ${r.error.kind}: ${r.error.message}`);
}

/** Runs the contract against devices of 64 sectors of 512 bytes, writable, made fresh for each test. */
export function blockContract(
  name: string,
  open: (sizeSectors: bigint, sectorSize: number) => Promise<DeviceUnderTest>,
): void {
  describe(`${name}: the Block contract`, () => {
    const S = 512;
    let dut: DeviceUnderTest;
    beforeEach(async () => {
      dut = await open(64n, S);
    });
    afterEach(async () => {
      await dut.device.disconnect();
      await dut.dispose?.();
    });

    it('describes itself', async () => {
      expect(await dut.device.getInfo()).toEqual({ readWrite: true, sectorSize: S, sizeSectors: 64n });
    });

    it('writes several buffers to consecutive sectors and reads them back, from views into larger buffers', async () => {
      const data = pattern(S, 5, 'multi');
      const backing = new Uint8Array(S * 8);
      backing.set(data, S); // buffers that start inside a larger ArrayBuffer
      const parts = [backing.subarray(S, 2 * S), backing.subarray(2 * S, 5 * S), backing.subarray(5 * S, 6 * S)];
      expectOk(await dut.device.write(7n, parts));
      expect(Buffer.from(await dut.stored(7 * S, 5 * S)).equals(Buffer.from(data))).toBe(true);
      const into = [new Uint8Array(2 * S), new Uint8Array(3 * S)];
      expectOk(await dut.device.read(7n, into));
      expect(Buffer.concat(into).equals(Buffer.from(data))).toBe(true);
      // The sectors around were not touched.
      expect(Buffer.from(await dut.stored(6 * S, S)).equals(Buffer.alloc(S))).toBe(true);
      expect(Buffer.from(await dut.stored(12 * S, S)).equals(Buffer.alloc(S))).toBe(true);
    });

    it('reaches the last sector, and refuses as a whole a request that runs past it', async () => {
      expectOk(await dut.device.write(63n, [pattern(S, 1, 'last')]));
      expect(Buffer.from(await dut.stored(63 * S, S)).equals(Buffer.from(pattern(S, 1, 'last')))).toBe(true);
      const before = await dut.stored(60 * S, 4 * S);
      const e = expectError(await dut.device.write(62n, [pattern(S, 3, 'over')]), 'out-of-range');
      expect(e).toMatchObject({ sector: 62n, sectors: 3n, sizeSectors: 64n });
      expect(Buffer.from(await dut.stored(60 * S, 4 * S)).equals(Buffer.from(before))).toBe(true);
      expectError(await dut.device.write(64n, [new Uint8Array(S)]), 'out-of-range');
      expectError(await dut.device.write(-1n, [new Uint8Array(S)]), 'out-of-range');
      expectError(await dut.device.read(64n, [new Uint8Array(S)]), 'out-of-range');
      expectError(await dut.device.read(60n, [new Uint8Array(5 * S)]), 'out-of-range');
      if (dut.storedLength) expect(await dut.storedLength()).toBe(64 * S);
    });

    it('refuses buffers that are not whole sectors, and writes nothing of the request', async () => {
      const whole = pattern(S, 1, 'whole');
      const e = expectError(await dut.device.write(3n, [whole, new Uint8Array(S + 1)]), 'unaligned');
      expect(e.message).toContain('513 bytes');
      expect(Buffer.from(await dut.stored(3 * S, 2 * S)).equals(Buffer.alloc(2 * S))).toBe(true);
      expectError(await dut.device.read(3n, [new Uint8Array(100)]), 'unaligned');
      expectError(await dut.device.write(3n, [new Uint8Array(S - 1)]), 'unaligned');
    });

    it('accepts an empty request', async () => {
      expectOk(await dut.device.write(0n, []));
      expectOk(await dut.device.read(64n, [new Uint8Array(0)]));
    });

    it('serves concurrent reads and writes of different sectors', async () => {
      const writes = Array.from({ length: 30 }, (_, i) => dut.device.write(BigInt(i * 2), [pattern(S, 2, `w${i}`)]));
      // Reads of sectors nobody writes, made while the writes are in flight.
      const reads = Array.from({ length: 8 }, () => {
        const into = new Uint8Array(S);
        return dut.device.read(64n - 1n, [into]).then((r) => ({ r, into }));
      });
      for (const r of await Promise.all(writes)) expectOk(r);
      for (const { r, into } of await Promise.all(reads)) {
        expectOk(r);
        expect(into.every((b) => b === 0)).toBe(true);
      }
      const back = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const into = new Uint8Array(2 * S);
          expectOk(await dut.device.read(BigInt(i * 2), [into]));
          return into;
        }),
      );
      back.forEach((b, i) => expect(Buffer.from(b).equals(Buffer.from(pattern(S, 2, `w${i}`)))).toBe(true));
      for (let i = 0; i < 30; i++) {
        expect(Buffer.from(await dut.stored(i * 2 * S, 2 * S)).equals(Buffer.from(pattern(S, 2, `w${i}`)))).toBe(true);
      }
    });

    it('keeps writes made before disconnect, and refuses requests after it', async () => {
      const pending = dut.device.write(10n, [pattern(S, 4, 'late')]);
      await dut.device.disconnect();
      expectOk(await pending);
      expect(Buffer.from(await dut.stored(10 * S, 4 * S)).equals(Buffer.from(pattern(S, 4, 'late')))).toBe(true);
      expectError(await dut.device.read(0n, [new Uint8Array(S)]), 'disconnected');
      expectError(await dut.device.write(0n, [new Uint8Array(S)]), 'disconnected');
      expectError(await dut.device.flush(), 'disconnected');
      await dut.device.disconnect(); // twice is harmless
    });

    it('flushes', async () => {
      expectOk(await dut.device.write(1n, [pattern(S, 1, 'flush')]));
      expectOk(await dut.device.flush());
    });
  });
}
