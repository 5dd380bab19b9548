import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIR_ENTRY_SIZE, type FatType } from '../boot-sector';
import {
  ATTR_ARCHIVE,
  ATTR_DIRECTORY,
  ATTR_LONG_NAME,
  LAST_LONG_ENTRY,
  LFN_CHARS,
  LFN_OFFSETS,
  encodeFatTimestamp,
  lfnChecksum,
} from '../directory-entry';
import { reservedArea } from './boot-record';
import { BYTES_PER_SECTOR, NUM_FATS, chooseLayout, type Layout } from './layout';
import { assignShortNames, longNameEntries, type ShortName } from './short-names';
import { readSourceTree, type SourceDir, type SourceFile } from './source-tree';

export interface BuildFatImageOptions {
  /** FAT12, 16 or 32; by default the smallest type that holds the content. */
  readonly fatType?: FatType;
  /** Cluster size in 512-byte sectors (1..64); by default the smallest that works. */
  readonly sectorsPerCluster?: number;
  /** Free space to leave on the volume, in bytes. */
  readonly freeBytes?: number;
}

export interface FatImageSummary {
  readonly image: string;
  readonly fatType: FatType;
  readonly clusterBytes: number;
  readonly clusterCount: number;
  readonly bytes: number;
  readonly files: number;
  readonly directories: number;
}

interface PlannedFile {
  readonly kind: 'file';
  readonly source: SourceFile;
  readonly short: ShortName;
  cluster: number;
  clusters: number;
}

interface PlannedDir {
  readonly kind: 'dir';
  readonly source: SourceDir;
  readonly short: ShortName | undefined;
  readonly isRoot: boolean;
  readonly children: (PlannedFile | PlannedDir)[];
  /** Entries it holds: `.` and `..`, then each child's long-name entries and short entry. */
  readonly entryCount: number;
  parent: PlannedDir | undefined;
  cluster: number;
  clusters: number;
}

/**
 * Makes a FAT image holding the directory `sourceDir` (the seed's
 * make-fat1-image.sh). Files are laid out contiguously in a stable order,
 * so the same directory gives the same bytes; the image is written beside
 * `image` and renamed into place only when complete.
 */
export function buildFatImage(sourceDir: string, image: string, options: BuildFatImageOptions = {}): FatImageSummary {
  const tree = plan(readSourceTree(sourceDir), undefined, true);
  const all = flatten(tree);
  const layout = chooseLayout({
    clustersNeeded: (clusterBytes, fatType) => all.reduce((n, item) => n + clustersOf(item, clusterBytes, fatType), 0),
    rootEntryCount: tree.entryCount,
    fatType: options.fatType,
    sectorsPerCluster: options.sectorsPerCluster,
    freeBytes: options.freeBytes,
  });
  const clusterBytes = layout.sectorsPerCluster * BYTES_PER_SECTOR;

  // Allocation: one contiguous run per file and directory, in tree order, from cluster 2.
  let next = 2;
  for (const item of all) {
    item.clusters = clustersOf(item, clusterBytes, layout.fatType);
    item.cluster = item.clusters === 0 ? 0 : next;
    next += item.clusters;
  }
  const used = next - 2;
  const fat = encodeFat(layout, all);
  const serial = serialOf(all, sourceDir);
  const boot = reservedArea({
    layout,
    serial,
    rootCluster: layout.fatType === 32 ? tree.cluster : 0,
    freeClusters: layout.clusterCount - used,
    nextFreeCluster: next <= layout.clusterCount + 1 ? next : 0xffffffff,
  });

  const temp = path.join(path.dirname(image), `.${path.basename(image)}.${process.pid}.tmp`);
  const fd = fs.openSync(temp, 'w');
  try {
    const bytes = layout.totalSectors * BYTES_PER_SECTOR;
    fs.ftruncateSync(fd, bytes);
    writeAt(fd, boot, 0);
    for (let i = 0; i < NUM_FATS; i++)
      writeAt(fd, fat, (layout.reservedSectors + i * layout.fatSectors) * BYTES_PER_SECTOR);
    const dataOffset = layout.dataStartSector * BYTES_PER_SECTOR;
    const clusterOffset = (cluster: number) => dataOffset + (cluster - 2) * clusterBytes;
    for (const item of all) {
      if (item.kind === 'dir') {
        const entries = encodeDirectory(item);
        const at =
          item.isRoot && layout.fatType !== 32
            ? (layout.reservedSectors + NUM_FATS * layout.fatSectors) * BYTES_PER_SECTOR
            : clusterOffset(item.cluster);
        writeAt(fd, entries, at);
      } else if (item.clusters > 0) {
        copyFile(fd, item.source, clusterOffset(item.cluster));
      }
    }
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(temp, image);
  return {
    image,
    fatType: layout.fatType,
    clusterBytes,
    clusterCount: layout.clusterCount,
    bytes: layout.totalSectors * BYTES_PER_SECTOR,
    files: all.filter((i) => i.kind === 'file').length,
    directories: all.filter((i) => i.kind === 'dir').length - 1,
  };
}

function plan(source: SourceDir, short: ShortName | undefined, isRoot: boolean): PlannedDir {
  const shorts = assignShortNames(source.children.map((c) => c.name));
  const children = source.children.map((c, i): PlannedFile | PlannedDir =>
    c.kind === 'dir'
      ? plan(c, shorts[i], false)
      : { kind: 'file', source: c, short: shorts[i], cluster: 0, clusters: 0 },
  );
  const entryCount =
    (isRoot ? 0 : 2) +
    source.children.reduce((n, c, i) => n + 1 + (shorts[i].needsLongName ? longNameEntries(c.name) : 0), 0);
  const dir: PlannedDir = {
    kind: 'dir',
    source,
    short,
    isRoot,
    children,
    entryCount,
    parent: undefined,
    cluster: 0,
    clusters: 0,
  };
  for (const c of children) if (c.kind === 'dir') c.parent = dir;
  return dir;
}

/** The root first, then each directory followed by its contents (depth first). */
function flatten(dir: PlannedDir): (PlannedFile | PlannedDir)[] {
  const out: (PlannedFile | PlannedDir)[] = [dir];
  for (const c of dir.children) {
    if (c.kind === 'dir') out.push(...flatten(c));
    else out.push(c);
  }
  return out;
}

function clustersOf(item: PlannedFile | PlannedDir, clusterBytes: number, fatType: FatType): number {
  if (item.kind === 'file') return Math.ceil(item.source.size / clusterBytes);
  if (item.isRoot && fatType !== 32) return 0; // the fixed root region lies outside the data area
  return Math.max(1, Math.ceil((item.entryCount * DIR_ENTRY_SIZE) / clusterBytes));
}

function encodeFat(layout: Layout, items: readonly (PlannedFile | PlannedDir)[]): Uint8Array {
  const fat = new Uint8Array(layout.fatSectors * BYTES_PER_SECTOR);
  const v = new DataView(fat.buffer);
  const end = layout.fatType === 12 ? 0xfff : layout.fatType === 16 ? 0xffff : 0x0fffffff;
  const set = (cluster: number, value: number) => {
    if (layout.fatType === 32) v.setUint32(cluster * 4, value, true);
    else if (layout.fatType === 16) v.setUint16(cluster * 2, value, true);
    else {
      const off = Math.floor((cluster * 3) / 2);
      const old = v.getUint16(off, true);
      v.setUint16(off, cluster & 1 ? (old & 0x000f) | (value << 4) : (old & 0xf000) | value, true);
    }
  };
  set(0, (end & ~0xff) | 0xf8);
  set(1, end);
  for (const item of items) {
    for (let i = 0; i < item.clusters; i++) set(item.cluster + i, i === item.clusters - 1 ? end : item.cluster + i + 1);
  }
  return fat;
}

function encodeDirectory(dir: PlannedDir): Uint8Array {
  const out = new Uint8Array(dir.entryCount * DIR_ENTRY_SIZE);
  let at = 0;
  const shortEntry = (raw: Uint8Array, attr: number, cluster: number, bytes: number, modified: number) => {
    const v = new DataView(out.buffer, at, DIR_ENTRY_SIZE);
    out.set(raw, at);
    v.setUint8(11, attr);
    const { date, time } = encodeFatTimestamp(modified);
    v.setUint16(14, time, true); // created
    v.setUint16(16, date, true);
    v.setUint16(18, date, true); // last access
    v.setUint16(20, cluster >>> 16, true);
    v.setUint16(22, time, true); // written
    v.setUint16(24, date, true);
    v.setUint16(26, cluster & 0xffff, true);
    v.setUint32(28, bytes, true);
    at += DIR_ENTRY_SIZE;
  };
  if (!dir.isRoot) {
    const dots = (n: number) => new Uint8Array(Buffer.from('.'.repeat(n).padEnd(11, ' '), 'latin1'));
    shortEntry(dots(1), ATTR_DIRECTORY, dir.cluster, 0, dir.source.modified);
    const parent = dir.parent;
    // `..` names the root as cluster 0, whatever the root's real cluster (the specification's rule).
    shortEntry(
      dots(2),
      ATTR_DIRECTORY,
      parent === undefined || parent.isRoot ? 0 : parent.cluster,
      0,
      dir.source.modified,
    );
  }
  for (const child of dir.children) {
    const name = child.source.name;
    const short = child.short as ShortName;
    if (short.needsLongName) {
      const count = longNameEntries(name);
      const checksum = lfnChecksum(short.raw);
      for (let n = count; n >= 1; n--) {
        const v = new DataView(out.buffer, at, DIR_ENTRY_SIZE);
        v.setUint8(0, n | (n === count ? LAST_LONG_ENTRY : 0));
        v.setUint8(11, ATTR_LONG_NAME);
        v.setUint8(13, checksum);
        const part = name.slice((n - 1) * LFN_CHARS, n * LFN_CHARS);
        LFN_OFFSETS.forEach((off, i) => {
          // After the name: one NUL, then 0xFFFF padding.
          const unit = i < part.length ? part.charCodeAt(i) : i === part.length ? 0x0000 : 0xffff;
          v.setUint16(off, unit, true);
        });
        at += DIR_ENTRY_SIZE;
      }
    }
    if (child.kind === 'dir') shortEntry(short.raw, ATTR_DIRECTORY, child.cluster, 0, child.source.modified);
    else shortEntry(short.raw, ATTR_ARCHIVE, child.cluster, child.source.size, child.source.modified);
  }
  return out;
}

function copyFile(fd: number, file: SourceFile, offset: number): void {
  const src = fs.openSync(file.hostPath, 'r');
  try {
    const chunk = Buffer.alloc(Math.min(1 << 20, Math.max(file.size, 1)));
    let done = 0;
    while (done < file.size) {
      const n = fs.readSync(src, chunk, 0, Math.min(chunk.length, file.size - done), done);
      if (n === 0) break;
      writeAt(fd, chunk.subarray(0, n), offset + done);
      done += n;
    }
    if (done !== file.size || fs.readSync(src, Buffer.alloc(1), 0, 1, done) !== 0) {
      throw new Error(`${file.hostPath} changed size while the image was being written; build the image again`);
    }
  } finally {
    fs.closeSync(src);
  }
}

function writeAt(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** A volume serial number from the content's names, sizes and times, so equal inputs give equal images. */
function serialOf(items: readonly (PlannedFile | PlannedDir)[], root: string): number {
  let h = 0x811c9dc5;
  for (const item of items) {
    for (const ch of `${path.relative(root, item.source.hostPath)}\0${item.kind === 'file' ? item.source.size : 'd'}\0${item.source.modified}\0`) {
      h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    }
  }
  return h;
}
