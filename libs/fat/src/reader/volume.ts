import type { Block } from '@mirage-ts/types';
import { DIR_ENTRY_SIZE, parseBootSector, type Geometry } from '../boot-sector';
import { parseDirectory, type DirEntry } from '../directory-entry';
import { FatFormatError } from '../errors';
import { BlockBytes } from './block-bytes';
import { FatTable } from './fat-table';

/** A directory as the reader knows it: the fixed FAT12/16 root, or a cluster chain. */
export type DirRef =
  { readonly kind: 'fixed-root' } | { readonly kind: 'chain'; readonly cluster: number; readonly path: string };

export type Node =
  | { readonly kind: 'dir'; readonly ref: DirRef; readonly modified: number; readonly path: string }
  | { readonly kind: 'file'; readonly entry: DirEntry; readonly path: string };

/** A directory may hold at most 65536 entries (the specification's limit); more is a corrupt chain. */
const MAX_DIR_BYTES = 65536 * DIR_ENTRY_SIZE;

/**
 * A FAT12/16/32 volume read through any Block. Every structure read from
 * the device is checked before it is followed: a volume larger than its
 * device, a chain that loops or leaves the volume, a file larger than its
 * chain all raise FatFormatError, so a corrupt image cannot make a read go
 * out of bounds or run forever.
 */
export class FatVolume {
  private constructor(
    private readonly bytes: BlockBytes,
    readonly geometry: Geometry,
    private readonly fat: FatTable,
  ) {}

  static async open(block: Block): Promise<FatVolume> {
    const bytes = await BlockBytes.over(block);
    if (bytes.size < 512) {
      throw new FatFormatError(`not a FAT volume: the device holds ${bytes.size} bytes, less than one boot sector`);
    }
    const geometry = parseBootSector(await bytes.read(0, 512), bytes.size);
    return new FatVolume(bytes, geometry, new FatTable(bytes, geometry));
  }

  root(): Node {
    const ref: DirRef =
      this.geometry.fatType === 32
        ? { kind: 'chain', cluster: this.geometry.rootCluster, path: '/' }
        : { kind: 'fixed-root' };
    return { kind: 'dir', ref, modified: 0, path: '' };
  }

  async readDir(dir: Node & { kind: 'dir' }): Promise<DirEntry[]> {
    let raw: Uint8Array;
    if (dir.ref.kind === 'fixed-root') {
      raw = await this.bytes.read(this.geometry.rootDirOffset, this.geometry.rootDirBytes);
    } else {
      const what = `directory ${JSON.stringify(dir.ref.path)}`;
      const clusters = await this.fat.chain(
        dir.ref.cluster,
        Math.ceil(MAX_DIR_BYTES / this.geometry.clusterBytes) + 1,
        what,
      );
      if (clusters.length * this.geometry.clusterBytes > MAX_DIR_BYTES) {
        throw new FatFormatError(`corrupt FAT volume: ${what} is longer than the 65536 entries a directory may hold`);
      }
      raw = await this.readClusters(clusters);
    }
    return parseDirectory(raw, this.geometry.fatType);
  }

  /** The entry for `segments` below the root, or undefined when some segment is missing. */
  async lookup(segments: readonly string[]): Promise<Node | 'not-a-directory' | undefined> {
    let node = this.root();
    for (const [i, segment] of segments.entries()) {
      if (node.kind !== 'dir') return 'not-a-directory';
      const entry = findEntry(await this.readDir(node), segment);
      if (!entry) return undefined;
      const path = segments.slice(0, i + 1).join('/');
      if (entry.isDirectory) {
        if (entry.firstCluster === 0) {
          // Some tools store the root as cluster 0 in `..`; a named directory at cluster 0 is corrupt.
          throw new FatFormatError(`corrupt FAT volume: directory ${JSON.stringify(path)} has no first cluster`);
        }
        node = {
          kind: 'dir',
          ref: { kind: 'chain', cluster: entry.firstCluster, path },
          modified: entry.modified,
          path,
        };
      } else {
        node = { kind: 'file', entry, path };
      }
    }
    return node;
  }

  /** Up to `length` bytes of a file from `offset`. */
  async readFile(file: Node & { kind: 'file' }, offset: number, length: number): Promise<Uint8Array> {
    const { entry } = file;
    const what = `file ${JSON.stringify(file.path)}`;
    const end = Math.min(entry.size, offset + length);
    if (offset >= end) return new Uint8Array(0);
    const cb = this.geometry.clusterBytes;
    const clustersInFile = Math.ceil(entry.size / cb);
    if (clustersInFile > this.geometry.clusterCount) {
      throw new FatFormatError(`corrupt FAT volume: ${what} claims ${entry.size} bytes, more than the volume holds`);
    }
    const lastIndex = Math.ceil(end / cb) - 1;
    const chain = await this.fat.chain(entry.firstCluster, lastIndex + 1, what);
    if (chain.length <= lastIndex) {
      throw new FatFormatError(
        `corrupt FAT volume: the cluster chain of ${what} ends after ${chain.length} clusters, but its size (${entry.size} bytes) needs ${clustersInFile}`,
      );
    }
    const firstIndex = Math.floor(offset / cb);
    const data = await this.readClusters(chain.slice(firstIndex, lastIndex + 1));
    const skip = offset - firstIndex * cb;
    return data.subarray(skip, skip + (end - offset));
  }

  /** Reads clusters in order, one device request per run of consecutive clusters. */
  private async readClusters(clusters: readonly number[]): Promise<Uint8Array> {
    const cb = this.geometry.clusterBytes;
    const out = new Uint8Array(clusters.length * cb);
    let i = 0;
    while (i < clusters.length) {
      let run = 1;
      while (i + run < clusters.length && clusters[i + run] === clusters[i] + run) run++;
      const offset = this.geometry.dataOffset + (clusters[i] - 2) * cb;
      out.set(await this.bytes.read(offset, run * cb), i * cb);
      i += run;
    }
    return out;
  }
}

/**
 * FAT names are case-insensitive: an exact long name wins, then any entry
 * whose long or short name matches ignoring case.
 */
export function findEntry(entries: readonly DirEntry[], name: string): DirEntry | undefined {
  const exact = entries.find((e) => e.name === name);
  if (exact) return exact;
  const upper = name.toUpperCase();
  return entries.find((e) => e.name.toUpperCase() === upper || e.shortName === upper);
}
