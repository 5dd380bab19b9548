/** Wire formats: parse/emit views over buffers, with checked lengths and no protocol state. */
export * from './address';
export * from './checksum';
export * from './errors';
export * from './ethernet';
export * from './arp';
export * from './ipv4';
export * from './icmpv4';
export * from './udp';
export * from './tcp';
export * from './dhcp';
export * from './ipv6';
export * from './icmpv6';
