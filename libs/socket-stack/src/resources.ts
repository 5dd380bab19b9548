import type { Console } from '@mirage-ts/types';

/** Something the stack opened and must release on disconnect. */
export interface Closable {
  /** Releases it at once; resolves when the host has let go of it. */
  shut(): Promise<void>;
}

/**
 * Everything one stack has open (listeners, flows, UDP sockets), so that
 * `disconnect` closes all of it, and the place where failures inside
 * callbacks are reported instead of ending the process.
 */
export class Resources {
  private readonly open = new Set<Closable>();
  private isDisconnected = false;

  constructor(private readonly console: Console) {}

  get disconnected(): boolean {
    return this.isDisconnected;
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Tracks `item` until `closed` resolves; returns a function that stops tracking it earlier. */
  track(item: Closable & { readonly closed?: Promise<void> }): () => void {
    if (this.isDisconnected) {
      void item.shut();
      return () => undefined;
    }
    this.open.add(item);
    void item.closed?.then(() => this.open.delete(item));
    return () => this.open.delete(item);
  }

  /** Runs a unikernel callback; a throw or rejection is reported, then `onFailure` runs. */
  run(callback: () => void | Promise<void>, what: string, onFailure?: () => unknown): void {
    const failed = (e: unknown) => {
      this.report(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
      void onFailure?.();
    };
    try {
      const result = callback();
      if (result && typeof (result as Promise<void>).then === 'function')
        (result as Promise<void>).then(undefined, failed);
    } catch (e) {
      failed(e);
    }
  }

  report(message: string): void {
    void this.console.log(message).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    this.isDisconnected = true;
    const items = [...this.open];
    this.open.clear();
    await Promise.all(items.map((i) => i.shut().catch(() => undefined)));
  }
}
