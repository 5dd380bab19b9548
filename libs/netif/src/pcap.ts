import * as fs from 'node:fs';

const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;
const FLUSH_AT = 1 << 20;

/**
 * Writes frames to a classic pcap file (microsecond timestamps, Ethernet
 * link type) that tcpdump -r and Wireshark read. The format is a 24-byte
 * header and a 16-byte header per record, so it is written here directly
 * instead of pulling in a capture library. Records are buffered and written
 * synchronously, so the file is complete as soon as close() returns.
 */
export class PcapWriter {
  private fd: number | undefined;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private count = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeInt32LE(0, 8);
    header.writeUInt32LE(0, 12);
    header.writeUInt32LE(SNAPLEN, 16);
    header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    fs.writeSync(this.fd, header);
  }

  get frames(): number {
    return this.count;
  }

  record(frame: Uint8Array, timeMs = performance.timeOrigin + performance.now()): void {
    if (this.fd === undefined) return;
    const captured = Math.min(frame.length, SNAPLEN);
    const header = Buffer.alloc(16);
    const seconds = Math.floor(timeMs / 1000);
    header.writeUInt32LE(seconds, 0);
    header.writeUInt32LE(Math.min(999_999, Math.floor((timeMs - seconds * 1000) * 1000)), 4);
    header.writeUInt32LE(captured, 8);
    header.writeUInt32LE(frame.length, 12);
    this.chunks.push(header, Buffer.from(frame.subarray(0, captured)));
    this.buffered += 16 + captured;
    this.count++;
    if (this.buffered >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.fd === undefined || this.chunks.length === 0) return;
    fs.writeSync(this.fd, Buffer.concat(this.chunks));
    this.chunks = [];
    this.buffered = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
