/**
 * Network interfaces (`Network` implementations). The in-memory switch is
 * exported here; the tap device and the raw packet socket, which load a
 * native addon, are '@mirage-ts/netif/tap' and '@mirage-ts/netif/packet'.
 */
export { MemorySwitch, MemoryNetif, type MemorySwitchOptions, type SwitchStats } from './memory';
export type { LinkFaults } from './link-faults';
export { PcapWriter } from './pcap';
