import type { Target } from '@mirage-ts/mirage';
import * as path from 'node:path';

/** dist/apps/<project>/<target>: where a target's artifact lives. */
export function artifactDir(workspaceRoot: string, project: string, target: Target | string): string {
  return path.join(workspaceRoot, 'dist', 'apps', project, target);
}

export const GRAPH_FILE = 'graph.json';
export const MAIN_TS = 'main.ts';
export const MAIN_JS = 'main.js';
