/**
 * `npm run xen-boot -- APP [--disk=FILE=HOSTPATH ...] [--verbose]`: boots
 * dist/apps/APP/xen under Xen in QEMU and streams the serial port, the
 * domU's console lines marked `domU|`. Exits 0 when the domain ended and
 * QEMU powered off. Build the app first: npx nx build APP --target=xen.
 *
 * With `--net`: a networked dom0 (xenbr0 10.0.0.1/24, dnsmasq) that starts
 * the domain and then runs each line of this program's standard input as a
 * dom0 command (`ping -c 3 10.0.0.2`), its output marked `dom0[N]|`; a line
 * ending in `&` runs on in the background while the next ones run; end of
 * input powers everything off.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORKSPACE_ROOT } from '../testing/workspace';
import { bootUnderXen } from './boot-under-xen';
import * as readline from 'node:readline';
import { serialMark, type SerialLine } from './serial-lines';
import { XenSession } from './xen-session';

async function main(): Promise<number> {
  // QEMU is killed when this process exits: make the signals exit too.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const args = process.argv.slice(2);
  const app = args.find((a) => !a.startsWith('--'));
  if (!app) {
    process.stderr.write('usage: npm run xen-boot -- APP [--disk=FILE=HOSTPATH ...] [--net] [--verbose]\n');
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
  const name = xlIn.slice(0, -'.xl.in'.length);
  const disks: Record<string, string> = {};
  for (const a of args.filter((x) => x.startsWith('--disk='))) {
    const [file, host] = a.slice('--disk='.length).split(/=(.*)/s);
    disks[file] = path.resolve(host);
  }
  const print = (l: SerialLine) => process.stdout.write(`${serialMark(l)}${l.text}\n`);
  if (args.includes('--net')) return session(distDir, name, disks, args.includes('--verbose'), print);
  const r = await bootUnderXen({
    distDir,
    name,
    disks,
    verboseXl: args.includes('--verbose'),
    log: (l) => process.stderr.write(`${l}\n`),
    onLine: print,
  });
  const ended = r.harness.some((h) => /^domain .* ended$/.test(h));
  process.stderr.write(
    `QEMU ${r.timedOut ? 'stopped at the time limit' : `exited with status ${r.status}`} after ${(r.wallMs / 1000).toFixed(1)} s; domU first line at ${r.firstDomuLineMs === undefined ? '-' : `${(r.firstDomuLineMs / 1000).toFixed(1)} s`}\n`,
  );
  return !r.timedOut && r.status === 0 && ended ? 0 : 1;
}

/** The networked session: the domain, then stdin's lines as dom0 commands, one after the other. */
async function session(
  distDir: string,
  name: string,
  disks: Record<string, string>,
  verboseXl: boolean,
  print: (l: SerialLine) => void,
): Promise<number> {
  const s = await XenSession.start({
    domains: [{ name, distDir, disks }],
    verboseXl,
    log: (l) => process.stderr.write(`${l}\n`),
    onLine: print,
  });
  try {
    await s.ready();
    await s.create(name);
    for await (const line of readline.createInterface({ input: process.stdin })) {
      const command = line.trim();
      // `command &` runs on while the next lines do (a TCP connection kept open across xl save, say).
      if (command.endsWith('&')) await s.startDom0(command.slice(0, -1).trim(), 3_600_000);
      else if (command) await s.dom0(command, 600_000);
    }
  } finally {
    const r = await s.end();
    process.stderr.write(`QEMU exited with status ${r.status} after ${(r.wallMs / 1000).toFixed(1)} s\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
