import { impl } from '../impl';
import { typ } from '../typ';

/** The xenstore device type (MirageOS `OS.Xs`, reached through `xenstore` here). */
export const xenstore = typ('xenstore', 'Xenstore');

/**
 * The guest's xenstore connection through the kernel's /dev/xen/xenbus. Xen
 * only: configuring it for unix or qemu stops with an error naming the target.
 */
export const defaultXenstore = impl(xenstore, {
  label: 'xenstore',
  module: '@mirage-ts/xenstore/xenbus',
  symbol: 'XenbusXenstore',
  targets: ['xen'],
});
