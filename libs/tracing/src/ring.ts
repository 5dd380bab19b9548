/**
 * A ring of the last `capacity` items (MirageOS's mprof trace buffer): a
 * unikernel that runs for days keeps the newest events in bounded memory.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;
  /** Items pushed out to make room. */
  overwritten = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`a trace ring holds at least 1 event; got size ${String(capacity)}`);
    }
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    if (this.count === this.capacity) this.overwritten++;
    else this.count++;
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity] as T);
    return out;
  }
}
