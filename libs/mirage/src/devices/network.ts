import { Key } from '../key';
import { ifImpl, impl, resource, type Impl } from '../impl';
import { typ } from '../typ';

/** The network interface type (MirageOS `network`): whole Ethernet frames. */
export const network = typ('network', 'Network');

/** The IPv4 stack type (MirageOS `stackv4`). */
export const stackv4 = typ('stackv4', 'Stackv4');

/**
 * A network interface by name (MirageOS `netif`): on unix the tap device
 * `name`, or the one given when the unikernel starts (`--interface=tap1`, as
 * MirageOS's `interface` key); in a VM image, the guest's NIC through a raw
 * packet socket.
 */
export function netif(name: string): Impl<'network'> {
  const args = [resource({ kind: 'network', name })];
  const tapName = Key.string('interface', {
    default: name,
    stage: 'runtime',
    doc: 'The tap device the direct stack uses on unix.',
  });
  return ifImpl(
    Key.isVm,
    impl(network, {
      label: `guest NIC for ${name}`,
      module: '@mirage-ts/netif/packet',
      symbol: 'PacketNetif',
      args,
      targets: ['xen', 'qemu'],
    }),
    impl(network, {
      label: `tap device ${name}`,
      module: '@mirage-ts/netif/tap',
      symbol: 'TapNetif',
      args: [tapName],
      targets: ['unix'],
    }),
  );
}

/** The seed's `tap0`. */
export const tap0 = netif('tap0');
