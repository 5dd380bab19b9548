import type { ResolvedGraph } from '../configure/resolved-graph';
import { describeArg } from './describe-text';

/**
 * The resolved graph in Graphviz's DOT language (`mirage describe --dot`):
 * a box per device (connect order, type, implementation), an ellipse per
 * job, and an arrow from each user to what it is given, labelled with the
 * argument's position.
 */
export function graphToDot(graph: ResolvedGraph): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const lines = [
    `digraph ${q(`${graph.name} (${graph.target})`)} {`,
    '  rankdir=LR;',
    `  label=${q(
      `${graph.name} for ${graph.target}: ${Object.entries(graph.configureKeys)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}`,
    )};`,
    '  node [shape=box, fontname="monospace", fontsize=10];',
  ];
  graph.devices.forEach((d, i) => {
    const values = d.args.filter((a) => a.kind !== 'device').map((a) => describeArg(graph, a));
    const label = [
      `${i + 1}. ${d.variable}: ${d.typ}`,
      `${d.symbol}`,
      d.module,
      ...(values.length ? [values.join(', ')] : []),
    ].join('\n');
    lines.push(`  ${q(d.variable)} [label=${q(label)}];`);
  });
  graph.jobs.forEach((job, j) => {
    lines.push(`  ${q(`job${j}`)} [shape=ellipse, label=${q(job.entry)}];`);
    job.args.forEach((device, position) =>
      lines.push(`  ${q(`job${j}`)} -> ${q(graph.devices[device].variable)} [label=${q(String(position + 1))}];`),
    );
  });
  for (const d of graph.devices) {
    d.args.forEach((a, position) => {
      if (a.kind === 'device')
        lines.push(`  ${q(d.variable)} -> ${q(graph.devices[a.device].variable)} [label=${q(String(position + 1))}];`);
    });
  }
  lines.push('}', '');
  return lines.join('\n');
}
