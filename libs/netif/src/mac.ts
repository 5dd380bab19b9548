import type { MacAddress } from '@mirage-ts/types';
import { randomBytes } from 'node:crypto';

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export const ETHERNET_HEADER = 14;
export const BROADCAST_MAC: MacAddress = 'ff:ff:ff:ff:ff:ff';

export function isMacAddress(text: string): boolean {
  return MAC_PATTERN.test(text);
}

export function formatMac(bytes: Uint8Array, offset = 0): MacAddress {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(bytes[offset + i].toString(16).padStart(2, '0'));
  return parts.join(':');
}

export function parseMac(text: MacAddress): Uint8Array {
  if (!isMacAddress(text)) throw new RangeError(`'${text}' is not a MAC address (write it as aa:bb:cc:dd:ee:ff)`);
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

/** The 48 bits of the MAC at `offset` as one number: a cheap map key. */
export function macKey(bytes: Uint8Array, offset: number): number {
  return (
    bytes[offset] * 0x10000000000 +
    bytes[offset + 1] * 0x100000000 +
    bytes[offset + 2] * 0x1000000 +
    bytes[offset + 3] * 0x10000 +
    bytes[offset + 4] * 0x100 +
    bytes[offset + 5]
  );
}

/** Group (broadcast or multicast) addresses have the low bit of the first byte set. */
export function isGroupMac(bytes: Uint8Array, offset: number): boolean {
  return (bytes[offset] & 1) === 1;
}

/** A locally administered unicast MAC from six bytes, as `Macaddr.make_local` does. */
export function localMac(bytes: Uint8Array): MacAddress {
  const b = Uint8Array.from(bytes.subarray(0, 6));
  b[0] = (b[0] & 0xfc) | 0x02;
  return formatMac(b);
}

export function randomLocalMac(): MacAddress {
  return localMac(randomBytes(6));
}
