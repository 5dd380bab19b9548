import * as fs from 'node:fs';
import { XenstoreClient, type XsTransport } from './client';
import { HEADER_BYTES, PAYLOAD_MAX } from './wire';

/** The guest kernel's xenstore device (drivers/xen/xenbus/xenbus_dev_frontend.c, built into Debian's kernels). */
export const XENBUS_DEVICE = '/dev/xen/xenbus';

/**
 * The device file through Node's fs: the driver takes each write(2) of whole
 * messages, and read(2) blocks until a reply or a watch event is queued, so
 * plain fs.read/fs.write on the fd are enough (no poll-able fd, hence no
 * native code). A blocked read holds one libuv thread-pool thread, which is
 * why the client reads only while a reply or a watch is outstanding.
 * `position` null makes libuv use read/write rather than pread/pwrite, which
 * a character device refuses.
 */
class DeviceTransport implements XsTransport {
  private readonly buffer = Buffer.alloc(HEADER_BYTES + PAYLOAD_MAX);

  constructor(private readonly fd: number) {}

  write(message: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      fs.write(this.fd, message, 0, message.length, null, (e, n) => {
        if (e) reject(e);
        else if (n !== message.length) reject(new Error(`short write to ${XENBUS_DEVICE}: ${n} of ${message.length}`));
        else resolve();
      }),
    );
  }

  read(): Promise<Uint8Array> {
    return new Promise((resolve, reject) =>
      fs.read(this.fd, this.buffer, 0, this.buffer.length, null, (e, n) =>
        e ? reject(e) : resolve(Buffer.from(this.buffer.subarray(0, n))),
      ),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => fs.close(this.fd, () => resolve()));
  }
}

/** The xenstore device of a unikernel in a Xen guest (MirageOS `OS.Xs`). */
export class XenbusXenstore extends XenstoreClient {
  static async connect(device: string = XENBUS_DEVICE): Promise<XenbusXenstore> {
    let fd: number;
    try {
      fd = await new Promise<number>((resolve, reject) =>
        fs.open(device, 'r+', (e, opened) => (e ? reject(e) : resolve(opened))),
      );
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? `xenstore: ${device} does not exist: the xenstore device needs a Xen guest (build with --target=xen and run the image under Xen)`
          : `xenstore: cannot open ${device}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    return new XenbusXenstore(new DeviceTransport(fd), (e) =>
      process.stderr.write(`xenstore: a watch callback threw: ${e instanceof Error ? e.stack : String(e)}\n`),
    );
  }
}
