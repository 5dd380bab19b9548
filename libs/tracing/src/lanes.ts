/**
 * Rows of a timeline. A span takes the lowest free row when it starts and
 * gives it back when it ends, so spans on one row never overlap: the Trace
 * Event Format wants complete events on one thread properly nested, and
 * concurrent device calls or promises are not.
 */
export class Lanes {
  private readonly busy: boolean[] = [];

  /** The lowest free row, or -1 when all `max` rows are taken. */
  take(max: number): number {
    let i = this.busy.indexOf(false);
    if (i < 0) {
      if (this.busy.length >= max) return -1;
      i = this.busy.length;
      this.busy.push(true);
    }
    this.busy[i] = true;
    return i;
  }

  give(i: number): void {
    this.busy[i] = false;
  }

  get used(): number {
    return this.busy.length;
  }
}
