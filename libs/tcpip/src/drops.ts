/**
 * Counts what the stack threw away and why (`ipv4.bad-checksum`,
 * `ethernet.unknown-ethertype`...). A malformed packet is never an error
 * anybody has to handle: it is counted here and forgotten.
 */
export class DropCounters {
  private readonly counts = new Map<string, number>();

  count(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  get(reason: string): number {
    return this.counts.get(reason) ?? 0;
  }

  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
