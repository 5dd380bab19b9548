import { Key } from '../key';
import { ifImpl, impl, resource, type Impl } from '../impl';
import { typ } from '../typ';

/** The network interface type (MirageOS `network`): whole Ethernet frames. */
export const network = typ('network', 'Network');

/** The IPv4 stack type (MirageOS `stackv4`). */
export const stackv4 = typ('stackv4', 'Stackv4');

/**
 * A network interface by name (MirageOS `netif`): on unix the tap device
 * `name` (a bare number n, as in the 2015 `netif "1"`, is the tap `tapn`), or
 * the one given when the unikernel starts (`--interface=tap1` for tap0, as
 * MirageOS's `interface` key; `--interface-NAME=...` for any other, so two
 * interfaces have two keys); in a VM image, the guest's NIC through a raw
 * packet socket, in the order the interfaces are first used.
 */
export function netif(name: string): Impl<'network'> {
  // One interface named twice is one device (a tap can be opened once), as functoria shares equal impls.
  const known = netifs.get(name);
  if (known) return known;
  const args = [resource({ kind: 'network', name })];
  const tapName = Key.string(interfaceKeyName(name), {
    default: /^\d+$/.test(name) ? `tap${name}` : name,
    stage: 'runtime',
    doc:
      name === 'tap0'
        ? 'The tap device the direct stack uses on unix.'
        : `The tap device used for netif('${name}') on unix.`,
  });
  const made = ifImpl(
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
  netifs.set(name, made);
  return made;
}

const netifs = new Map<string, Impl<'network'>>();

/** `interface` for the seed's tap0; `interface-<name>` (lower case, other characters as '-') for the others. */
function interfaceKeyName(name: string): string {
  return name === 'tap0' ? 'interface' : `interface-${name.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`;
}

/** The seed's `tap0`. */
export const tap0 = netif('tap0');
