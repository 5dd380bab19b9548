import {
  FAT12_MAX_CLUSTERS,
  FAT16_MAX_CLUSTERS,
  FAT16_MIN_CLUSTERS,
  FAT32_MAX_CLUSTERS,
  FAT32_MIN_CLUSTERS,
  type FatType,
} from '../boot-sector';

export const BYTES_PER_SECTOR = 512;
/** The geometry fields are meaningless for an image, but tools check that the size is a whole number of tracks. */
export const SECTORS_PER_TRACK = 32;
export const HEADS = 64;
export const NUM_FATS = 2;

export interface Layout {
  readonly fatType: FatType;
  readonly sectorsPerCluster: number;
  readonly reservedSectors: number;
  readonly rootEntries: number;
  readonly fatSectors: number;
  readonly dataStartSector: number;
  readonly clusterCount: number;
  readonly totalSectors: number;
}

export interface LayoutRequest {
  /** Clusters the content needs, for a given cluster size in bytes and FAT type. */
  readonly clustersNeeded: (clusterBytes: number, fatType: FatType) => number;
  /** Entries the root directory needs (long-name entries included). */
  readonly rootEntryCount: number;
  readonly fatType?: FatType;
  readonly sectorsPerCluster?: number;
  /** Free space to leave, in bytes. */
  readonly freeBytes?: number;
}

const MIN_CLUSTERS: Record<FatType, number> = { 12: 1, 16: FAT16_MIN_CLUSTERS, 32: FAT32_MIN_CLUSTERS };
const MAX_CLUSTERS: Record<FatType, number> = {
  12: FAT12_MAX_CLUSTERS,
  16: FAT16_MAX_CLUSTERS,
  32: FAT32_MAX_CLUSTERS,
};

const typeOf = (clusters: number): FatType =>
  clusters <= FAT12_MAX_CLUSTERS ? 12 : clusters <= FAT16_MAX_CLUSTERS ? 16 : 32;
const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/**
 * Picks the smallest layout that holds the content: FAT12 before FAT16
 * before FAT32 and small clusters before large ones, unless the caller
 * fixes the type or the cluster size. The FAT type follows from the cluster
 * count alone, so a FAT16 or FAT32 volume is padded up to that type's
 * minimum; the layout is iterated until its FAT, its data area and its
 * whole-track size agree.
 */
export function chooseLayout(req: LayoutRequest): Layout {
  const types: FatType[] = req.fatType ? [req.fatType] : [12, 16, 32];
  const sizes = req.sectorsPerCluster ? [req.sectorsPerCluster] : [1, 2, 4, 8, 16, 32, 64];
  for (const fatType of types) {
    for (const spc of sizes) {
      const layout = tryLayout(req, fatType, spc);
      if (layout) return layout;
    }
  }
  throw new Error(
    `the content does not fit on a FAT${req.fatType ?? ''} volume with ${req.sectorsPerCluster ? `${req.sectorsPerCluster} sectors per cluster` : 'clusters of up to 32 KiB'}`,
  );
}

function tryLayout(req: LayoutRequest, fatType: FatType, spc: number): Layout | undefined {
  const clusterBytes = spc * BYTES_PER_SECTOR;
  const rootEntries = fatType === 32 ? 0 : Math.max(512, roundUp(req.rootEntryCount, 16));
  if (rootEntries > 0xfff0) return undefined;
  const reservedSectors = fatType === 32 ? 32 : 1;
  const rootDirSectors = Math.ceil((rootEntries * 32) / BYTES_PER_SECTOR);
  const needed = req.clustersNeeded(clusterBytes, fatType) + Math.ceil((req.freeBytes ?? 0) / clusterBytes);
  let clusters = Math.max(needed, MIN_CLUSTERS[fatType]);
  for (let round = 0; round < 16; round++) {
    if (clusters > MAX_CLUSTERS[fatType]) return undefined;
    const fatSectors = Math.ceil(Math.ceil(((clusters + 2) * fatType) / 8) / BYTES_PER_SECTOR);
    const dataStartSector = reservedSectors + NUM_FATS * fatSectors + rootDirSectors;
    const totalSectors = roundUp(dataStartSector + clusters * spc, SECTORS_PER_TRACK);
    const actual = Math.floor((totalSectors - dataStartSector) / spc);
    if (actual === clusters) {
      if (typeOf(clusters) !== fatType || totalSectors > 0xffffffff) return undefined;
      return {
        fatType,
        sectorsPerCluster: spc,
        reservedSectors,
        rootEntries,
        fatSectors,
        dataStartSector,
        clusterCount: clusters,
        totalSectors,
      };
    }
    clusters = actual;
  }
  return undefined;
}
