import { logger, type ExecutorContext } from '@nx/devkit';
import * as path from 'node:path';
import { chosenTarget } from '../../pipeline/chosen-target';
import { describeUnikernel } from '../../pipeline/describe-step';
import { projectOf, runStep, splitOptions } from '../lib/run-step';
import type { DescribeExecutorOptions } from './schema';

/**
 * `mirage describe [--dot]`: prints the resolved device graph (or, with
 * --dot, its DOT source) and writes DOT and, when Graphviz is installed, SVG.
 */
export default function describeExecutor(options: DescribeExecutorOptions, context: ExecutorContext) {
  return runStep(async () => {
    const target = chosenTarget();
    const project = projectOf(context);
    const { dot: printDot, ...rest } = options;
    const { keyOptions } = splitOptions(rest, target);
    const d = await describeUnikernel({ ...project, target, keyOptions });
    const rel = (f: string) => path.relative(project.workspaceRoot, f);
    process.stdout.write(`${printDot ? d.dot : `${d.text}\n`}`);
    logger.info(`DOT: ${rel(d.dotFile)}`);
    logger.info(
      d.svgFile ? `SVG: ${rel(d.svgFile)}` : 'SVG: not written; Graphviz is not installed (apt-get install graphviz)',
    );
    return true;
  });
}
