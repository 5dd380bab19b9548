import * as fs from 'node:fs';
import * as path from 'node:path';
import { FactsIndex } from './module-facts';
import { ModuleResolver } from './module-resolver';

/** What a unikernel's config.ts names, read without running it. */
export interface UnikernelFacts {
  /** Implementation modules its devices may come from, for any target and keys (`@mirage-ts/console/stdio`). */
  readonly implementationModules: readonly string[];
  /** Build steps its devices may ask for (`crunch`): their generated code imports modules too. */
  readonly buildSteps: readonly string[];
  /** Data it names (`crunch('t')`, `blockOfFile('disk.img')`), workspace-relative with `/`. */
  readonly dataPaths: readonly string[];
}

const indexes = new Map<string, { stamp: string; resolver: ModuleResolver; facts: FactsIndex }>();

/**
 * Starts a new reading of the workspace (each project-graph computation):
 * files are stat'ed again, parses of unchanged files are kept.
 */
export function beginReading(workspaceRoot: string): void {
  staticIndex(workspaceRoot).facts.beginReading();
}

/** One resolver and parse cache per workspace, renewed when its tsconfig changes. */
export function staticIndex(workspaceRoot: string): { resolver: ModuleResolver; facts: FactsIndex } {
  const stamp = ['tsconfig.base.json', 'tsconfig.json']
    .map((f) => {
      try {
        return String(fs.statSync(path.join(workspaceRoot, f)).mtimeMs);
      } catch {
        return '-';
      }
    })
    .join(':');
  const known = indexes.get(workspaceRoot);
  if (known?.stamp === stamp) return known;
  const resolver = new ModuleResolver(workspaceRoot);
  const fresh = { stamp, resolver, facts: new FactsIndex(resolver) };
  indexes.set(workspaceRoot, fresh);
  return fresh;
}

export function unikernelFacts(workspaceRoot: string, projectRoot: string): UnikernelFacts {
  const configFile = path.join(workspaceRoot, projectRoot, 'config.ts');
  const facts = staticIndex(workspaceRoot).facts.fileFacts(configFile);
  const dataPaths = new Set<string>();
  for (const p of facts.dataPaths) {
    const abs = path.resolve(workspaceRoot, projectRoot, p);
    const rel = path.relative(workspaceRoot, abs);
    // Data outside the workspace cannot be hashed by Nx; config.ts is still free to name it.
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    dataPaths.add(rel.split(path.sep).join('/'));
  }
  return { implementationModules: facts.modules, buildSteps: facts.buildSteps ?? [], dataPaths: [...dataPaths].sort() };
}
