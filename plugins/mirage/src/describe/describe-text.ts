import type { Resource } from '@mirage-ts/mirage';
import type { ResolvedArg, ResolvedGraph } from '../configure/resolved-graph';
import { formatLocation } from '../configure/user-error';

/** How one connect argument reads in `describe` (and in the DOT labels). */
export function describeArg(graph: ResolvedGraph, arg: ResolvedArg): string {
  switch (arg.kind) {
    case 'device':
      return graph.devices[arg.device].variable;
    case 'value':
      return JSON.stringify(arg.value);
    case 'runtime-key': {
      const key = graph.runtimeKeys.find((k) => k.name === arg.key);
      return `--${arg.key} (run-time key, default ${JSON.stringify(key?.default)})`;
    }
    case 'resource':
      return describeResource(arg.resource);
  }
}

export function describeResource(resource: Resource): string {
  switch (resource.kind) {
    case 'block':
      return `block file ${resource.file}`;
    case 'network':
      return `network ${resource.name}`;
    case 'data-dir':
      return `folder ${resource.dir}`;
  }
}

/**
 * The resolved device graph as text (`mirage describe`): each device in
 * connect order with its type, implementation and arguments, then the jobs.
 */
export function describeGraph(graph: ResolvedGraph): string {
  const keys = Object.entries(graph.configureKeys).map(([k, v]) => `${k}=${String(v)}`);
  const lines = [`${graph.name} for ${graph.target} (${graph.configFile}), keys: ${keys.join(' ')}`];
  if (graph.runtimeKeys.length > 0) {
    lines.push(
      `run-time keys: ${graph.runtimeKeys.map((k) => `--${k.name} (default ${JSON.stringify(k.default)})`).join(', ')}`,
    );
  }
  lines.push('devices, in connect order:');
  graph.devices.forEach((d, i) => {
    lines.push(`  ${i + 1}. ${d.variable}: ${d.typ} (${d.signature})${d.at ? `  at ${formatLocation(d.at)}` : ''}`);
    lines.push(`     implementation: ${d.symbol} from ${d.module} (${d.label})`);
    lines.push(`     connect(${d.args.map((a) => describeArg(graph, a)).join(', ')})`);
    if (d.build) lines.push(`     build step: ${d.build.step} ${JSON.stringify(d.build.options)}`);
  });
  lines.push('jobs:');
  for (const job of graph.jobs) {
    lines.push(
      `  ${job.entry}.start(${job.args.map((i) => graph.devices[i].variable).join(', ')})${job.at ? `  at ${formatLocation(job.at)}` : ''}`,
    );
  }
  return lines.join('\n');
}
