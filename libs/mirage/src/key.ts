import {
  describeDomain,
  KEY_NAME,
  parseKeyValue,
  type KeyDecl,
  type KeyKind,
  type KeyStage,
  type KeyValue,
} from './key-values';
import { TARGETS, type Target } from './targets';

/**
 * A configuration key (functoria's `Key.t`). Configure-time keys pick
 * implementations (`ifImpl`, `matchImpl`); run-time keys are read when the
 * unikernel starts (command-line flags on unix, the kernel command line in a
 * VM) and can be passed to a device's connect call.
 */
export interface Key<V extends KeyValue = KeyValue> {
  readonly __mirage: 'key';
  readonly decl: KeyDecl;
  /** Phantom: the type of the key's value. */
  readonly __value?: V;
}

/** A condition over configure-time keys, kept as data so it is decided after evaluation. */
export type Cond =
  | { readonly kind: 'is'; readonly key: Key; readonly value: KeyValue }
  | { readonly kind: 'not'; readonly cond: Cond }
  | { readonly kind: 'all'; readonly conds: readonly Cond[] }
  | { readonly kind: 'any'; readonly conds: readonly Cond[] };

interface KeyOptions<V> {
  readonly default: V;
  readonly stage?: KeyStage;
  readonly doc?: string;
}

function declare<V extends KeyValue>(
  name: string,
  kind: KeyKind,
  options: KeyOptions<V>,
  values?: readonly string[],
): Key<V> {
  if (!KEY_NAME.test(name)) {
    throw new Error(
      `Key name '${name}' is not valid: use lower-case letters, digits, '_' and '-', starting with a letter`,
    );
  }
  const decl: KeyDecl = {
    name,
    kind,
    stage: options.stage ?? 'configure',
    doc: options.doc ?? '',
    default: options.default,
    ...(values ? { values: [...values] } : {}),
  };
  const parsed = parseKeyValue(decl, options.default);
  if (!parsed.ok) {
    throw new Error(`The default of key '${name}' is not in its domain: expected ${describeDomain(decl)}`);
  }
  return Object.freeze({ __mirage: 'key' as const, decl: Object.freeze({ ...decl, default: parsed.value }) });
}

function is<V extends KeyValue>(key: Key<V>, value: NoInfer<V>): Cond {
  return { kind: 'is', key, value };
}

const target: Key<Target> = declare(
  'target',
  'enum',
  {
    default: 'unix',
    doc: 'The target to build for.',
  },
  TARGETS,
);

export const Key = {
  /** A key with a fixed set of values: `Key.create('kv_ro', { values: ['crunch', 'fat'], default: 'crunch' })`. */
  create<const Vs extends readonly string[]>(
    name: string,
    options: KeyOptions<Vs[number]> & { readonly values: Vs },
  ): Key<Vs[number]> {
    return declare(name, 'enum', options, options.values);
  },
  bool: (name: string, options: KeyOptions<boolean>): Key<boolean> => declare(name, 'bool', options),
  int: (name: string, options: KeyOptions<number>): Key<number> => declare(name, 'int', options),
  string: (name: string, options: KeyOptions<string>): Key<string> => declare(name, 'string', options),
  ipv4: (name: string, options: KeyOptions<string>): Key<string> => declare(name, 'ipv4', options),
  ipv4Prefix: (name: string, options: KeyOptions<string>): Key<string> => declare(name, 'ipv4-prefix', options),
  /** An IPv6 address, with an optional prefix length. */
  ipv6: (name: string, options: KeyOptions<string>): Key<string> => declare(name, 'ipv6', options),
  /** IPv6 addresses separated by commas (MirageOS's list of gateways). */
  ipv6List: (name: string, options: KeyOptions<string>): Key<string> => declare(name, 'ipv6-list', options),

  /** The target being configured: `unix`, `xen` or `qemu`. */
  target,
  isUnix: is(target, 'unix'),
  isXen: is(target, 'xen'),
  isQemu: is(target, 'qemu'),
  /** True for the targets that boot a VM image (xen, qemu). */
  isVm: { kind: 'any', conds: [is(target, 'xen'), is(target, 'qemu')] } as Cond,

  is,
  not: (cond: Cond | Key<boolean>): Cond => ({ kind: 'not', cond: toCond(cond) }),
  all: (...conds: (Cond | Key<boolean>)[]): Cond => ({ kind: 'all', conds: conds.map(toCond) }),
  any: (...conds: (Cond | Key<boolean>)[]): Cond => ({ kind: 'any', conds: conds.map(toCond) }),
};

/** A boolean key stands for "the key is true". */
export function toCond(cond: Cond | Key<boolean>): Cond {
  return '__mirage' in cond ? is(cond, true) : cond;
}

export function isKey(value: unknown): value is Key {
  return typeof value === 'object' && value !== null && (value as { __mirage?: unknown }).__mirage === 'key';
}
