/**
 * The xen control device ('@mirage-ts/xen-control/control'): the toolstack's
 * power-off, reboot and suspend requests, for unikernels built for xen.
 */
export { XenControlDevice, type ControlStore } from './control';
