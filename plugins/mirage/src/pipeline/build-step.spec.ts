import * as fs from 'node:fs';
import * as path from 'node:path';
import { scratchWorkspace } from '../../../../tools/testing/workspace';
import { isUserError } from '../configure/user-error';
import { targetNamed } from '../targets';
import { buildUnikernel } from './build-step';

const logger = { info: () => undefined, warn: () => undefined };
const HEADER = `import { block, console, defaultConsole, foreign, impl, register } from '@mirage-ts/mirage';\n`;

async function build(files: Record<string, string>) {
  const ws = scratchWorkspace(files);
  const run = () =>
    buildUnikernel({
      workspaceRoot: ws.root,
      projectRoot: 'apps/demo',
      project: 'demo',
      target: targetNamed('unix'),
      keyOptions: {},
      targetOptions: {},
      logger,
    });
  return { ws, run, dist: path.join(ws.root, 'dist/apps/demo') };
}

describe('build', () => {
  it('bundles the unikernel with its devices into one file beside an executable launcher', async () => {
    const { ws, run, dist } = await build({
      'apps/demo/config.ts': `${HEADER}export default register('demo', [foreign('Unikernel.Main', [console])(defaultConsole)]);\n`,
      'apps/demo/unikernel.ts': `import type { Console } from '@mirage-ts/types';\nexport class Main { async start(c: Console) { await c.log('hi'); } }\n`,
    });
    try {
      await run();
      expect(fs.readdirSync(path.join(dist, 'unix')).sort()).toEqual([
        'graph.json',
        'main.js',
        'main.js.map',
        'main.ts',
        'mir-demo',
      ]);
      expect(fs.statSync(path.join(dist, 'unix/mir-demo')).mode & 0o111).toBeTruthy();
      const bundle = fs.readFileSync(path.join(dist, 'unix/main.js'), 'utf8');
      expect(bundle).toContain('var StdioConsole = class');
      expect(bundle).not.toMatch(/require\("@mirage-ts\//);
    } finally {
      ws.dispose();
    }
  });

  it('reports an implementation module that cannot be found at the config.ts line, and writes nothing', async () => {
    const { ws, run, dist } = await build({
      'apps/demo/config.ts': `${HEADER}\nconst disk = impl(block, { label: 'ramdisk', module: '@mirage-ts/ramdisk/fast', symbol: 'RamDisk' });\nexport default register('demo', [foreign('Unikernel.Main', [block])(disk)]);\n`,
      'apps/demo/unikernel.ts': `export class Main { async start() {} }\n`,
    });
    try {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isUserError(error)).toBe(true);
      expect((error as Error).message).toBe(
        "apps/demo/config.ts:3:14 - error: ramdisk is not available: its module '@mirage-ts/ramdisk/fast' is not in this workspace\n  fix: build with another implementation, or add the library that provides it",
      );
      expect(fs.existsSync(dist) ? fs.readdirSync(dist) : []).toEqual([]);
    } finally {
      ws.dispose();
    }
  });

  it('reports a syntax error in unikernel.ts at its line', async () => {
    const { ws, run } = await build({
      'apps/demo/config.ts': `${HEADER}export default register('demo', [foreign('Unikernel.Main', [console])(defaultConsole)]);\n`,
      'apps/demo/unikernel.ts': `export class Main {\n  async start() { return 1 +; }\n}\n`,
    });
    try {
      await expect(run()).rejects.toThrow(/^apps\/demo\/unikernel\.ts:2:\d+ - error: Unexpected ";"/);
    } finally {
      ws.dispose();
    }
  });
});
