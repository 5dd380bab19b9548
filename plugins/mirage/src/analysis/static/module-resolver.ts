import { parseJson } from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Finds the file an import names, the way the workspace's tsconfig `paths`
 * and relative imports do, without loading TypeScript (the graph is built in
 * every Nx process, and only `paths` and extensions matter here).
 * Specifiers that no `paths` entry matches are packages: `undefined`.
 */
export class ModuleResolver {
  private readonly patterns: readonly {
    prefix: string;
    suffix: string;
    wildcard: boolean;
    targets: readonly string[];
  }[];
  private readonly base: string;

  constructor(readonly workspaceRoot: string) {
    const { paths, base } = readPaths(workspaceRoot);
    this.base = base;
    this.patterns = Object.entries(paths)
      .map(([pattern, targets]) => {
        const star = pattern.indexOf('*');
        return star < 0
          ? { prefix: pattern, suffix: '', wildcard: false, targets }
          : { prefix: pattern.slice(0, star), suffix: pattern.slice(star + 1), wildcard: true, targets };
      })
      // TypeScript prefers the pattern with the longest prefix before its `*`.
      .sort((a, b) => Number(a.wildcard) - Number(b.wildcard) || b.prefix.length - a.prefix.length);
  }

  /** Absolute path of the source file `specifier` names from `fromFile`, if it is in the workspace. */
  resolve(specifier: string, fromFile: string): string | undefined {
    if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
      return resolveFile(path.resolve(path.dirname(fromFile), specifier));
    }
    for (const p of this.patterns) {
      let star: string;
      if (!p.wildcard) {
        if (specifier !== p.prefix) continue;
        star = '';
      } else {
        if (
          !specifier.startsWith(p.prefix) ||
          !specifier.endsWith(p.suffix) ||
          specifier.length < p.prefix.length + p.suffix.length
        )
          continue;
        star = specifier.slice(p.prefix.length, specifier.length - p.suffix.length);
      }
      for (const target of p.targets) {
        const found = resolveFile(path.resolve(this.base, target.replace('*', star)));
        if (found) return found;
      }
    }
    return undefined;
  }

  /** Whether some `paths` entry claims `specifier` (found or not). */
  claims(specifier: string): boolean {
    return this.patterns.some((p) =>
      p.wildcard ? specifier.startsWith(p.prefix) && specifier.endsWith(p.suffix) : specifier === p.prefix,
    );
  }
}

const EXTENSIONS = ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs'];

function resolveFile(candidate: string): string | undefined {
  const stripped = candidate.replace(/\.(js|mjs|cjs)$/, '');
  const tries = [
    candidate,
    ...EXTENSIONS.map((e) => stripped + e),
    ...EXTENSIONS.map((e) => path.join(candidate, `index${e}`)),
  ];
  return tries.find((f) => isFile(f));
}

function isFile(f: string): boolean {
  try {
    return fs.statSync(f).isFile();
  } catch {
    return false;
  }
}

/** `compilerOptions.paths` of tsconfig.base.json (or tsconfig.json), following `extends` within the workspace. */
function readPaths(workspaceRoot: string): { paths: Record<string, string[]>; base: string } {
  const start = ['tsconfig.base.json', 'tsconfig.json'].map((f) => path.join(workspaceRoot, f)).find(isFile);
  let file = start;
  const seen = new Set<string>();
  while (file && !seen.has(file)) {
    seen.add(file);
    const json = parseJson<{
      extends?: string;
      compilerOptions?: { paths?: Record<string, string[]>; baseUrl?: string };
    }>(fs.readFileSync(file, 'utf8'));
    const options = json.compilerOptions ?? {};
    if (options.paths) {
      // Targets are relative to baseUrl when there is one, else to the tsconfig's folder.
      return { paths: options.paths, base: path.resolve(path.dirname(file), options.baseUrl ?? '.') };
    }
    const parent =
      typeof json.extends === 'string' && json.extends.startsWith('.')
        ? path.resolve(path.dirname(file), json.extends)
        : undefined;
    file = parent && !parent.endsWith('.json') && isFile(`${parent}.json`) ? `${parent}.json` : parent;
  }
  return { paths: {}, base: workspaceRoot };
}
