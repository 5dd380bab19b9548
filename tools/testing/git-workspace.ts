/**
 * A scratch workspace that is also a git repository with one commit, so
 * that `nx affected` can compare the working tree with it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace } from './workspace';

export function gitWorkspace(
  prefix: string,
  prepare: (root: string) => void,
): { root: string; git(...args: string[]): string; dispose(): void } {
  const ws = copyWorkspace(prefix);
  try {
    prepare(ws.root);
    const git = (...args: string[]) =>
      execFileSync(
        'git',
        [
          '-c',
          'user.name=Mirage/TS',
          '-c',
          'user.email=dev@mirage-ts.invalid',
          '-c',
          'init.defaultBranch=main',
          ...args,
        ],
        {
          cwd: ws.root,
          encoding: 'utf8',
        },
      );
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'scratch workspace');
    return { root: ws.root, git, dispose: ws.dispose };
  } catch (e) {
    ws.dispose();
    throw e;
  }
}

/** Appends a line to a file (a comment in source, a line in data): a change git and Nx both see. */
export function touch(root: string, file: string, line = '// changed'): void {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.appendFileSync(path.join(root, file), `\n${line}\n`);
}
