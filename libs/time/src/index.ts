/**
 * What a unikernel may import from here: `sleep`, the counterpart of the
 * seed's `OS.Time.sleep`. The Time device itself is '@mirage-ts/time/node'.
 */
export { sleep } from './sleep';
