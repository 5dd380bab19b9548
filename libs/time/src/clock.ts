import type { Clock } from '@mirage-ts/types';

/** The Clock device on every target: the host's (or guest kernel's) clocks, through Node. */
export class NodeClock implements Clock {
  static async connect(): Promise<NodeClock> {
    return new NodeClock();
  }

  elapsedNs(): bigint {
    return process.hrtime.bigint();
  }

  nowMs(): number {
    return Date.now();
  }
}
