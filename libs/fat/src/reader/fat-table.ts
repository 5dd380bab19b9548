import type { Geometry } from '../boot-sector';
import { FatFormatError } from '../errors';
import type { BlockBytes } from './block-bytes';

/** What one FAT entry says about the cluster after it. */
export type FatLink =
  | { readonly kind: 'next'; readonly cluster: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'free' }
  | { readonly kind: 'bad' };

const CHUNK = 64 * 1024;
const MAX_CHUNKS = 64;

/**
 * The file allocation table, read in 64 KiB chunks on demand and kept in a
 * small cache: a FAT32 table can be many megabytes, and most reads touch a
 * few neighbouring entries.
 */
export class FatTable {
  private readonly chunks = new Map<number, Uint8Array>();

  constructor(
    private readonly bytes: BlockBytes,
    private readonly g: Geometry,
  ) {}

  async link(cluster: number): Promise<FatLink> {
    const { fatType } = this.g;
    let raw: number;
    if (fatType === 12) {
      const off = Math.floor((cluster * 3) / 2);
      await this.load(off, 2);
      const pair = this.byteAt(off) | (this.byteAt(off + 1) << 8);
      raw = cluster & 1 ? pair >> 4 : pair & 0xfff;
    } else if (fatType === 16) {
      const off = cluster * 2;
      await this.load(off, 2);
      raw = this.byteAt(off) | (this.byteAt(off + 1) << 8);
    } else {
      const off = cluster * 4;
      await this.load(off, 4);
      raw =
        (this.byteAt(off) | (this.byteAt(off + 1) << 8) | (this.byteAt(off + 2) << 16) | (this.byteAt(off + 3) << 24)) &
        0x0fffffff;
    }
    const top = fatType === 12 ? 0xfff : fatType === 16 ? 0xffff : 0x0fffffff;
    if (raw === 0) return { kind: 'free' };
    if (raw === top - 8) return { kind: 'bad' };
    if (raw >= top - 7) return { kind: 'end' };
    return { kind: 'next', cluster: raw };
  }

  /**
   * The clusters of a chain from `start`, at most `limit` of them. `what`
   * names the file or directory for messages. Every cluster is checked to lie
   * inside the volume, and a chain that comes back on itself is an error, so
   * a corrupt table can neither send a read outside the volume nor loop.
   */
  async chain(start: number, limit: number, what: string): Promise<number[]> {
    const clusters: number[] = [];
    const seen = new Set<number>();
    let cluster = start;
    for (;;) {
      this.checkCluster(cluster, what);
      if (seen.has(cluster))
        throw new FatFormatError(`corrupt FAT volume: the cluster chain of ${what} loops back to cluster ${cluster}`);
      seen.add(cluster);
      clusters.push(cluster);
      if (clusters.length >= limit) return clusters;
      const next = await this.link(cluster);
      if (next.kind === 'end') return clusters;
      if (next.kind === 'free')
        throw new FatFormatError(
          `corrupt FAT volume: the cluster chain of ${what} continues into a free cluster after cluster ${cluster}`,
        );
      if (next.kind === 'bad')
        throw new FatFormatError(
          `corrupt FAT volume: the cluster chain of ${what} runs into a cluster marked bad after ${cluster}`,
        );
      cluster = next.cluster;
    }
  }

  checkCluster(cluster: number, what: string): void {
    if (!Number.isInteger(cluster) || cluster < 2 || cluster > this.g.maxCluster) {
      throw new FatFormatError(
        `corrupt FAT volume: ${what} points to cluster ${cluster}, outside the volume (clusters 2..${this.g.maxCluster})`,
      );
    }
  }

  /** Makes sure the bytes [offset, offset + length) of the FAT are in the cache. */
  private async load(offset: number, length: number): Promise<void> {
    if (offset + length > this.g.fatBytes)
      throw new FatFormatError(`corrupt FAT volume: FAT entry at byte ${offset} is past the end of the FAT`);
    for (let index = Math.floor(offset / CHUNK); index <= Math.floor((offset + length - 1) / CHUNK); index++) {
      if (this.chunks.has(index)) continue;
      const start = index * CHUNK;
      const chunk = await this.bytes.read(this.g.fatOffset + start, Math.min(CHUNK, this.g.fatBytes - start));
      if (this.chunks.size >= MAX_CHUNKS) this.chunks.delete(this.chunks.keys().next().value as number);
      this.chunks.set(index, chunk);
    }
  }

  private byteAt(offset: number): number {
    const index = Math.floor(offset / CHUNK);
    return (this.chunks.get(index) as Uint8Array)[offset - index * CHUNK];
  }
}
