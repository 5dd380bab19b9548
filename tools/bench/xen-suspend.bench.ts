/**
 * The suspend example under a real Xen (4.17, a Debian dom0, QEMU software
 * emulation): how long `xl save` and `xl restore` take for a 96 MB and a
 * 128 MB domain (the file goes to dom0's tmpfs), from `xl restore` to the
 * unikernel's `We're back` line, and `xl shutdown -w` from the request to
 * the domain gone. One Xen boot (a session) per run: each costs minutes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vmDist } from '../testing/vm';
import { nxEnv, WORKSPACE_ROOT } from '../testing/workspace';
import { XenSession } from '../xen/xen-session';
import { ms, type BenchRow } from './table';

const NX = path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx');
const SIZES = [96, 128] as const;

export async function rows(): Promise<BenchRow[]> {
  const r = spawnSync(NX, ['build', 'suspend', '--target=xen'], {
    cwd: WORKSPACE_ROOT,
    env: nxEnv(),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error('nx build suspend --target=xen failed');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-suspend-bench-'));
  try {
    // A copy each: QEMU locks each disk file it attaches, the root disk included.
    const domains = SIZES.map((memoryMb) => {
      const distDir = path.join(work, `suspend${memoryMb}`);
      fs.cpSync(vmDist(WORKSPACE_ROOT, 'suspend', 'xen'), distDir, { recursive: true });
      return { name: `suspend${memoryMb}`, distDir, memoryMb };
    });
    const s = await XenSession.start({ domains });
    const out: BenchRow[] = [];
    try {
      await s.ready();
      for (const mb of SIZES) {
        const name = `suspend${mb}`;
        await s.create(name);
        await s.waitForDomu(name, /^xs_watch \(\)$/, 600_000);
        const save = await s.save(name);
        const restoreAt = s.now();
        const from = s.lines.length;
        await s.restore(name);
        const restored = s.now() - restoreAt;
        const back = await s.waitFor(
          (l) => l.from === 'domU' && l.domain === name && /^We're back: domid=\d+$/.test(l.text),
          600_000,
          `We're back from ${name}`,
          from,
        );
        const shutdownAt = s.now();
        await s.shutdown(name);
        const shutdown = s.now() - shutdownAt;
        out.push(
          {
            name: `xen suspend, ${mb} MB domain: xl save (to dom0's tmpfs)`,
            value: ms(save.ms),
            comparison: `xl restore ${ms(restored)} (console attached); restore to "We're back" ${ms(back.atMs - restoreAt)}`,
          },
          {
            name: `xen suspend, ${mb} MB domain: xl shutdown -w until the domain is gone`,
            value: ms(shutdown),
          },
        );
      }
    } finally {
      await s.end();
    }
    return out;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
