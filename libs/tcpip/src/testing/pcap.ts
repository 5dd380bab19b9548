import * as fs from 'node:fs';

/** Reads the frames of a classic pcap file (Ethernet link type), in order. */
export function readPcap(file: string): Uint8Array[] {
  const buf = fs.readFileSync(file);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d)
    throw new Error(`${file}: not a pcap file`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${file}: link type ${u32(20)}, expected Ethernet (1)`);
  const frames: Uint8Array[] = [];
  for (let o = 24; o + 16 <= buf.length;) {
    const caplen = u32(o + 8);
    frames.push(Uint8Array.from(buf.subarray(o + 16, o + 16 + caplen)));
    o += 16 + caplen;
  }
  return frames;
}
