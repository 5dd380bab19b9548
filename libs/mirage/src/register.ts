import { captureCallSite, type CallSite } from './call-site';
import { RAW_GRAPH_FORMAT, type RawArg, type RawCond, type RawGraph, type RawNode } from './graph';
import { isImpl, type AnyImpl, type ConnectArg, type Impl } from './impl';
import { isKey, Key, type Cond } from './key';
import type { KeyDecl } from './key-values';

/** What config.ts exports by default: `export default register('console', [main(defaultConsole)])`. */
export interface Registration {
  readonly __mirage: 'registration';
  readonly name: string;
  toGraph(): RawGraph;
}

export interface RegisterOptions {
  /** Keys to offer even if no device reads them (they reach the unikernel through main.ts). */
  readonly keys?: readonly Key[];
  /**
   * Records the unikernel's device calls and promises into a ring of the
   * newest `size` events and writes them at exit as a Chrome/Perfetto trace
   * (MirageOS's `~tracing:(mprof_trace ~size ())`); the file is the run-time
   * key --trace-file (default trace.json).
   */
  readonly tracing?: { readonly size: number };
}

/** `--trace-file`: where a traced unikernel writes its trace. */
export const traceFileKey = Key.string('trace-file', {
  default: 'trace.json',
  stage: 'runtime',
  doc: 'Where the trace (Trace Event Format JSON) is written at exit.',
});

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function register(name: string, jobs: readonly Impl<'job'>[], options: RegisterOptions = {}): Registration {
  const site = captureCallSite();
  if (!NAME.test(name)) {
    throw new Error(`register('${name}'): the name becomes the binary mir-${name}; use letters, digits, '_' and '-'`);
  }
  if (!Array.isArray(jobs) || jobs.length === 0) {
    throw new Error(`register('${name}') needs at least one job, e.g. register('${name}', [main(defaultConsole)])`);
  }
  jobs.forEach((j, i) => {
    if (!isImpl(j) || j.typ.name !== 'job') {
      throw new Error(
        `register('${name}'): job ${i + 1} is not an applied foreign(...); apply it to its devices, e.g. main(defaultConsole)`,
      );
    }
  });
  const tracing = options.tracing;
  if (tracing !== undefined && (!Number.isSafeInteger(tracing.size) || tracing.size < 1)) {
    throw new Error(
      `register('${name}'): tracing.size is how many events the trace keeps; give a whole number of at least 1, e.g. { tracing: { size: 1000000 } }`,
    );
  }
  const keys = [...(options.keys ?? []), ...(tracing ? [traceFileKey] : [])];
  return Object.freeze({
    __mirage: 'registration' as const,
    name,
    toGraph: () => ({ ...serialize(name, jobs, keys, site), tracing: tracing ? { size: tracing.size } : null }),
  });
}

/** Numbers the nodes reachable from the jobs and records every key they mention. */
function serialize(name: string, jobs: readonly AnyImpl[], extraKeys: readonly Key[], site: CallSite): RawGraph {
  const ids = new Map<AnyImpl, number>();
  const nodes: RawNode[] = [];
  const keys = new Map<string, KeyDecl>();

  const useKey = (key: Key): string => {
    const known = keys.get(key.decl.name);
    if (known && JSON.stringify(known) !== JSON.stringify(key.decl)) {
      throw new Error(
        `Key '${key.decl.name}' is declared twice with different definitions; declare it once and share it`,
      );
    }
    keys.set(key.decl.name, key.decl);
    return key.decl.name;
  };
  const cond = (c: Cond): RawCond => {
    switch (c.kind) {
      case 'is':
        return { kind: 'is', key: useKey(c.key), value: c.value };
      case 'not':
        return { kind: 'not', cond: cond(c.cond) };
      case 'all':
      case 'any':
        return { kind: c.kind, conds: c.conds.map(cond) };
    }
  };
  const arg = (a: ConnectArg): RawArg => {
    if (isImpl(a)) return { kind: 'device', node: visit(a) };
    if (isKey(a)) return { kind: 'key', key: useKey(a) };
    return a.kind === 'value' ? { kind: 'value', value: a.value } : { kind: 'resource', resource: a.resource };
  };
  const visit = (impl: AnyImpl): number => {
    const seen = ids.get(impl);
    if (seen !== undefined) return seen;
    const id = nodes.length;
    ids.set(impl, id);
    nodes.push(undefined as unknown as RawNode); // reserve the slot: ids follow first visit
    const base = { id, typ: impl.typ.name, signature: impl.typ.signature, site: impl.site };
    const n = impl.node;
    switch (n.kind) {
      case 'device':
        nodes[id] = {
          ...base,
          kind: 'device',
          label: n.spec.label,
          module: n.spec.module,
          symbol: n.spec.symbol,
          args: (n.spec.args ?? []).map(arg),
          targets: n.spec.targets ? [...n.spec.targets] : null,
          build: n.spec.build ?? null,
        };
        break;
      case 'if':
        nodes[id] = { ...base, kind: 'if', cond: cond(n.cond), then: visit(n.then), else: visit(n.else) };
        break;
      case 'match': {
        const cases: Record<string, number> = {};
        for (const [v, c] of Object.entries(n.cases)) cases[v] = visit(c);
        nodes[id] = { ...base, kind: 'match', key: useKey(n.key), cases, default: n.default ? visit(n.default) : null };
        break;
      }
      case 'job':
        nodes[id] = { ...base, kind: 'job', entry: n.entry, args: n.args.map(visit) };
        break;
      case 'noop':
        nodes[id] = { ...base, kind: 'noop' };
        break;
    }
    return id;
  };

  useKey(Key.target);
  const jobIds = jobs.map(visit);
  const registeredKeys = extraKeys.map(useKey);
  return { format: RAW_GRAPH_FORMAT, name, keys: [...keys.values()], registeredKeys, nodes, jobs: jobIds, site };
}
