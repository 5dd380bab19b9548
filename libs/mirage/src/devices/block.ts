import { Key } from '../key';
import { ifImpl, impl, resource, type Impl } from '../impl';
import { typ } from '../typ';

/** The block device type (MirageOS `block`). */
export const block = typ('block', 'Block');

/**
 * A block device backed by `file` (MirageOS `block_of_file`). On unix it is
 * the host file, named relative to the unikernel's folder. In a VM image the
 * file is attached to the VM as a disk and the unikernel opens the guest's
 * raw device (/dev/xvdb on xen, /dev/vdb on qemu).
 */
export function blockOfFile(file: string): Impl<'block'> {
  const args = [resource({ kind: 'block', file })];
  return ifImpl(
    Key.isVm,
    impl(block, {
      label: `raw disk for ${file}`,
      module: '@mirage-ts/block/raw',
      symbol: 'RawBlock',
      args,
      targets: ['xen', 'qemu'],
    }),
    impl(block, {
      label: `block file ${file}`,
      module: '@mirage-ts/block/file',
      symbol: 'FileBlock',
      args,
      targets: ['unix'],
    }),
  );
}
