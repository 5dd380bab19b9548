import { checkInterfaceName, logToStdout, type LogLine } from './interface-name';
import { errnoName, nativeErrno, netifAddon } from './native/addon';
import { FdNetif } from './native/fd-netif';

export interface PacketOptions {
  /** Where the `Netif: ...` start-up lines go (default: standard output). */
  readonly log?: LogLine;
}

/**
 * A NIC through a raw packet socket (AF_PACKET): how the unikernel reaches
 * the guest's eth0 inside a VM image, where the host kernel's own stack is
 * left unconfigured. The unikernel uses the NIC's own MAC, the one the
 * hypervisor gave it.
 *
 * A peer that offloads checksums (a veth, or the host behind virtio-net)
 * hands over frames whose TCP/UDP checksum is only partly computed; the
 * addon asks for the offload metadata (PACKET_VNET_HDR) and completes it,
 * so the stack sees what a real NIC would deliver. Frames merged by GRO can
 * be longer than the MTU; they arrive whole, with valid checksums.
 */
export class PacketNetif extends FdNetif {
  static async connect(interfaceName: string, options: PacketOptions = {}): Promise<PacketNetif> {
    checkInterfaceName(interfaceName, 'network interface');
    const log = options.log ?? logToStdout;
    const addon = netifAddon();
    let mtu: number;
    let mac: string;
    let port;
    try {
      [mtu, mac] = addon.interfaceInfo(interfaceName);
      port = addon.openPacket(interfaceName);
    } catch (e) {
      throw new Error(packetOpenError(interfaceName, e), { cause: e });
    }
    log(`Netif: plugging into ${interfaceName} with mac ${mac}`);
    log(`Netif: connect ${interfaceName}`);
    return new PacketNetif(port, interfaceName, mac, mtu);
  }
}

function packetOpenError(name: string, e: unknown): string {
  const errno = nativeErrno(e);
  const detail = e instanceof Error ? e.message : String(e);
  switch (errno === undefined ? '' : errnoName(errno)) {
    case 'EPERM':
    case 'EACCES':
      return `${detail}; a packet socket needs root or CAP_NET_RAW`;
    case 'ENODEV':
    case 'ENXIO':
      return `${detail}; there is no interface named ${name} (see ip link)`;
    default:
      return detail;
  }
}
