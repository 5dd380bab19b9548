import { impl, value } from '../impl';
import { typ } from '../typ';

/**
 * The xen control device type: the toolstack's requests to the domain
 * (`xl shutdown`, `xl reboot`, `xl save`/`xl restore`), as MirageOS's
 * `OS.Xs` watch of `control/shutdown` and `OS.Sched` gave them in 2015.
 */
export const xenControl = typ('xen_control', 'XenControl');

/**
 * Inside the VM image, the folder where the image's /init, its
 * /sbin/poweroff and /sbin/reboot and the control device meet: `app.pid`
 * (the unikernel's process) and `shutdown` (how the VM ends). The plugin's
 * init script and the device both take it from here.
 */
export const XEN_CONTROL_DIR = '/tmp/mirage';

/**
 * The guest kernel's own handling of `control/shutdown`, passed on: power
 * off and reboot arrive from the image's /sbin/poweroff and /sbin/reboot,
 * a suspend (which the kernel carries out) is seen on resume through a
 * xenstore watch. Xen only: building for another target says so.
 */
export const defaultXenControl = impl(xenControl, {
  label: 'xen control',
  module: '@mirage-ts/xen-control/control',
  symbol: 'XenControlDevice',
  args: [value(XEN_CONTROL_DIR)],
  targets: ['xen'],
});
