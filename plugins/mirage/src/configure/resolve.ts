import type { KeyDecl, KeyValue, RawArg, RawCond, RawGraph, RawNode, Target } from '@mirage-ts/mirage';
import type { Locations } from './evaluate';
import { keyValuesFromOptions } from './key-options';
import { RESOLVED_GRAPH_FORMAT, type ResolvedArg, type ResolvedDevice, type ResolvedGraph } from './resolved-graph';
import { UserError, type SourceLocation } from './user-error';

export interface ResolveInput {
  readonly graph: RawGraph;
  readonly locations: Locations;
  readonly configFile: string;
  readonly registerAt: SourceLocation;
  readonly project: string;
  readonly target: Target;
  readonly options: Readonly<Record<string, unknown>>;
  /** Where config.ts declares a key, for messages about its value. */
  readonly locateKey?: (name: string) => SourceLocation | undefined;
}

/**
 * Applies the target and the key values to the graph (functoria's
 * evaluation): every `ifImpl`/`matchImpl` picks its branch, and the devices
 * that remain are ordered so that each is connected after what it uses.
 */
export function resolveGraph(input: ResolveInput): ResolvedGraph {
  const { graph, locations, target } = input;
  const decls = new Map(graph.keys.map((k) => [k.name, k]));
  const { values, given } = keyValuesFromOptions(graph.keys, input.options, target, input.registerAt, input.locateKey);
  const at = (id: number): SourceLocation => locations.get(id) ?? { file: input.configFile };

  const configureValue = (name: string, id: number): KeyValue => {
    const decl = decls.get(name);
    if (!decl) throw new Error(`key '${name}' is used but not declared`);
    if (decl.stage !== 'configure') {
      throw new UserError(`key --${name} is read at run time, so it cannot choose an implementation`, {
        at: at(id),
        fix: `declare it with stage: 'configure', or choose with a configure-time key`,
      });
    }
    return values.get(name) as KeyValue;
  };
  const holds = (c: RawCond, id: number): boolean => {
    switch (c.kind) {
      case 'is':
        return configureValue(c.key, id) === c.value;
      case 'not':
        return !holds(c.cond, id);
      case 'all':
        return c.conds.every((x) => holds(x, id));
      case 'any':
        return c.conds.some((x) => holds(x, id));
    }
  };

  // Follows if/match nodes down to the device (or job) that is chosen.
  const choose = (id: number): RawNode => {
    const node = graph.nodes[id];
    switch (node.kind) {
      case 'if':
        return choose(holds(node.cond, id) ? node.then : node.else);
      case 'match': {
        const v = String(configureValue(node.key, id));
        const next = node.cases[v] ?? node.default;
        if (next === null || next === undefined) {
          throw new UserError(`no ${node.typ} implementation for --${node.key}=${v}`, {
            at: at(id),
            fix: `pass one of --${node.key}=${Object.keys(node.cases).join('|')}, or give matchImpl a default`,
          });
        }
        return choose(next);
      }
      default:
        return node;
    }
  };

  const devices: ResolvedDevice[] = [];
  const deviceIndex = new Map<number, number>();
  const visiting = new Set<number>();
  const connect = (rawId: number): number => {
    const node = choose(rawId);
    const known = deviceIndex.get(node.id);
    if (known !== undefined) return known;
    if (node.kind !== 'device') {
      throw new UserError(`a job cannot be passed as a device`, {
        at: at(node.id),
        fix: 'pass device impls to foreign entries',
      });
    }
    if (visiting.has(node.id)) throw new Error(`device graph has a cycle at node ${node.id}`);
    visiting.add(node.id);
    if (node.targets && !node.targets.includes(target)) {
      throw new UserError(
        `${node.label} is not available for target ${target} (it works on ${node.targets.join(', ')})`,
        {
          at: at(node.id),
          fix: `build with --target=${node.targets[0]}, or choose another ${node.typ} implementation for ${target}, e.g. with ifImpl(Key.is${capitalize(target)}, ..., ${node.label})`,
        },
      );
    }
    const args = node.args.map((a) => resolveArg(a, node.id));
    visiting.delete(node.id);
    const index = devices.length;
    devices.push({
      id: index,
      variable: `${identifier(node.typ)}${index}`,
      typ: node.typ,
      signature: node.signature,
      label: node.label,
      module: node.module,
      symbol: node.symbol,
      args,
      build: node.build,
      ...(locations.has(node.id) ? { at: at(node.id) } : {}),
    });
    deviceIndex.set(node.id, index);
    return index;
  };
  const resolveArg = (a: RawArg, owner: number): ResolvedArg => {
    switch (a.kind) {
      case 'device':
        return { kind: 'device', device: connect(a.node) };
      case 'key': {
        const decl = decls.get(a.key) as KeyDecl;
        return decl.stage === 'runtime'
          ? { kind: 'runtime-key', key: a.key }
          : { kind: 'value', value: configureValue(a.key, owner) };
      }
      default:
        return a;
    }
  };

  // Every registered job runs; a slot whose choice is noop (`ifImpl(Key.isXen, noop, socketJob)`) runs nothing.
  const jobs = graph.jobs.flatMap((jobId) => {
    const job = choose(jobId);
    if (job.kind === 'noop') return [];
    if (job.kind !== 'job') throw new Error(`node ${jobId} is not a job`);
    const where = locations.has(job.id) ? job.id : jobId;
    return [{ entry: job.entry, args: job.args.map(connect), ...(locations.has(where) ? { at: at(where) } : {}) }];
  });

  // The unikernel offers only the run-time keys that a chosen device reads or
  // that config.ts registered: the keys of a stack not chosen mean nothing.
  const offered = new Set<string>(graph.registeredKeys);
  for (const d of devices) for (const a of d.args) if (a.kind === 'runtime-key') offered.add(a.key);
  const configureKeys: Record<string, KeyValue> = {};
  const runtimeKeys: KeyDecl[] = [];
  for (const decl of graph.keys) {
    const v = values.get(decl.name) as KeyValue;
    if (decl.stage === 'configure') configureKeys[decl.name] = v;
    // A run-time key given at configure time becomes the unikernel's default, as in functoria.
    else if (offered.has(decl.name)) runtimeKeys.push(given.has(decl.name) ? { ...decl, default: v } : decl);
  }

  return {
    format: RESOLVED_GRAPH_FORMAT,
    name: graph.name,
    project: input.project,
    target,
    configFile: input.configFile,
    configureKeys,
    runtimeKeys,
    devices,
    tracing: graph.tracing ?? null,
    jobs,
  };
}

function identifier(typ: string): string {
  const id = typ.replace(/[^A-Za-z0-9_$]/g, '_');
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
