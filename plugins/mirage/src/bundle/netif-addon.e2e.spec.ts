import { canManageNetwork, runAsync, uniqueName } from '@mirage-ts/netif/testing/netns';
import { unixTarget } from '../targets/unix';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const WORKSPACE = path.resolve(__dirname, '../../../..');

describe('the tap device in a unix bundle', () => {
  it('travels with main.js: the addon is copied beside it and found from any working directory', async () => {
    expect(canManageNetwork()).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netif-bundle-'));
    try {
      const entry = path.join(dir, 'main.ts');
      const tap = uniqueName('mtap');
      fs.writeFileSync(
        entry,
        [
          "import { TapNetif } from '@mirage-ts/netif/tap';",
          `TapNetif.connect(${JSON.stringify(tap)}).then((netif) => netif.disconnect());`,
        ].join('\n'),
      );
      const outDir = path.join(dir, 'out');
      await esbuild.build({
        entryPoints: [entry],
        outfile: path.join(outDir, 'main.js'),
        bundle: true,
        format: 'cjs',
        logLevel: 'silent',
        absWorkingDir: WORKSPACE,
        tsconfig: path.join(WORKSPACE, 'tsconfig.base.json'),
        ...unixTarget.bundle,
      });
      expect(fs.readdirSync(outDir).filter((f) => f.endsWith('.node'))).toHaveLength(1);
      const ran = await runAsync(process.execPath, [path.join(outDir, 'main.js')], { cwd: os.tmpdir() });
      expect(ran.stderr).toBe('');
      expect(ran.stdout).toMatch(
        new RegExp(`^Netif: plugging into ${tap} with mac [0-9a-f:]{17}\nNetif: connect ${tap}\n$`),
      );
      expect(ran.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
