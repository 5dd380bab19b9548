import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TapNetif } from '@mirage-ts/netif/tap';
import type { Network } from '@mirage-ts/types';
import { DirectStackv4 } from '../stack';
import { RecordingConsole } from './recording-console';
import { tapPeer, type TapPeer } from './tap-peer';

/**
 * What the TCP specs against Linux share: the kernel at 10.0.0.1 on a tap in
 * a namespace of their own, a direct stack at 10.0.0.2 on the tap's other
 * end, and a temporary directory for the files nc sends. `close` removes all
 * three.
 */
export interface LinuxOnTap {
  readonly peer: TapPeer;
  readonly stack: DirectStackv4;
  readonly console: RecordingConsole;
  readonly dir: string;
  /** Runs a shell command in the namespace; rejects with its output when it fails. */
  sh(command: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export interface LinuxOnTapOptions {
  /** Open the tap with segmentation offloads (TapOptions.offloads), or as a unikernel does (see tapPeer). */
  readonly offloads?: boolean | 'default';
  /** What the stack runs on: the tap itself unless a spec puts something in front of it. */
  readonly network?: (tap: TapNetif) => Network;
}

/** Makes the namespace, the tap, the stack and a directory named after `prefix` (e.g. `tcp-linux-`). */
export async function linuxOnTap(prefix: string, options: LinuxOnTapOptions = {}): Promise<LinuxOnTap> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let peer: TapPeer | undefined;
  try {
    peer = await tapPeer('10.0.0.1/24', { offloads: options.offloads ?? false });
    const console = new RecordingConsole();
    const network = options.network?.(peer.netif) ?? peer.netif;
    const stack = await DirectStackv4.connect(console, network, false, '10.0.0.2/24', '10.0.0.1', {
      icmp: { logEcho: false },
    });
    const opened = peer;
    return {
      peer: opened,
      stack,
      console,
      dir,
      sh: async (command, timeoutMs = 60_000) => {
        const r = await opened.inNs(['sh', '-c', command], timeoutMs);
        if (r.status !== 0) throw new Error(`${command} exited ${r.status}: ${r.stderr}${r.stdout}`);
        return r.stdout;
      },
      close: async () => {
        await stack.disconnect();
        await opened.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await peer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
