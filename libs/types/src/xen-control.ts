import type { DeviceError, Result } from './result';

/**
 * A request from the Xen toolstack, as the 2015 guest agent read them from
 * `control/shutdown`: `xl shutdown` (and `halt`) is `poweroff`, `xl reboot`
 * is `reboot`, and `xl save` is `suspend`, which the guest kernel carries
 * out itself: it is reported once the domain runs again, `cancelled` when
 * it resumed in the same domain (`xl save -c`) rather than a restored one.
 */
export type XenControlMessage =
  { readonly message: 'poweroff' | 'reboot' } | { readonly message: 'suspend'; readonly cancelled: boolean };

/** The toolstack's requests to this domain, and how the domain ends. */
export interface XenControl {
  /** The next request; waits until one comes. */
  next(): Promise<XenControlMessage>;
  /** This domain's id (xenstore's `domid`); a restored domain has a new one. */
  domid(): Promise<Result<number, DeviceError>>;
  /**
   * How the domain ends once the unikernel returns from `start`: powered off
   * (the default) or rebooted (the toolstack then starts it again).
   */
  shutdown(how: 'poweroff' | 'reboot'): Promise<void>;
}
