import { NodeClock } from './clock';

describe('NodeClock', () => {
  it('reads the wall clock in ms and a monotonic clock in ns that never goes back', async () => {
    const clock = await NodeClock.connect();
    const before = Date.now();
    const now = clock.nowMs();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    const a = clock.elapsedNs();
    await new Promise((r) => setTimeout(r, 20));
    const b = clock.elapsedNs();
    // At least the 20 ms slept, measured on the monotonic clock.
    expect(b - a).toBeGreaterThanOrEqual(19_000_000n);
  });
});
