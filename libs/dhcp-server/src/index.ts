/** A DHCP server (RFC 2131) for the dhcp example: dhcpd.conf reader, leases, server logic, frames. */
export {
  parseDhcpdConf,
  DhcpConfError,
  type DhcpConf,
  type DhcpSubnet,
  type DhcpHost,
  type DhcpConfOptions,
} from './conf';
export { LeaseDatabase, type Lease, type LeaseState } from './leases';
export { DhcpServer, messageTypeName, type DhcpOutcome, type DhcpServerOptions } from './server';
export { FrameDecoder, encodeDhcpFrame, describeDhcp, type Incoming } from './frames';
export { DhcpService, type DhcpServiceOptions } from './service';
