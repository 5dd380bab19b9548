import { DirectStackv4 } from '@mirage-ts/tcpip/stack';
import type { TcpSettings } from '@mirage-ts/tcpip/tcp/config';
import { RecordingConsole } from '@mirage-ts/tcpip/testing/recording-console';
import { tapPeer, type TapPeer } from '@mirage-ts/tcpip/testing/tap-peer';

/** A direct stack that logs nothing: benchmarks time the data path, not the console. */
export const QUIET = { log: () => undefined, icmp: { logEcho: false } };

/** `cidr` on a quiet direct stack over `netif`, with no gateway. */
export function quietStack(netif: Parameters<typeof DirectStackv4.connect>[1], cidr: string): Promise<DirectStackv4> {
  return DirectStackv4.connect(new RecordingConsole(), netif, false, cidr, '', QUIET);
}

/** Linux at 10.0.0.1 in a namespace behind a tap, and a quiet direct stack at 10.0.0.2 on that tap. */
export async function quietStackOnTap(
  offloads = false,
  tcp?: TcpSettings,
): Promise<{ peer: TapPeer; stack: DirectStackv4 }> {
  const peer = await tapPeer('10.0.0.1/24', { offloads });
  const stack = await DirectStackv4.connect(new RecordingConsole(), peer.netif, false, '10.0.0.2/24', '10.0.0.1', {
    ...QUIET,
    tcp,
  });
  return { peer, stack };
}
