import { MAX_BUFFERS_PER_CALL, transferAll } from './transfer';

/** A target that moves at most `limit` bytes per call, as a kernel may, and records each call. */
function stingyTarget(size: number, limit: number) {
  const store = new Uint8Array(size);
  const calls: { buffers: number; position: number }[] = [];
  const write = async (buffers: Uint8Array[], position: number) => {
    calls.push({ buffers: buffers.length, position });
    let moved = 0;
    for (const b of buffers) {
      const n = Math.min(b.byteLength, limit - moved, size - (position + moved));
      if (n <= 0) break;
      store.set(b.subarray(0, n), position + moved);
      moved += n;
    }
    return moved;
  };
  return { store, calls, write };
}

describe('transferAll', () => {
  it('finishes after short transfers that split buffers, in order', async () => {
    const t = stingyTarget(4096, 700);
    const buffers = [new Uint8Array(1000).fill(1), new Uint8Array(10).fill(2), new Uint8Array(2000).fill(3)];
    expect(await transferAll(t.write, buffers, 50)).toBe(3010);
    expect(t.store.subarray(50, 1050).every((b) => b === 1)).toBe(true);
    expect(t.store.subarray(1050, 1060).every((b) => b === 2)).toBe(true);
    expect(t.store.subarray(1060, 3060).every((b) => b === 3)).toBe(true);
    expect(t.store[49]).toBe(0);
    expect(t.store[3060]).toBe(0);
    expect(t.calls.map((c) => c.position)).toEqual([50, 750, 1450, 2150, 2850]);
  });

  it('stops and reports what moved when the target ends early', async () => {
    const t = stingyTarget(1024, 1 << 20);
    expect(await transferAll(t.write, [new Uint8Array(512), new Uint8Array(2048)], 0)).toBe(1024);
  });

  it('sends at most IOV_MAX buffers per call', async () => {
    const t = stingyTarget(4 * (MAX_BUFFERS_PER_CALL * 2 + 5), 1 << 20);
    const buffers = Array.from({ length: MAX_BUFFERS_PER_CALL * 2 + 5 }, (_, i) => new Uint8Array(4).fill(i % 251));
    expect(await transferAll(t.write, buffers, 0)).toBe(4 * buffers.length);
    expect(t.calls.map((c) => c.buffers)).toEqual([MAX_BUFFERS_PER_CALL, MAX_BUFFERS_PER_CALL, 5]);
    expect(t.store[4 * 1500]).toBe(1500 % 251);
  });
});
