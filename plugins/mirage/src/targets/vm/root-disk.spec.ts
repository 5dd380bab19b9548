import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isUserError } from '../../configure/user-error';
import { fakeHostTools } from './fake-host-tools';
import { buildRootDisk } from './root-disk';

describe('the root disk', () => {
  let dir: string;
  const saved = process.env.MIRAGE_TS_CACHE;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-rootdisk-'));
    process.env.MIRAGE_TS_CACHE = path.join(dir, 'cache');
    fs.writeFileSync(path.join(dir, 'node'), 'node binary');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.MIRAGE_TS_CACHE;
    else process.env.MIRAGE_TS_CACHE = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A stand-in mksquashfs that records the tree it was given and appends a line per call to the image. */
  const tools = () => {
    const trees: string[][] = [];
    const t = fakeHostTools({
      mksquashfs: (args) => {
        const list = (d: string, at = ''): string[] =>
          fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
            const p = path.join(at, e.name);
            return e.isDirectory()
              ? [`${p}/`, ...list(path.join(d, e.name), p)]
              : [`${p} ${(fs.statSync(path.join(d, e.name)).mode & 0o777).toString(8)}`];
          });
        trees.push(list(args[0]).sort());
        fs.appendFileSync(args[1], `${trees.length}\n`);
        return {};
      },
    });
    return Object.assign(t, { trees });
  };

  it('compresses Node and its libraries once, then appends /app reproducibly with fixed owners, times and modes', async () => {
    const t = tools();
    const runtime = new Map([['bin/node', path.join(dir, 'node')]]);
    const app = new Map([['main.js', Buffer.from('console.log(1)')]]);
    await buildRootDisk(runtime, app, path.join(dir, 'a.squashfs'), t, () => undefined);
    await buildRootDisk(runtime, app, path.join(dir, 'b.squashfs'), t, () => undefined);
    // One runtime image and two appends: the second build reused the cached runtime.
    expect(t.calls.map((c) => c.args.includes('-noappend'))).toEqual([true, false, false]);
    expect(t.trees[0]).toEqual(['bin/', 'bin/node 755', 'dev/', 'etc/', 'proc/', 'sys/', 'tmp/']);
    expect(t.trees[1]).toEqual(['app/', 'app/main.js 644']);
    for (const c of t.calls)
      expect(c.args).toEqual(
        expect.arrayContaining([
          '-all-root',
          '-mkfs-time',
          '0',
          '-all-time',
          '0',
          '-no-xattrs',
          '-comp',
          'zstd',
          '-b',
          '128K',
        ]),
      );
    expect(fs.readFileSync(path.join(dir, 'a.squashfs'), 'utf8')).toBe('1\n2\n');
  });

  it('names the package to install when mksquashfs is missing', async () => {
    let caught: unknown;
    try {
      await buildRootDisk(
        new Map([['bin/node', path.join(dir, 'node')]]),
        new Map(),
        path.join(dir, 'x'),
        fakeHostTools({}),
        () => undefined,
      );
    } catch (e) {
      caught = e;
    }
    expect(isUserError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/mksquashfs .* not installed\n {2}fix: apt-get install squashfs-tools/);
  });
});
