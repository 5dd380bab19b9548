import { run, uniqueName, Netns, type Finished } from '@mirage-ts/netif/testing/netns';
import { TapNetif } from '@mirage-ts/netif/tap';

/**
 * A tap whose far end is the Linux kernel in a namespace of the test's own:
 * this process holds the tap's fd (the stack's side), and the tap itself is
 * moved into the namespace, where the kernel has `hostAddress` on it.
 */
export interface TapPeer {
  readonly ns: Netns;
  readonly tap: string;
  readonly netif: TapNetif;
  /** The MAC of the kernel's end of the tap. */
  readonly kernelMac: string;
  /** Runs a command in the namespace without blocking the event loop (the stack must answer meanwhile). */
  inNs(args: readonly string[], timeoutMs?: number): Promise<Finished>;
  close(): Promise<void>;
}

/**
 * With `offloads`, the tap carries partial checksums and TCP super-segments
 * both ways (TapOptions.offloads); `'default'` opens it as a unikernel does,
 * the offloads left for the stack to accept. Plain frames unless asked.
 */
export async function tapPeer(
  hostAddress: string | null = '10.0.0.1/24',
  { offloads = false }: { offloads?: boolean | 'default' } = {},
): Promise<TapPeer> {
  const ns = Netns.create('tcn');
  const tap = uniqueName('tct');
  let netif: TapNetif | undefined;
  try {
    netif = await TapNetif.connect(tap, { log: () => undefined, ...(offloads === 'default' ? {} : { offloads }) });
    run('ip', ['link', 'set', tap, 'netns', ns.name]);
    if (hostAddress) ns.ip('addr', 'add', hostAddress, 'dev', tap);
    ns.ip('link', 'set', tap, 'up');
  } catch (e) {
    await netif?.disconnect();
    ns.destroy();
    throw e;
  }
  const opened = netif;
  return {
    ns,
    tap,
    netif: opened,
    kernelMac: ns.mac(tap),
    inNs: (args, timeoutMs = 30_000) => ns.execAsync(args, { timeoutMs }),
    close: async () => {
      await opened.disconnect().catch(() => undefined);
      ns.destroy();
    },
  };
}
