export { ConduitDirect, secureContextOf, type ConduitOptions } from './direct';
export { FlowDuplex, netErrorToError } from './flow-duplex';
export { DuplexFlow } from './duplex-flow';
