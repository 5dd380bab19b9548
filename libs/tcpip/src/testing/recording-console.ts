import { ok, type Console, type DeviceError, type Result } from '@mirage-ts/types';

/** A Console that keeps its lines, so specs can look at what the stack logged. */
export class RecordingConsole implements Console {
  readonly lines: string[] = [];

  async log(line: string): Promise<void> {
    this.lines.push(...line.split('\n'));
  }

  async write(data: Uint8Array | string): Promise<Result<void, DeviceError>> {
    this.lines.push(typeof data === 'string' ? data : Buffer.from(data).toString());
    return ok(undefined);
  }

  async read(): Promise<Result<Uint8Array | 'eof', DeviceError>> {
    return ok('eof');
  }

  async disconnect(): Promise<void> {}

  /** Resolves once a line matching `pattern` was logged (or rejects after `ms`). */
  async waitFor(pattern: RegExp | string, ms = 5000): Promise<string> {
    const test = (l: string) => (typeof pattern === 'string' ? l === pattern : pattern.test(l));
    const start = Date.now();
    for (;;) {
      const hit = this.lines.find(test);
      if (hit !== undefined) return hit;
      if (Date.now() - start > ms) throw new Error(`no line ${pattern} in:\n${this.lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
