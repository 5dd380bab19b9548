import { FdBlock, MissingDeviceError, openDevice, type FdBlockOptions } from './fd-block';

export type FileBlockOptions = FdBlockOptions;

/**
 * A block device backed by a host file (MirageOS's block_of_file on unix):
 * the file's length defines the device, which never grows or shrinks it.
 * A file that cannot be opened for writing gives a read-only device. Writes
 * are durable after `flush()` or `disconnect()`.
 */
export class FileBlock extends FdBlock {
  static async connect(file: string, options: FileBlockOptions = {}): Promise<FileBlock> {
    try {
      return new FileBlock(await openDevice(file, options, 'a file block device'));
    } catch (e) {
      // The usual first-run mistake gets the way out in the message.
      if (e instanceof MissingDeviceError) {
        throw new Error(
          `${e.message}: a block device needs an existing file of the disk's size (npx nx run <app>:disk-image creates one)`,
          { cause: e },
        );
      }
      throw e;
    }
  }
}
