/**
 * The Mirage/TS configuration DSL: what config.ts imports to describe a
 * unikernel's devices, as MirageOS's `config.ml` does with `open Mirage`.
 */
export { TARGETS, isTarget, type Target } from './targets';
export { typ, job, type Typ } from './typ';
export { Key, type Cond } from './key';
export type { KeyDecl, KeyKind, KeyStage, KeyValue } from './key-values';
export {
  impl,
  ifImpl,
  matchImpl,
  value,
  resource,
  type Impl,
  type DeviceSpec,
  type ConnectArg,
  type Resource,
  type Json,
} from './impl';
export { foreign, $, type Functor } from './functor';
export { noop } from './noop';
export { register, type Registration, type RegisterOptions } from './register';
export type { RawGraph, RawNode, RawArg, RawCond } from './graph';
export { RAW_GRAPH_FORMAT } from './graph';

export * from './devices/console';
export * from './devices/time';
export * from './devices/block';
export * from './devices/network';
export * from './devices/stackv4';
export * from './devices/kv';
export * from './devices/resolver';
export * from './devices/conduit';
export * from './devices/xen-control';
export * from './devices/xenstore';
export * from './devices/grant-tables';
