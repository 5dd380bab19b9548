/**
 * `npm run xen-boot -- APP [--disk=FILE=HOSTPATH ...] [--verbose]`: boots
 * dist/apps/APP/xen under Xen in QEMU and streams the serial port, the
 * domU's console lines marked `domU|`. Exits 0 when the domain ended and
 * QEMU powered off. Build the app first: npx nx build APP --target=xen.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORKSPACE_ROOT } from '../testing/workspace';
import { bootUnderXen } from './boot-under-xen';
import { DOMU_MARK, HARNESS_MARK } from './dom0-init';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const app = args.find((a) => !a.startsWith('--'));
  if (!app) {
    process.stderr.write('usage: npm run xen-boot -- APP [--disk=FILE=HOSTPATH ...] [--verbose]\n');
    return 2;
  }
  const distDir = path.join(WORKSPACE_ROOT, 'dist/apps', app, 'xen');
  const xlIn = fs.existsSync(distDir) ? fs.readdirSync(distDir).find((f) => f.endsWith('.xl.in')) : undefined;
  if (!xlIn) {
    process.stderr.write(
      `error: ${path.relative(process.cwd(), distDir)} has no NAME.xl.in\nfix: build it first: npx nx build ${app} --target=xen\n`,
    );
    return 1;
  }
  const disks: Record<string, string> = {};
  for (const a of args.filter((x) => x.startsWith('--disk='))) {
    const [file, host] = a.slice('--disk='.length).split(/=(.*)/s);
    disks[file] = path.resolve(host);
  }
  const r = await bootUnderXen({
    distDir,
    name: xlIn.slice(0, -'.xl.in'.length),
    disks,
    verboseXl: args.includes('--verbose'),
    log: (l) => process.stderr.write(`${l}\n`),
    onLine: (l) =>
      process.stdout.write(
        `${l.from === 'domU' ? DOMU_MARK : l.from === 'harness' ? `${HARNESS_MARK} ` : ''}${l.text}\n`,
      ),
  });
  const ended = r.harness.some((h) => /^domain .* ended$/.test(h));
  process.stderr.write(
    `QEMU ${r.timedOut ? 'stopped at the time limit' : `exited with status ${r.status}`} after ${(r.wallMs / 1000).toFixed(1)} s; domU first line at ${r.firstDomuLineMs === undefined ? '-' : `${(r.firstDomuLineMs / 1000).toFixed(1)} s`}\n`,
  );
  return !r.timedOut && r.status === 0 && ended ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
