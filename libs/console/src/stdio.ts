import { err, ok, type Console, type DeviceError, type Result } from '@mirage-ts/types';
import type { Readable, Writable } from 'node:stream';

// Select Graphic Rendition: colour and style escapes such as ESC[31m and ESC[m.
const SGR = /\x1b\[[0-9;]*m/g;

/**
 * A console over the process's standard streams. Writes wait for the stream
 * to accept the bytes, so a unikernel that logs quickly cannot outrun a slow
 * terminal or pipe and lose output at exit.
 */
export class StdioConsole implements Console {
  private connected = true;
  private reader: AsyncIterator<Buffer> | undefined;

  private constructor(
    private readonly output: Writable,
    private readonly input: Readable,
  ) {}

  static async connect(output: Writable = process.stdout, input: Readable = process.stdin): Promise<StdioConsole> {
    return new StdioConsole(output, input);
  }

  /**
   * Colours (ANSI SGR sequences) in `line` reach a terminal; a pipe or file
   * gets plain text, as do terminals when NO_COLOR is set.
   */
  async log(line: string): Promise<void> {
    await this.write(`${this.colours ? line : line.replace(SGR, '')}\n`);
  }

  private get colours(): boolean {
    return (this.output as { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR;
  }

  write(data: Uint8Array | string): Promise<Result<void, DeviceError>> {
    if (!this.connected) return Promise.resolve(err({ kind: 'disconnected', message: 'console is disconnected' }));
    return new Promise((resolve) => {
      this.output.write(data, (e) => resolve(e ? err({ kind: 'io', message: e.message }) : ok(undefined)));
    });
  }

  async read(): Promise<Result<Uint8Array | 'eof', DeviceError>> {
    if (!this.connected) return err({ kind: 'disconnected', message: 'console is disconnected' });
    this.reader ??= this.input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      const next = await this.reader.next();
      return ok(next.done ? 'eof' : new Uint8Array(next.value));
    } catch (e) {
      return err({ kind: 'io', message: e instanceof Error ? e.message : String(e) });
    }
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    // Stop holding stdin open so the process can end; stdout is left to the process.
    if (this.reader) this.input.pause();
  }
}
