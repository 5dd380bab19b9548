import * as IoPage from '@mirage-ts/io-page';
import type { Stackv4 } from '@mirage-ts/types';

const TARGET = { address: '10.0.0.1', port: 7001 };

/**
 * Connects to 10.0.0.1:7001, sends one byte ('!') from a page and closes:
 * a small run whose device calls and promises the trace shows (the 2015
 * tracing example, after MirageOS's profiling guide).
 */
export class Main {
  private readonly buffer = IoPage.get(1);

  async start(s: Stackv4): Promise<void> {
    const connected = await s.tcpv4().connect(TARGET);
    if (!connected.ok) throw new Error(`Connection to port ${TARGET.port} failed: ${connected.error.message}`);
    const flow = connected.value;
    const payload = this.buffer.subarray(0, 1);
    payload[0] = '!'.charCodeAt(0);
    const written = await flow.write(payload);
    if (!written.ok) throw new Error(`write failed: ${written.error.message}`);
    await flow.close();
  }
}
