import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vmDist } from '../testing/vm';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';
import { serialLog } from '../xen/report';
import { XenSession } from '../xen/xen-session';

/**
 * The suspend example (the 2015 guest agent) under a real Xen (Xen 4.17 and
 * a Debian dom0 inside QEMU), driven by the toolstack as on a Xen host:
 * `xl save` and `xl restore` with a TCP connection from dom0 open across
 * them, `xl reboot`, `xl shutdown`, `xl destroy`. One boot of Xen serves
 * every case, in that order, on the one domain and its successors.
 */
const BUILD_MS = 600_000;
const SESSION_MS = 900_000;
const NAME = 'suspend';
const ADDRESS = '10.0.0.2';

describe('suspend under Xen in QEMU: the toolstack asks, the unikernel answers', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-suspend-e2e-'));
  let session: XenSession | undefined;
  let log = '';

  beforeAll(async () => {
    const r = nx(['build', 'suspend', '--target=xen'], { timeoutMs: BUILD_MS });
    if (r.status !== 0) throw new Error(`nx build suspend --target=xen failed:\n${r.output}`);
    const distDir = path.join(work, 'suspend');
    fs.cpSync(vmDist(WORKSPACE_ROOT, 'suspend', 'xen'), distDir, { recursive: true });
    log = path.join(work, 'serial.log');
    // The image's default 128 MB: xl save writes it all (142 MB) to dom0's tmpfs, which has 199 MB free.
    session = await XenSession.start({ domains: [{ name: NAME, distDir }], timeoutMs: SESSION_MS, ...serialLog(log) });
    await session.ready();
    await session.create(NAME);
    await session.waitForDomu(NAME, /^xs_watch \(\)$/, 400_000);
  }, BUILD_MS + SESSION_MS);

  afterAll(async () => {
    const r = await session?.end();
    // The serial log outlives the work folder, for a case that failed (the next run overwrites it).
    if (log) fs.copyFileSync(log, path.join(os.tmpdir(), 'mirage-xen-suspend.serial.log'));
    fs.rmSync(work, { recursive: true, force: true });
    expect(r?.status).toBe(0);
  }, 120_000);

  /** The example's own console lines from index `from` on (the stack's ARP lines may come between them). */
  const consoleFrom = (from: number) =>
    session!
      .domu(NAME)
      .slice(from)
      .filter((l) => /^(xs_watch \(\)|Got control message: |cancelled=|About to read domid|We're back: )/.test(l));

  it(
    "xl save + xl restore: the domain comes back under a new id, prints We're back: domid=N, and a TCP connection opened before the save still echoes",
    async () => {
      const s = session!;
      const before = await s.domid(NAME);
      // dom0 resolves the address first: nc gives up when ARP does (3 s), and a busy machine's domain answers later.
      const ping = await s.dom0(`for i in $(seq 60); do ping -c 1 -W 2 ${ADDRESS} > /dev/null && exit 0; done; exit 1`);
      expect(ping.status).toBe(0);
      const tcp = await s.openTcp(ADDRESS, 7);
      await tcp.connected();
      await tcp.send('before save');
      await tcp.waitForLine('before save');
      await s.waitForDomu(NAME, /^echo: connection from 10\.0\.0\.1\.\d+$/, 60_000);

      const from = s.domu(NAME).length;
      await s.save(NAME);
      expect((await s.dom0(`xl list ${NAME}`)).status).not.toBe(0);
      const after = await s.restore(NAME);
      expect(after).not.toBe(before);
      await s.waitForDomu(NAME, /^We're back: domid=\d+$/, 300_000);
      expect(consoleFrom(from)).toEqual([
        'Got control message: suspend',
        'cancelled=0',
        'About to read domid',
        `We're back: domid=${after}`,
      ]);

      // The same connection, from the same nc, after the restore.
      await tcp.send('after restore');
      await tcp.waitForLine('after restore', 120_000);
      expect(tcp.received()).toEqual(['before save', 'after restore']);
      await tcp.close();
    },
    SESSION_MS,
  );

  it(
    'xl reboot: Got control message: reboot, the unikernel ends and xl starts the domain again',
    async () => {
      const s = session!;
      const from = s.domu(NAME).length;
      const fromLine = s.lines.length;
      const { before, after } = await s.reboot(NAME);
      expect(after).not.toBe(before);
      // The new domain boots the unikernel from the start.
      await s.waitFor(
        (l) => l.from === 'domU' && l.domain === NAME && l.text === 'xs_watch ()',
        400_000,
        'xs_watch () from the rebooted domain',
        fromLine,
      );
      expect(consoleFrom(from)).toEqual(['Got control message: reboot', 'xs_watch ()']);
      expect(s.domu(NAME).slice(from)).not.toContain('Terminated');
      expect(await s.domid(NAME)).toBe(after);
    },
    SESSION_MS,
  );

  it(
    'xl shutdown: Got control message: poweroff, the unikernel returns and the domain powers off',
    async () => {
      const s = session!;
      const from = s.domu(NAME).length;
      const id = await s.domid(NAME);
      const r = await s.shutdown(NAME);
      // Reason code 0 is a power-off (1 would be a reboot, 3 a crash).
      expect(r.lines).toContain(`Domain ${id} has been shut down, reason code 0`);
      expect(consoleFrom(from)).toEqual(['Got control message: poweroff']);
      // The unikernel returned rather than being ended by the signal (/init's shell would say `Terminated`).
      expect(s.domu(NAME).slice(from)).not.toContain('Terminated');
      expect((await s.dom0(`xl list ${NAME}`)).status).not.toBe(0);
    },
    SESSION_MS,
  );

  it(
    'xl destroy: the domain ends at once, without a word from the unikernel',
    async () => {
      const s = session!;
      await s.create(NAME);
      const from = s.domu(NAME).length;
      await s.destroy(NAME);
      expect((await s.dom0(`xl list ${NAME}`)).status).not.toBe(0);
      expect(consoleFrom(from).filter((l) => l.startsWith('Got control message'))).toEqual([]);
    },
    SESSION_MS,
  );
});
