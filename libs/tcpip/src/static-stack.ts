import type { Console, Network } from '@mirage-ts/types';
import { DirectStackv4 } from './stack';
import { parseIpv4 } from './wire/address';

/**
 * The direct stack configured from an address, a netmask and a gateway given
 * apart (MirageOS's `direct_stackv4_with_static_ipv4`), as the 2015
 * xen/static_website+ip read them from the kernel command line
 * (`ip=10.0.0.2 netmask=255.255.255.0 gateway=10.0.0.1`). `keys` names the
 * keys the values came from, for messages.
 */
export class StaticDirectStackv4 {
  static async connect(
    console: Console,
    network: Network,
    address: string,
    netmask: string,
    gateway: string,
    keys: { readonly address: string; readonly netmask: string; readonly gateway: string } = {
      address: 'ip',
      netmask: 'netmask',
      gateway: 'gateway',
    },
  ): Promise<DirectStackv4> {
    if (parseIpv4(address) === null)
      throw new Error(`--${keys.address}=${address} is not an IPv4 address; write it like 10.0.0.2`);
    const length = prefixLength(netmask);
    if (length === null)
      throw new Error(
        `--${keys.netmask}=${netmask} is not a netmask (contiguous ones, then zeros); write it like 255.255.255.0`,
      );
    if (gateway.trim() !== '' && parseIpv4(gateway) === null)
      throw new Error(`--${keys.gateway}=${gateway} is not an IPv4 address; write it like 10.0.0.1`);
    return DirectStackv4.connect(console, network, false, `${address}/${length}`, gateway);
  }
}

/** 255.255.255.0 -> 24; null for anything but ones followed by zeros. */
export function prefixLength(netmask: string): number | null {
  const mask = parseIpv4(netmask);
  if (mask === null) return null;
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return null;
  return 32 - Math.log2(inverted + 1);
}
