import type { Name } from './name';
import type { RData } from './rdata';

/** One resource record. */
export interface Rr {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly rdata: RData;
}
