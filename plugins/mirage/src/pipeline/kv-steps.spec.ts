import * as fs from 'node:fs';
import * as path from 'node:path';
import { scratchWorkspace } from '../../../../tools/testing/workspace';
import { targetNamed } from '../targets';
import { configureUnikernel } from './configure-step';

const UNIKERNEL = `export class Main { async start() {} }\n`;
const HEADER = `import { console, crunch, defaultConsole, directKvRo, foreign, kv_ro, register } from '@mirage-ts/mirage';\nconst main = foreign('Unikernel.Main', [console, kv_ro]);\n`;

async function configure(config: string, target: 'unix' | 'xen' = 'unix') {
  const ws = scratchWorkspace({
    'apps/demo/config.ts': config,
    'apps/demo/unikernel.ts': UNIKERNEL,
    'apps/demo/t/a': 'foo\n',
    'apps/other/secret': 'x',
  });
  const outDir = path.join(ws.root, 'dist/apps/demo', target);
  try {
    const graph = await configureUnikernel({
      workspaceRoot: ws.root,
      projectRoot: 'apps/demo',
      project: 'demo',
      target: targetNamed(target),
      keyOptions: {},
      outDir,
      writeDir: outDir,
    });
    return { graph, files: fs.readdirSync(outDir).sort() };
  } finally {
    ws.dispose();
  }
}

describe('configuring key/value stores', () => {
  it('writes one module per crunched store beside main.ts', async () => {
    const { graph, files } = await configure(
      `${HEADER}export default register('demo', [main(defaultConsole, crunch('t'))]);\n`,
    );
    expect(files).toEqual(['graph.json', 'main.ts', 'static1.ts']);
    expect(graph.devices.map((d) => d.module)).toEqual(['@mirage-ts/console/stdio', './static1']);
  });

  it('refuses a data folder outside the app folder, at the config.ts line', async () => {
    await expect(
      configure(`${HEADER}export default register('demo', [main(defaultConsole, crunch('../other'))]);\n`),
    ).rejects.toThrow(
      "apps/demo/config.ts:3:55 - error: crunched ../other (static1.ts): '../other' is outside apps/demo\n" +
        '  fix: move the data into apps/demo (data folders are named relative to it, so that changing them rebuilds the unikernel)',
    );
  });

  it('refuses the host-directory store on xen, naming the target', async () => {
    await expect(
      configure(`${HEADER}export default register('demo', [main(defaultConsole, directKvRo('t'))]);\n`, 'xen'),
    ).rejects.toThrow(
      /apps\/demo\/config\.ts:3:55 - error: host directory t is not available for target xen \(it works on unix\)/,
    );
  });
});
