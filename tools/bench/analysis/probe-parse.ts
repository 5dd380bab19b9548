/**
 * Run in a fresh process by analysis.bench.ts: reading every config.ts of a
 * workspace statically, with the plugin's swc reader (`swc`) or with
 * ts-morph parsing the same files and the DSL (`ts-morph`, parse only).
 * Prints JSON: load time and read time in ms.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

async function main(): Promise<void> {
  const [how, workspaceRoot, ...roots] = process.argv.slice(2);
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  // Nx has @nx/devkit loaded before any plugin runs; it is not the reader's cost.
  await import('@nx/devkit');
  const t0 = now();
  if (how === 'swc') {
    const { unikernelFacts } = await import('../../../plugins/mirage/src/analysis/static/unikernel-facts');
    const t1 = now();
    for (const r of roots) unikernelFacts(workspaceRoot, r);
    // Parsing and solving, without loading: what the plugin pays per graph once loaded.
    process.stdout.write(JSON.stringify({ load: t1 - t0, read: now() - t1 }));
    return;
  }
  const { Project } = await import('ts-morph');
  const t1 = now();
  const project = new Project({ useInMemoryFileSystem: false, skipAddingFilesFromTsConfig: true });
  const dsl = path.join(workspaceRoot, 'libs/mirage/src');
  const files = [
    ...roots.map((r) => path.join(workspaceRoot, r, 'config.ts')),
    ...(fs.readdirSync(dsl, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
      .map((f) => path.join(dsl, f)),
  ];
  for (const f of files) project.createSourceFile(f, fs.readFileSync(f, 'utf8'), { overwrite: true }).getDescendants();
  process.stdout.write(JSON.stringify({ load: t1 - t0, read: now() - t1 }));
}

void main();
