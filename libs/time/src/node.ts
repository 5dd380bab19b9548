import type { Time } from '@mirage-ts/types';
import { sleep } from './sleep';

/** The Time device on every target: all of them run the unikernel on Node. */
export class NodeTime implements Time {
  static async connect(): Promise<NodeTime> {
    return new NodeTime();
  }

  sleep(ms: number): Promise<void> {
    return sleep(ms);
  }
}
