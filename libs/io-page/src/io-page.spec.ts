import { get, hexdump, isPageAligned, pages, PAGE_SIZE, stringBlit, toString } from './index';

describe('io-page', () => {
  it('hands out zeroed whole pages at the start of a buffer of their own', () => {
    const b = get(3);
    expect(b.byteLength).toBe(3 * PAGE_SIZE);
    expect(b.byteOffset).toBe(0);
    expect(b.buffer.byteLength).toBe(3 * PAGE_SIZE);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(isPageAligned(b)).toBe(true);
    expect(isPageAligned(b.subarray(1))).toBe(false);
  });

  it('splits into page views that share memory, and refuses what is not whole pages', () => {
    const b = get(2);
    const [p0, p1] = pages(b);
    p1[0] = 7;
    expect(b[PAGE_SIZE]).toBe(7);
    expect(p0.byteLength).toBe(PAGE_SIZE);
    expect(() => pages(b.subarray(0, 100))).toThrow(/not whole pages; allocate it with get\(n\)/);
    expect(() => get(0)).toThrow(/at least 1/);
  });

  it('blits strings in and reads them back, refusing what does not fit', () => {
    const p = get();
    stringBlit('xxHello', 2, p, 4090, 5);
    expect(toString(p).slice(4090, 4095)).toBe('Hello');
    expect(() => stringBlit('Hello', 0, p, 4093, 5)).toThrow(/do not fit/);
  });

  it('dumps bytes as cstruct 1.x did: a newline before each 16, two hex digits and a space each', () => {
    expect(hexdump(Uint8Array.from([0, 1, 0xab]))).toBe('\n00 01 ab \n');
    expect(hexdump(new Uint8Array(17))).toBe(`\n${'00 '.repeat(16)}\n00 \n`);
    expect(hexdump(new Uint8Array(0))).toBe('\n');
  });
});
