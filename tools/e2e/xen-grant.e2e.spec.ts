import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vmDist } from '../testing/vm';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';
import { serialLog } from '../xen/report';
import { XenSession } from '../xen/xen-session';

/**
 * The 2015 grant example under a real Xen (Xen 4.17 and a Debian dom0 inside
 * QEMU): its four lines with the domid that xl gave the domain and a grant
 * reference that Xen's own grant-table dump shows mapped, then the xenstore
 * device both ways with dom0's xenstore tools: the unikernel's write read
 * back in dom0, dom0's write seen by the unikernel's watch, and its listing.
 */
const BUILD_MS = 600_000;
const SESSION_MS = 900_000;

describe('grant under Xen in QEMU: grant tables and xenstore', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-grant-e2e-'));
  let session: XenSession | undefined;
  let log = '';

  beforeAll(async () => {
    const r = nx(['build', 'grant', '--target=xen'], { timeoutMs: BUILD_MS });
    if (r.status !== 0) throw new Error(`nx build grant --target=xen failed:\n${r.output}`);
    const distDir = path.join(work, 'grant');
    fs.cpSync(vmDist(WORKSPACE_ROOT, 'grant', 'xen'), distDir, { recursive: true });
    // A run-time key appended to `extra`, as on any Xen host: stay up (with the grant mapped)
    // until the test is done, instead of the example's 5 s.
    const xlIn = path.join(distDir, 'grant.xl.in');
    const xl = fs.readFileSync(xlIn, 'utf8');
    expect(xl).toMatch(/^extra = '.* --'$/m);
    // A PV guest, as the generator writes it for a unikernel with grant tables (xen.ts says why).
    expect(xl).toMatch(/^type = 'pv'$/m);
    fs.writeFileSync(xlIn, xl.replace(/^(extra = '.* --)'$/m, "$1 --linger=600'"));
    log = path.join(work, 'serial.log');
    session = await XenSession.start({
      domains: [{ name: 'grant', distDir }],
      timeoutMs: SESSION_MS,
      ...serialLog(log),
    });
    await session.ready();
    await session.create('grant');
  }, BUILD_MS + SESSION_MS);

  afterAll(async () => {
    const r = await session?.end();
    if (r && (r.status !== 0 || r.timedOut))
      fs.copyFileSync(log, path.join(os.tmpdir(), 'mirage-xen-grant.serial.log'));
    fs.rmSync(work, { recursive: true, force: true });
    expect(r?.status).toBe(0);
  }, 120_000);

  let domid = -1;

  it("prints the example's four lines, with xl's domid and a grant reference that Xen shows mapped by the domain", async () => {
    const s = session!;
    await s.waitForDomu('grant', /^(Everything looks ok|I wrote .*)$/, 400_000);
    const lines = s.domu('grant');
    expect(lines.slice(0, 4)).toEqual([
      expect.stringMatching(/^I have domid \d+$/),
      expect.stringMatching(/^Granted page to myself with reference \d+$/),
      'Mapped grant reference in',
      'Everything looks ok',
    ]);
    domid = Number(/\d+$/.exec(lines[0])![0]);
    const ref = Number(/\d+$/.exec(lines[1])![0]);

    const xl = await s.dom0('xl domid grant');
    expect(xl).toMatchObject({ status: 0, lines: [String(domid)] });
    expect(domid).toBeGreaterThan(0);

    // Xen's dump of grant tables in use: our reference, granted by the domain and mapped by itself.
    const dump = await s.dom0('xl debug-keys g && xl dmesg');
    expect(dump.status).toBe(0);
    const at = dump.lines.findIndex((l) => l.includes(`grant-table for remote d${domid} `));
    expect(at).toBeGreaterThanOrEqual(0);
    const entry = new RegExp(`\\[0x0*${ref.toString(16)}\\]\\s+${domid}\\s+0x[0-9a-f]+\\s+0x[0-9a-f]+\\s+${domid}\\s`);
    // dom0's own mappings of the domain's grants (its disk's rings) come first: look through the domain's whole table.
    const next = dump.lines.findIndex((l, i) => i > at && l.includes('grant-table for remote'));
    const table = dump.lines.slice(at + 1, next < 0 ? undefined : next);
    expect(table.filter((l) => entry.test(l))).toHaveLength(1);
  }, 500_000);

  it('xenstore: the write reaches dom0, dom0 writes reach the watch, and the listing shows both', async () => {
    const s = session!;
    expect(domid).toBeGreaterThan(0);
    const home = `/local/domain/${domid}`;
    // Its own write, seen by its own watch, and the directory listing right after.
    await s.waitForDomu('grant', /^xenstore: data\/grant = Everything looks ok$/, 60_000);
    await s.waitForDomu('grant', /^xenstore: data holds grant$/, 60_000);
    expect(await s.dom0(`xenstore-read ${home}/data/grant`)).toMatchObject({
      status: 0,
      lines: ['Everything looks ok'],
    });
    expect((await s.dom0(`xenstore-write ${home}/data/reply hello-from-dom0`)).status).toBe(0);
    await s.waitForDomu('grant', /^xenstore: data\/reply = hello-from-dom0$/, 120_000);
    expect(await s.dom0(`xenstore-ls ${home}/data`)).toMatchObject({
      status: 0,
      lines: ['grant = "Everything looks ok"', 'reply = "hello-from-dom0"'],
    });
  }, 300_000);
});
