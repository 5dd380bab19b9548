import { DuplexFlow, FlowDuplex } from '@mirage-ts/conduit';
import type { Flow } from '@mirage-ts/types';
import type { Duplex } from 'node:stream';

/** The stream Node's http reads: the TLS session itself for TLS flows, else an adapter over the flow. */
export function duplexOf(flow: Flow): Duplex {
  return (flow instanceof DuplexFlow && flow.takeDuplex()) || new FlowDuplex(flow);
}
