import { impl } from '../impl';
import { typ } from '../typ';

/** The console device type (MirageOS `console`). */
export const console = typ('console', 'Console');

/**
 * Standard output and input of the unikernel's process: a terminal on unix,
 * the VM's console (hvc0 on xen, ttyS0 on qemu) inside an image, where the
 * image's init connects them.
 */
export const defaultConsole = impl(console, {
  label: 'console',
  module: '@mirage-ts/console/stdio',
  symbol: 'StdioConsole',
});
