import type { Block, BlockError, Console, Result } from '@mirage-ts/types';

/**
 * Writes patterns of 1, 2 and 12 sectors at the start and at the end of the
 * disk and reads each back, then checks that writes and reads past the end
 * fail; prints a tally at the end.
 */
export class Main {
  private started = 0;
  private passed = 0;
  private failed = 0;

  async start(c: Console, b: Block): Promise<void> {
    const info = await b.getInfo();
    const size = info.sizeSectors;
    await c.log(`sectors = ${size}`);
    await c.log(`read_write=${info.readWrite}`);
    await c.log(`sector_size=${info.sectorSize}`);

    for (const n of [1, 2, 12]) {
      await this.checkWrite(c, b, 0n, n);
      await this.checkWrite(c, b, size - BigInt(n), n);
    }
    await this.checkFailure(c, b, 'writing', size, 1);
    await this.checkFailure(c, b, 'writing', size - 11n, 12);
    await this.checkFailure(c, b, 'reading', size, 1);
    await this.checkFailure(c, b, 'reading', size - 11n, 12);

    await c.log('Test sequence finished');
    await c.log(`Total tests started: ${this.started}`);
    await c.log(`Total tests passed:  ${this.passed}`);
    await c.log(`Total tests failed:  ${this.failed}`);
    if (this.failed > 0) throw new Error(`${this.failed} of ${this.started} block tests failed`);
  }

  /** Writes `n` patterned sectors at `sector`, reads them back into zeroed buffers and compares. */
  private async checkWrite(c: Console, b: Block, sector: bigint, n: number): Promise<void> {
    await c.log(`writing ${n} sectors at ${sector}`);
    this.started++;
    const { sectorSize } = await b.getInfo();
    const written = patternSectors(sectorSize, n);
    const wrote = await b.write(sector, written);
    if (!wrote.ok) return this.fail(c, `write failed: ${wrote.error.message}`);
    const back = written.map((s) => new Uint8Array(s.length));
    const read = await b.read(sector, back);
    if (!read.ok) return this.fail(c, `read failed: ${read.error.message}`);
    for (let i = 0; i < n; i++) {
      if (!sameBytes(written[i], back[i])) {
        await c.log('Buffers are not equal:');
        await c.log('First buffer:');
        await c.log(JSON.stringify(latin1(written[i])));
        await c.log('Second buffer:');
        await c.log(JSON.stringify(latin1(back[i])));
        return this.fail(c, `sector ${sector + BigInt(i)} did not read back as written`);
      }
    }
    this.passed++;
  }

  /** A request that runs past the end of the disk must be refused (with any error, as in the seed). */
  private async checkFailure(
    c: Console,
    b: Block,
    doing: 'writing' | 'reading',
    sector: bigint,
    n: number,
  ): Promise<void> {
    await c.log(`${doing} ${n} sectors at ${sector}`);
    this.started++;
    const { sectorSize } = await b.getInfo();
    const buffers = patternSectors(sectorSize, n);
    const r: Result<void, BlockError> =
      doing === 'writing' ? await b.write(sector, buffers) : await b.read(sector, buffers);
    if (r.ok) return this.fail(c, 'expected failure; got success');
    this.passed++;
  }

  private async fail(c: Console, why: string): Promise<void> {
    await c.log(`-- ${why}`);
    this.failed++;
  }
}

/** `n` sectors, the first filled with "n: All work...", the last with "1: All work...". */
function patternSectors(sectorSize: number, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const phrase = new TextEncoder().encode(`${n - i}: All work and no play makes Dave a dull boy.\n`);
    const sector = new Uint8Array(sectorSize);
    for (let j = 0; j < sectorSize; j++) sector[j] = phrase[j % phrase.length];
    return sector;
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const latin1 = (bytes: Uint8Array): string => new TextDecoder('latin1').decode(bytes);
