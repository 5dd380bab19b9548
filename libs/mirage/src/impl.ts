import { captureCallSite, type CallSite } from './call-site';
import { isKey, toCond, type Cond, type Key } from './key';
import type { KeyValue } from './key-values';
import type { Target } from './targets';
import type { Typ } from './typ';

export type Json = string | number | boolean | null | readonly Json[] | { readonly [k: string]: Json };

/**
 * A host resource that a device stands for. The target decides what the
 * device is given at connect time: a block file is a path on unix and the
 * attached disk (/dev/xvdb, /dev/vdb) in a VM; a network is a tap device on
 * unix and the guest's NIC in a VM.
 */
export type Resource =
  | { readonly kind: 'block'; readonly file: string }
  | { readonly kind: 'network'; readonly name: string }
  | { readonly kind: 'data-dir'; readonly dir: string };

/** What a device's `connect` is called with, in order. */
export type ConnectArg =
  | AnyImpl
  | Key
  | { readonly kind: 'value'; readonly value: Json }
  | { readonly kind: 'resource'; readonly resource: Resource };

export const value = (v: Json): ConnectArg => ({ kind: 'value', value: v });
export const resource = (r: Resource): ConnectArg => ({ kind: 'resource', resource: r });

/** A build step the plugin runs at configure time for a device (e.g. crunching a directory). */
export interface BuildStep {
  readonly step: string;
  readonly options: { readonly [k: string]: Json };
}

/** Everything the generated main.ts needs to connect one device. */
export interface DeviceSpec {
  /** Short human name, shown by `describe` and in messages: `unix console`. */
  readonly label: string;
  /** Module that exports the implementation, e.g. `@mirage-ts/console/unix`. */
  readonly module: string;
  /** The exported class; main.ts calls `await Symbol.connect(...args)`. */
  readonly symbol: string;
  readonly args?: readonly ConnectArg[];
  /** Targets the implementation works on; all when absent. */
  readonly targets?: readonly Target[];
  readonly build?: BuildStep;
}

export type ImplNode =
  | { readonly kind: 'device'; readonly spec: DeviceSpec }
  | { readonly kind: 'if'; readonly cond: Cond; readonly then: AnyImpl; readonly else: AnyImpl }
  | {
      readonly kind: 'match';
      readonly key: Key;
      readonly cases: { readonly [value: string]: AnyImpl };
      readonly default?: AnyImpl;
    }
  | {
      readonly kind: 'job';
      readonly entry: string;
      readonly params: readonly Typ[];
      readonly args: readonly AnyImpl[];
    }
  /** The job that does nothing (MirageOS `noop`), for a job slot that a condition leaves empty. */
  | { readonly kind: 'noop' };

/**
 * An implementation of a device type (functoria's `impl`). Identity matters:
 * the same object used twice is one device, connected once.
 */
export interface Impl<K extends string> {
  readonly __mirage: 'impl';
  readonly typ: Typ<K>;
  readonly node: ImplNode;
  readonly site: CallSite;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyImpl = Impl<any>;

export function isImpl(value: unknown): value is AnyImpl {
  return typeof value === 'object' && value !== null && (value as { __mirage?: unknown }).__mirage === 'impl';
}

export function makeImpl<K extends string>(typ: Typ<K>, node: ImplNode, site: CallSite = captureCallSite()): Impl<K> {
  return Object.freeze({ __mirage: 'impl' as const, typ, node, site });
}

/** Declares an implementation of `typ` provided by a module's class. */
export function impl<K extends string>(typ: Typ<K>, spec: DeviceSpec): Impl<K> {
  for (const arg of spec.args ?? []) {
    if (!isImpl(arg) && !isKey(arg) && !('kind' in arg && (arg.kind === 'value' || arg.kind === 'resource'))) {
      throw new Error(`impl '${spec.label}': connect arguments must be impls, keys, value(...) or resource(...)`);
    }
  }
  return makeImpl(typ, { kind: 'device', spec }, captureCallSite());
}

/** `ifImpl(Key.isXen, a, b)`: `a` where the condition holds after configuration, else `b`. */
export function ifImpl<K extends string>(
  cond: Cond | Key<boolean>,
  then: Impl<K>,
  otherwise: NoInfer<Impl<K>>,
): Impl<K> {
  return makeImpl(then.typ, { kind: 'if', cond: toCond(cond), then, else: otherwise }, captureCallSite());
}

/** `matchImpl(kvKey, { crunch: c, fat: f }, d)`: the case named by the key's configured value. */
export function matchImpl<V extends KeyValue, K extends string>(
  key: Key<V>,
  cases: { readonly [C in V & string]?: Impl<K> },
  otherwise?: NoInfer<Impl<K>>,
): Impl<K> {
  const all = Object.values(cases) as Impl<K>[];
  const first = all[0] ?? otherwise;
  if (!first) {
    throw new Error(`matchImpl on key '${key.decl.name}' needs at least one case`);
  }
  return makeImpl(
    first.typ,
    { kind: 'match', key, cases: cases as Record<string, AnyImpl>, default: otherwise },
    captureCallSite(),
  );
}
