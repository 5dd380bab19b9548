import type { CallSite } from './call-site';
import type { KeyDecl, KeyValue } from './key-values';
import type { Json, Resource } from './impl';
import type { Target } from './targets';

/**
 * The unresolved device graph as plain data: what `register` hands to the
 * plugin. Nodes are numbered in the order they are first reached from the
 * jobs, and an impl object used twice is one node. `site` is the raw stack at
 * the combinator call (the plugin maps it to a config.ts line).
 */
export const RAW_GRAPH_FORMAT = 'mirage-ts/graph@1';

export type RawCond =
  | { readonly kind: 'is'; readonly key: string; readonly value: KeyValue }
  | { readonly kind: 'not'; readonly cond: RawCond }
  | { readonly kind: 'all'; readonly conds: readonly RawCond[] }
  | { readonly kind: 'any'; readonly conds: readonly RawCond[] };

export type RawArg =
  | { readonly kind: 'device'; readonly node: number }
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'value'; readonly value: Json }
  | { readonly kind: 'resource'; readonly resource: Resource };

interface RawNodeBase {
  readonly id: number;
  /** The device type's name (`console`, `block`, `job`...). */
  readonly typ: string;
  /** The signature interface in @mirage-ts/types (`Console`, `Block`...). */
  readonly signature: string;
  readonly site: CallSite;
}

export type RawNode =
  | (RawNodeBase & {
      readonly kind: 'device';
      readonly label: string;
      readonly module: string;
      readonly symbol: string;
      readonly args: readonly RawArg[];
      readonly targets: readonly Target[] | null;
      readonly build: { readonly step: string; readonly options: { readonly [k: string]: Json } } | null;
    })
  | (RawNodeBase & { readonly kind: 'if'; readonly cond: RawCond; readonly then: number; readonly else: number })
  | (RawNodeBase & {
      readonly kind: 'match';
      readonly key: string;
      readonly cases: { readonly [value: string]: number };
      readonly default: number | null;
    })
  | (RawNodeBase & { readonly kind: 'job'; readonly entry: string; readonly args: readonly number[] })
  | (RawNodeBase & { readonly kind: 'noop' });

export interface RawGraph {
  readonly format: typeof RAW_GRAPH_FORMAT;
  readonly name: string;
  readonly keys: readonly KeyDecl[];
  /** Keys listed in `register(..., { keys })`: offered to the unikernel whatever devices are chosen. */
  readonly registeredKeys: readonly string[];
  readonly nodes: readonly RawNode[];
  readonly jobs: readonly number[];
  readonly site: CallSite;
  /** `register(..., { tracing: { size } })`, or null. */
  readonly tracing?: { readonly size: number } | null;
}
