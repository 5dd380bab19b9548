import { setTimeout as delay } from 'node:timers/promises';
import * as fs from 'node:fs';
import { FdBlock, openDevice, type FdBlockOptions } from './fd-block';

export interface RawBlockOptions extends FdBlockOptions {
  /**
   * How long to wait for the device node to appear (default 10 s): in a VM
   * the disk's node shows up only once its driver has probed the disk.
   */
  readonly appearWithinMs?: number;
}

const POLL_MS = 50;

/**
 * A block device over any raw device node or file (the disk attached to a VM
 * image: /dev/xvdb on xen, /dev/vdb on qemu). Its size is the device's own,
 * from the kernel (sysfs, or by reading where /sys is absent), or the
 * file's length; the sector size is the device's logical block size unless
 * one is given. A disk attached read-only gives a read-only device.
 */
export class RawBlock extends FdBlock {
  static async connect(device: string, options: RawBlockOptions = {}): Promise<RawBlock> {
    const deadline = Date.now() + (options.appearWithinMs ?? 10_000);
    while (typeof device === 'string' && !fs.existsSync(device) && Date.now() < deadline) {
      await delay(POLL_MS);
    }
    return new RawBlock(await openDevice(device, options, 'a raw block device'));
  }
}
