import { impl } from '../impl';
import { typ } from '../typ';

/** The grant tables device type (MirageOS `Gntshr` and `Gnttab`). */
export const grantTables = typ('grant_tables', 'GrantTables');

/**
 * Grant tables through the guest kernel's /dev/xen/gntalloc and
 * /dev/xen/gntdev (the image loads xen-gntalloc and xen-gntdev for it). Xen
 * only: configuring it for unix or qemu stops with an error naming the target.
 */
export const defaultGrantTables = impl(grantTables, {
  label: 'grant tables',
  module: '@mirage-ts/xen-grant/device',
  symbol: 'XenGrantTables',
  targets: ['xen'],
});
