import { Key } from '../key';
import { ifImpl, impl, resource, type Impl } from '../impl';
import { typ } from '../typ';

/** The network interface type (MirageOS `network`): whole Ethernet frames. */
export const network = typ('network', 'Network');

/** The IPv4 stack type (MirageOS `stackv4`). */
export const stackv4 = typ('stackv4', 'Stackv4');

/**
 * A network interface by name (MirageOS `netif`): the tap device `name` on
 * unix; in a VM image, the guest's NIC through a raw packet socket.
 */
export function netif(name: string): Impl<'network'> {
  const args = [resource({ kind: 'network', name })];
  return ifImpl(
    Key.isVm,
    impl(network, { label: `guest NIC for ${name}`, module: '@mirage-ts/netif/packet', symbol: 'PacketNetif', args, targets: ['xen', 'qemu'] }),
    impl(network, { label: `tap device ${name}`, module: '@mirage-ts/netif/tap', symbol: 'TapNetif', args, targets: ['unix'] }),
  );
}

/** The seed's `tap0`. */
export const tap0 = netif('tap0');
