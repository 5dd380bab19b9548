/**
 * Run in a fresh process by analysis.bench.ts: the cost of the build-time
 * checks on one unikernel, cold (ts-morph loaded here) and warm. Prints JSON.
 */
import * as path from 'node:path';

async function main(): Promise<void> {
  const [workspaceRoot, projectRoot] = process.argv.slice(2);
  const project = path.basename(projectRoot);
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const t0 = now();
  const { evaluateConfig } = await import('../../../plugins/mirage/src/configure/evaluate');
  const { resolveGraph } = await import('../../../plugins/mirage/src/configure/resolve');
  const t1 = now();
  const evaluated = await evaluateConfig(workspaceRoot, projectRoot);
  const graph = resolveGraph({ ...evaluated, project, target: 'unix', options: {} });
  const t2 = now();
  const { checkUnikernel } = await import('../../../plugins/mirage/src/analysis/check');
  const t3 = now();
  const entryFiles = new Map(graph.jobs.map((j) => [j.entry, path.join(workspaceRoot, projectRoot, 'unikernel.ts')]));
  const mainFile = path.join(workspaceRoot, 'dist', 'apps', project, 'unix', 'main.ts');
  checkUnikernel({ workspaceRoot, projectRoot, graph, entryFiles, mainFile });
  const t4 = now();
  checkUnikernel({ workspaceRoot, projectRoot, graph, entryFiles, mainFile });
  const t5 = now();
  process.stdout.write(
    JSON.stringify({
      loadPipeline: t1 - t0,
      evaluateResolve: t2 - t1,
      loadTsMorph: t3 - t2,
      checkCold: t4 - t3,
      checkWarm: t5 - t4,
    }),
  );
}

void main();
