export { Name } from './name';
export * from './types';
export type { Rr } from './record';
export { parseRData, rdataKey, rdataNames, type RData, type RField } from './rdata';
export { parseZoneFile, ZoneFileError, type ZoneRecord, type ParseOptions } from './zonefile';
export * from './wire';
export { Zone, ZoneSet, type ZoneSetLoad } from './zone';
export { lookup, handleQuery, EDNS_PAYLOAD, type Transport } from './engine';
export { DnsServer, type ServerEvents, type ServerStats } from './server';
