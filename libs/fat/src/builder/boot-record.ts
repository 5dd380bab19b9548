import { BOOT_SIGNATURE_OFFSET } from '../boot-sector';
import { BYTES_PER_SECTOR, HEADS, NUM_FATS, SECTORS_PER_TRACK, type Layout } from './layout';

export const OEM_NAME = 'MIRAGETS';
export const MEDIA_FIXED_DISK = 0xf8;
export const FAT32_FSINFO_SECTOR = 1;
export const FAT32_BACKUP_BOOT_SECTOR = 6;

/**
 * A few bytes of boot code: print a message through the BIOS and halt. A
 * data image is never booted, but a real jump target and code keep tools
 * (and `file`) reading it as the boot sector it is.
 */
function bootCode(codeOffset: number): Uint8Array {
  const message = 'This is a Mirage/TS data volume, not a bootable disk.\r\n';
  const code = [
    0xfa, // cli
    0x31,
    0xc0,
    0x8e,
    0xd8, // xor ax,ax; mov ds,ax
    0xbe,
    0,
    0, // mov si, message (patched below)
    0xb4,
    0x0e, // mov ah, 0x0e
    0xac, // lodsb
    0x84,
    0xc0, // test al, al
    0x74,
    0x04, // jz halt
    0xcd,
    0x10, // int 0x10
    0xeb,
    0xf7, // jmp lodsb
    0xf4, // halt: hlt
    0xeb,
    0xfd, // jmp halt
  ];
  const messageAt = 0x7c00 + codeOffset + code.length;
  code[6] = messageAt & 0xff;
  code[7] = messageAt >> 8;
  return new Uint8Array([...code, ...Buffer.from(message, 'latin1'), 0]);
}

export interface BootRecordInput {
  readonly layout: Layout;
  readonly serial: number;
  readonly rootCluster: number;
  readonly freeClusters: number;
  readonly nextFreeCluster: number;
}

/** The reserved sectors' contents: boot sector, and for FAT32 the FSInfo sector and the backup copy. */
export function reservedArea({
  layout,
  serial,
  rootCluster,
  freeClusters,
  nextFreeCluster,
}: BootRecordInput): Uint8Array {
  const area = new Uint8Array(layout.reservedSectors * BYTES_PER_SECTOR);
  const boot = area.subarray(0, BYTES_PER_SECTOR);
  const v = new DataView(area.buffer);
  const is32 = layout.fatType === 32;
  const codeOffset = is32 ? 90 : 62;
  boot.set([0xeb, codeOffset - 2, 0x90], 0);
  boot.set(Buffer.from(OEM_NAME, 'latin1'), 3);
  v.setUint16(11, BYTES_PER_SECTOR, true);
  v.setUint8(13, layout.sectorsPerCluster);
  v.setUint16(14, layout.reservedSectors, true);
  v.setUint8(16, NUM_FATS);
  v.setUint16(17, layout.rootEntries, true);
  const small = !is32 && layout.totalSectors < 0x10000;
  v.setUint16(19, small ? layout.totalSectors : 0, true);
  v.setUint8(21, MEDIA_FIXED_DISK);
  v.setUint16(22, is32 ? 0 : layout.fatSectors, true);
  v.setUint16(24, SECTORS_PER_TRACK, true);
  v.setUint16(26, HEADS, true);
  v.setUint32(28, 0, true);
  v.setUint32(32, small ? 0 : layout.totalSectors, true);
  let ext = 36;
  if (is32) {
    v.setUint32(36, layout.fatSectors, true);
    v.setUint16(40, 0, true); // FATs mirrored
    v.setUint16(42, 0, true); // version 0.0
    v.setUint32(44, rootCluster, true);
    v.setUint16(48, FAT32_FSINFO_SECTOR, true);
    v.setUint16(50, FAT32_BACKUP_BOOT_SECTOR, true);
    ext = 64;
  }
  v.setUint8(ext, 0x80); // drive number: a fixed disk
  v.setUint8(ext + 2, 0x29); // extended boot signature: the next three fields are present
  v.setUint32(ext + 3, serial, true);
  boot.set(Buffer.from('NO NAME    ', 'latin1'), ext + 7);
  boot.set(Buffer.from(`FAT${layout.fatType}   `, 'latin1'), ext + 18);
  boot.set(bootCode(codeOffset), codeOffset);
  boot[BOOT_SIGNATURE_OFFSET] = 0x55;
  boot[BOOT_SIGNATURE_OFFSET + 1] = 0xaa;

  if (is32) {
    const info = FAT32_FSINFO_SECTOR * BYTES_PER_SECTOR;
    v.setUint32(info, 0x41615252, true);
    v.setUint32(info + 484, 0x61417272, true);
    v.setUint32(info + 488, freeClusters, true);
    v.setUint32(info + 492, nextFreeCluster, true);
    v.setUint32(info + 508, 0xaa550000, true);
    // Sector 2 is the third boot sector (no code here); it carries the signature too.
    area[2 * BYTES_PER_SECTOR + 510] = 0x55;
    area[2 * BYTES_PER_SECTOR + 511] = 0xaa;
    area.copyWithin(FAT32_BACKUP_BOOT_SECTOR * BYTES_PER_SECTOR, 0, 3 * BYTES_PER_SECTOR);
  }
  return area;
}
