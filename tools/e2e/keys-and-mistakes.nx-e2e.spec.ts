import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, nx } from '../testing/workspace';

/**
 * Keys through Nx, and user mistakes as Nx shows them: one diagnostic at
 * the user's line with its fix, no stack trace, nothing half-built.
 */
describe('keys and mistakes through nx', () => {
  const ws = copyWorkspace();
  afterAll(() => ws.dispose());
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(ws.root, file)), { recursive: true });
    fs.writeFileSync(path.join(ws.root, file), text);
  };

  beforeAll(() => {
    write(
      'apps/counter/config.ts',
      `import { console, defaultConsole, foreign, Key, register } from '@mirage-ts/mirage';
const count = Key.int('count', { default: 3, stage: 'runtime', doc: 'how many lines' });
const style = Key.create('style', { values: ['plain', 'loud'] as const, default: 'plain', doc: 'how to print' });
const main = foreign('Unikernel.Main', [console]);
export default register('counter', [main(defaultConsole)], { keys: [count, style] });
`,
    );
    write(
      'apps/counter/unikernel.ts',
      `import type { Console } from '@mirage-ts/types';
const count = Number(process.argv.find((a) => a.startsWith('--count='))?.slice(8) ?? 3);
export class Main { async start(c: Console) { for (let i = 1; i <= count; i++) await c.log('line ' + i); } }
`,
    );
  });

  it('passes run-time keys through `nx run APP:run` and bakes them in at build time', () => {
    const run = nx(['run', 'counter:run', '--count=2'], { cwd: ws.root });
    expect(run.status).toBe(0);
    expect(run.stdout.match(/^line \d+$/gm)).toEqual(['line 1', 'line 2']);
    const graph = JSON.parse(fs.readFileSync(path.join(ws.root, 'dist/apps/counter/unix/graph.json'), 'utf8'));
    expect(graph.runtimeKeys.find((k: { name: string }) => k.name === 'count').default).toBe(2);
  });

  it('refuses a configure-time key value outside its domain', () => {
    const r = nx(['build', 'counter', '--style=quiet'], { cwd: ws.root });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("error: 'quiet' is not a valid value for --style: expected one of plain, loud");
    expect(r.output).toContain('fix: pass --style=<one of plain, loud>');
  });

  it('reports a config.ts that throws at its line, with no stack trace and no artifact', () => {
    write(
      'apps/broken/config.ts',
      `import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';
const main = foreign('Unikernel.Main', [console]);
const devices = JSON.parse('{ not json');
export default register('broken', [main(defaultConsole)]);
`,
    );
    write('apps/broken/unikernel.ts', 'export class Main { async start() {} }\n');
    const r = nx(['build', 'broken'], { cwd: ws.root });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/apps\/broken\/config\.ts:3:\d+ - error: config\.ts threw: .*JSON/);
    expect(r.output).toContain('fix: config.ts runs at configure time to describe devices');
    expect(r.output).not.toMatch(/^\s+at .*plugins\/mirage/m);
    expect(fs.existsSync(path.join(ws.root, 'dist/apps/broken'))).toBe(false);
  });
});
