import { FatFormatError } from './errors';

export type FatType = 12 | 16 | 32;

/** Cluster counts that decide the FAT type (Microsoft's FAT specification, "FAT type determination"). */
export const FAT12_MAX_CLUSTERS = 4084;
export const FAT16_MIN_CLUSTERS = 4085;
export const FAT16_MAX_CLUSTERS = 65524;
export const FAT32_MIN_CLUSTERS = 65525;
/** FAT32 entries have 28 bits; the top values are reserved, bad and end-of-chain markers. */
export const FAT32_MAX_CLUSTERS = 0x0ffffff5 - 1;

export const BOOT_SIGNATURE_OFFSET = 510;
export const DIR_ENTRY_SIZE = 32;

/** The BIOS parameter block and what follows from it: where everything is, in bytes. */
export interface Geometry {
  readonly fatType: FatType;
  readonly oemName: string;
  readonly bytesPerSector: number;
  readonly sectorsPerCluster: number;
  readonly clusterBytes: number;
  readonly reservedSectors: number;
  readonly numFats: number;
  readonly rootEntries: number;
  readonly totalSectors: number;
  readonly fatSectors: number;
  readonly media: number;
  /** Which FAT to read (FAT32 may turn mirroring off and name an active one). */
  readonly activeFat: number;
  /** FAT32: the root directory's first cluster; 0 for FAT12/16, whose root has a fixed region. */
  readonly rootCluster: number;
  readonly fatOffset: number;
  readonly fatBytes: number;
  readonly rootDirOffset: number;
  readonly rootDirBytes: number;
  readonly dataOffset: number;
  readonly clusterCount: number;
  /** Highest valid cluster number (clusters are numbered from 2). */
  readonly maxCluster: number;
  readonly volumeBytes: number;
}

const POWERS_OF_TWO_SECTOR = [512, 1024, 2048, 4096];

/**
 * Reads and checks a boot sector. `deviceBytes` is the size of the device
 * holding the volume: a volume that claims more than the device has is a
 * truncated image, and is refused here rather than failing later.
 */
export function parseBootSector(sector: Uint8Array, deviceBytes: number): Geometry {
  if (sector.length < 512)
    throw new FatFormatError(`not a FAT volume: the device is smaller than one boot sector (${sector.length} bytes)`);
  const v = new DataView(sector.buffer, sector.byteOffset, 512);
  const bad = (what: string) => new FatFormatError(`not a FAT volume: the boot sector's ${what}`);
  if (v.getUint8(BOOT_SIGNATURE_OFFSET) !== 0x55 || v.getUint8(BOOT_SIGNATURE_OFFSET + 1) !== 0xaa) {
    throw bad('signature at byte 510 is not 55 AA');
  }
  const jump = v.getUint8(0);
  if (jump !== 0xeb && jump !== 0xe9)
    throw bad(`first byte is 0x${jump.toString(16)}, not a jump instruction (EB or E9)`);
  const bytesPerSector = v.getUint16(11, true);
  if (!POWERS_OF_TWO_SECTOR.includes(bytesPerSector))
    throw bad(`bytes per sector is ${bytesPerSector} (expected 512, 1024, 2048 or 4096)`);
  const sectorsPerCluster = v.getUint8(13);
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) {
    throw bad(`sectors per cluster is ${sectorsPerCluster} (expected a power of two up to 128)`);
  }
  const reservedSectors = v.getUint16(14, true);
  if (reservedSectors === 0) throw bad('reserved sector count is 0');
  const numFats = v.getUint8(16);
  if (numFats === 0) throw bad('number of FATs is 0');
  const rootEntries = v.getUint16(17, true);
  const totalSectors = v.getUint16(19, true) || v.getUint32(32, true);
  if (totalSectors === 0) throw bad('total sector count is 0');
  const media = v.getUint8(21);
  const fatSectors = v.getUint16(22, true) || v.getUint32(36, true);
  if (fatSectors === 0) throw bad('FAT size is 0');

  const rootDirSectors = Math.ceil((rootEntries * DIR_ENTRY_SIZE) / bytesPerSector);
  const dataSector = reservedSectors + numFats * fatSectors + rootDirSectors;
  if (dataSector >= totalSectors) {
    throw bad(`layout leaves no data area (data would start at sector ${dataSector} of ${totalSectors})`);
  }
  const clusterCount = Math.floor((totalSectors - dataSector) / sectorsPerCluster);
  if (clusterCount === 0) throw bad('layout leaves no whole cluster');
  const fatType: FatType = clusterCount <= FAT12_MAX_CLUSTERS ? 12 : clusterCount <= FAT16_MAX_CLUSTERS ? 16 : 32;
  if (fatType === 32 && clusterCount > FAT32_MAX_CLUSTERS)
    throw bad(`cluster count ${clusterCount} is beyond what FAT32 can address`);

  let rootCluster = 0;
  let activeFat = 0;
  if (fatType === 32) {
    if (rootEntries !== 0)
      throw bad(`root entry count is ${rootEntries}, but a FAT32 volume has no fixed root directory`);
    rootCluster = v.getUint32(44, true);
    if (rootCluster < 2 || rootCluster > clusterCount + 1) {
      throw new FatFormatError(
        `corrupt FAT volume: the root directory cluster ${rootCluster} is outside the volume (clusters 2..${clusterCount + 1})`,
      );
    }
    const extFlags = v.getUint16(40, true);
    if (extFlags & 0x80) activeFat = extFlags & 0x0f;
    if (activeFat >= numFats) throw bad(`active FAT ${activeFat} does not exist (${numFats} FATs)`);
  } else if (rootEntries === 0) {
    throw bad(`root entry count is 0 on a FAT${fatType} volume`);
  }

  const bitsNeeded = (clusterCount + 2) * fatType;
  if (fatSectors * bytesPerSector * 8 < bitsNeeded) {
    throw bad(`FAT of ${fatSectors} sectors is too small for ${clusterCount} clusters`);
  }
  const volumeBytes = totalSectors * bytesPerSector;
  if (volumeBytes > deviceBytes) {
    throw new FatFormatError(
      `truncated FAT volume: the boot sector says ${totalSectors} sectors (${volumeBytes} bytes) but the device holds only ${deviceBytes} bytes`,
    );
  }

  const oemName = String.fromCharCode(...sector.subarray(3, 11))
    .replace(/[^\x20-\x7e]/g, '?')
    .trimEnd();
  const clusterBytes = sectorsPerCluster * bytesPerSector;
  return {
    fatType,
    oemName,
    bytesPerSector,
    sectorsPerCluster,
    clusterBytes,
    reservedSectors,
    numFats,
    rootEntries,
    totalSectors,
    fatSectors,
    media,
    activeFat,
    rootCluster,
    fatOffset: (reservedSectors + activeFat * fatSectors) * bytesPerSector,
    fatBytes: fatSectors * bytesPerSector,
    rootDirOffset: (reservedSectors + numFats * fatSectors) * bytesPerSector,
    rootDirBytes: rootEntries * DIR_ENTRY_SIZE,
    dataOffset: dataSector * bytesPerSector,
    clusterCount,
    maxCluster: clusterCount + 1,
    volumeBytes,
  };
}
