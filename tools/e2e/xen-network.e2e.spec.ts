import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vmDist } from '../testing/vm';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';
import { serialLog } from '../xen/report';
import { XenSession } from '../xen/xen-session';

/**
 * The seed's last stackv4 step, `mirage configure -t xen --dhcp true`, under
 * a real Xen (Xen 4.17 and a Debian dom0 inside QEMU): the domain's vif on
 * dom0's xenbr0, its lease from dnsmasq in dom0 over netfront/netback, and
 * ping and nc from dom0. Then the same image built with --dhcp=false on the
 * seed's static 10.0.0.2, and the --net=socket image (the guest kernel's
 * TCP/IP on eth0, its lease from the same dnsmasq). Last, the seed's
 * xen/static_website+ip: static_website_ip with its address on the kernel
 * command line (`extra`), serving htdocs/ to curl in dom0. One boot of Xen
 * serves the four domains, one after the other (together, they would only
 * share the one emulated CPU).
 */
const BUILD_MS = 600_000;
const SESSION_MS = 900_000;
const GATEWAY = '10.0.0.1';
/** static_website_ip's address as a deployment's .xl sets it: not the 10.0.0.2/24 built into the unikernel. */
const WWW = '10.0.0.7';
const WWW_NETMASK = '255.255.0.0';
const HTDOCS = path.join(WORKSPACE_ROOT, 'apps/static_website_ip/htdocs');

/** `nx build APP --target=xen FLAGS`, kept aside (the next build replaces dist/). */
function build(app: string, flags: readonly string[], into: string): string {
  const r = nx(['build', app, '--target=xen', ...flags], { timeoutMs: BUILD_MS });
  if (r.status !== 0) throw new Error(`nx build ${app} --target=xen ${flags.join(' ')} failed:\n${r.output}`);
  const kept = path.join(into, [app, ...flags].join('').replace(/[^a-z0-9]+/g, '-'));
  fs.cpSync(vmDist(WORKSPACE_ROOT, app, 'xen'), kept, { recursive: true });
  return kept;
}

/** The `extra` line of an xl file. */
const extraOf = (xl: string) => /^extra = '(.*)'$/m.exec(xl)?.[1];

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('stackv4 under Xen in QEMU, reached from dom0 over xenbr0', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-xen-net-e2e-'));
  let session: XenSession | undefined;
  let log = '';
  /** `extra` as the build wrote it in www.xl.in, before the edit below. */
  let builtExtra: string | undefined;

  beforeAll(
    async () => {
      const dhcpDir = build('stackv4', ['--net=direct', '--dhcp=true'], work);
      const staticDir = build('stackv4', ['--net=direct', '--dhcp=false'], work);
      const socketDir = build('stackv4', ['--net=socket', '--bridge=xenbr0'], work);
      const wwwDir = build('static_website_ip', [], work);
      // What a deployment does: edit the address in the .xl's extra line (the harness boots the .xl.in).
      const xlIn = path.join(wwwDir, 'www.xl.in');
      const xl = fs.readFileSync(xlIn, 'utf8');
      builtExtra = extraOf(xl);
      fs.writeFileSync(
        xlIn,
        xl.replace(/^(extra = '.*) ip=\S+ netmask=\S+ (.*)$/m, `$1 ip=${WWW} netmask=${WWW_NETMASK} $2`),
      );
      log = path.join(work, 'serial.log');
      session = await XenSession.start({
        domains: [
          { name: 'stackv4-dhcp', distDir: dhcpDir },
          { name: 'stackv4-static', distDir: staticDir },
          { name: 'stackv4-socket', distDir: socketDir },
          { name: 'www', distDir: wwwDir },
        ],
        timeoutMs: SESSION_MS,
        ...serialLog(log),
      });
      await session.ready();
      // Domains run in turn: the second test destroys this one and starts its own.
      await session.create('stackv4-dhcp');
    },
    4 * BUILD_MS + SESSION_MS,
  );

  afterAll(async () => {
    const r = await session?.end();
    // Copy the log out before the work folder goes, when a boot went wrong.
    if (r && (r.status !== 0 || r.timedOut)) fs.copyFileSync(log, path.join(os.tmpdir(), 'mirage-xen-net.serial.log'));
    fs.rmSync(work, { recursive: true, force: true });
    expect(r?.status).toBe(0);
  }, 120_000);

  /** ping, then the seed's two nc lines from dom0; checks the unikernel's UDP and TCP lines. */
  async function pingAndNc(name: string, address: string): Promise<void> {
    const s = session!;
    const ping = await s.dom0(`ping -c 3 -W 10 ${address}`);
    expect({ ping: ping.lines, status: ping.status }).toEqual({
      ping: expect.arrayContaining([
        expect.stringMatching(new RegExp(`^64 bytes from ${re(address)}: seq=\\d+ ttl=38 time=`)),
        '3 packets transmitted, 3 packets received, 0% packet loss',
      ]),
      status: 0,
    });
    // dom0 asks for the address (now or when it re-checks its neighbour entry): the seed's ARP line.
    await s.waitForDomu(name, new RegExp(`^ARP responding to: who-has ${re(address)}\\?$`), 60_000);

    expect((await s.dom0(`echo -n hello udp world | nc -unw1 ${address} 53`)).status).toBe(0);
    await s.waitForDomu(
      name,
      new RegExp(`^UDP ${re(GATEWAY)}\\.\\d+ > ${re(address)}\\.53: "hello udp world"$`),
      60_000,
    );
    // The seed's -w1 is nc's connect timeout too: round trips under nested emulation can take longer.
    expect((await s.dom0(`echo -n hello tcp world | nc -nw10 ${address} 8080`)).status).toBe(0);
    await s.waitForDomu(name, /^read: 15 "hello tcp world"$/, 60_000);
    const lines = s.domu(name);
    const at = lines.findIndex((l) => new RegExp(`^TCP ${re(GATEWAY)}\\.\\d+ > _\\.8080$`).test(l));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('read: 15 "hello tcp world"');
  }

  it(
    "--dhcp=true: the vif goes on xenbr0, the lease comes from dom0's dnsmasq with the seed's DHCP lines, and ping and nc from dom0 are answered",
    async () => {
      const s = session!;
      const bound = await s.waitForDomu('stackv4-dhcp', /^IP address: 10\.0\.0\.(5\d|60)$/, 400_000);
      const address = bound.text.slice('IP address: '.length);
      const lines = s.domu('stackv4-dhcp');
      expect(lines[0]).toMatch(/^Netif: plugging into eth0 with mac 00:16:3e(:[0-9a-f]{2}){3}$/);
      const mac = lines[0].slice(-17);
      for (const l of [
        'Netif: connect eth0',
        'Manager: connect',
        'Manager: configuring',
        'DHCP: start discovery',
        'Sending DHCP broadcast (length 552)',
        'DHCP response:',
        `input ciaddr 0.0.0.0 yiaddr ${address}`,
        `siaddr ${GATEWAY} giaddr 0.0.0.0`,
        `chaddr ${mac.replace(/:/g, '')}00000000000000000000 sname  file`,
        `DHCP: offer received: ${address}`,
        'DHCP: offer received',
        `IPv4: ${address}`,
        'Netmask: 255.255.255.0',
        `Gateways: [${GATEWAY}]`,
        `ARP: sending gratuitous from ${address}`,
        `DHCP offer received and bound to ${address} nm 255.255.255.0 gw [${GATEWAY}]`,
        'Manager: configuration done',
      ])
        expect(lines).toContain(l);
      expect(lines.find((l) => l.startsWith('DHCP options: Offer : '))).toMatch(
        new RegExp(
          `Server identifer\\(${re(GATEWAY)}\\).*Subnet mask\\(255\\.255\\.255\\.0\\).*Routers\\(${re(GATEWAY)}\\)`,
        ),
      );
      // The lease was dnsmasq's, in dom0, for this domain's MAC; its vif was put on the bridge by the hotplug script.
      const harness = s.lines.filter((l) => l.from === 'harness').map((l) => l.text);
      expect(harness).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(`^dnsmasq: dnsmasq-dhcp\\[\\d+\\]: DHCPACK\\(xenbr0\\) ${re(address)} ${mac}`),
          ),
          expect.stringMatching(/^vif vif\d+\.0 on xenbr0$/),
        ]),
      );
      await pingAndNc('stackv4-dhcp', address);
    },
    SESSION_MS,
  );

  it(
    "--dhcp=false: the seed's static 10.0.0.2 on the same bridge, answering ping and nc from dom0",
    async () => {
      const s = session!;
      // The first domain goes (its vif leaves the bridge), then this one starts.
      expect((await s.dom0('xl destroy stackv4-dhcp')).status).toBe(0);
      await s.create('stackv4-static');
      await s.waitForDomu('stackv4-static', /^IP address: 10\.0\.0\.2$/, 400_000);
      expect(s.domu('stackv4-static')).toEqual(
        expect.arrayContaining([
          'Manager: Interface to 10.0.0.2 nm 255.255.255.0 gw [10.0.0.1]',
          'ARP: sending gratuitous from 10.0.0.2',
          'Manager: configuration done',
        ]),
      );
      expect(s.domu('stackv4-static').some((l) => l.startsWith('DHCP'))).toBe(false);
      await pingAndNc('stackv4-static', '10.0.0.2');
    },
    SESSION_MS,
  );

  it(
    '--net=socket: the guest kernel takes its lease from dnsmasq on eth0 and the unikernel answers nc from dom0',
    async () => {
      const s = session!;
      expect((await s.dom0('xl destroy stackv4-static')).status).toBe(0);
      const from = s.lines.length;
      await s.create('stackv4-socket');
      await s.waitForDomu('stackv4-socket', /^IP address: /, 400_000);
      // The guest's udhcpc asked dom0's dnsmasq: its DHCPACK names the address.
      const ack = s.lines
        .slice(from)
        .map((l) =>
          l.from === 'harness' ? /^dnsmasq: dnsmasq-dhcp\[\d+\]: DHCPACK\(xenbr0\) (\S+) /.exec(l.text) : null,
        )
        .find(Boolean);
      expect(ack).toBeTruthy();
      const address = ack![1];
      // The unikernel binds its ports just after its address line: send until it shows the datagram.
      const udp = /^UDP 10\.0\.0\.1\.\d+ > \S+\.53: "hello udp world"$/;
      for (let i = 0; i < 20 && !s.domu('stackv4-socket').some((l) => udp.test(l)); i++) {
        expect((await s.dom0(`echo -n hello udp world | nc -unw1 ${address} 53`)).status).toBe(0);
        await s.waitForDomu('stackv4-socket', udp, 2_000).catch(() => undefined);
      }
      expect(s.domu('stackv4-socket').filter((l) => udp.test(l)).length).toBeGreaterThan(0);
      expect((await s.dom0(`echo -n hello tcp world | nc -nw10 ${address} 8080`)).status).toBe(0);
      await s.waitForDomu('stackv4-socket', /^read: 15 "hello tcp world"$/, 60_000);
      expect(s.domu('stackv4-socket')).toEqual(
        expect.arrayContaining([expect.stringMatching(/^TCP 10\.0\.0\.1\.\d+ > _\.8080$/)]),
      );
    },
    SESSION_MS,
  );

  it(
    `static_website_ip: the address from extra on the kernel command line (${WWW}, not the built-in 10.0.0.2), htdocs/ served to curl from dom0`,
    async () => {
      const s = session!;
      // The build wrote the seed's address keys into extra, with the unikernel's defaults.
      expect(builtExtra).toMatch(/ mirage_root=xvda ip=10\.0\.0\.2 netmask=255\.255\.255\.0 gateway=10\.0\.0\.1 --$/);
      expect((await s.dom0('xl destroy stackv4-socket')).status).toBe(0);
      await s.create('www');
      await s.waitForDomu(
        'www',
        new RegExp(`^ip=${re(WWW)} netmask=${re(WWW_NETMASK)} gateway=${re(GATEWAY)}$`),
        400_000,
      );
      /** curl in dom0: status, size, type and the body's SHA-256 (the page's bytes, without the serial line's). */
      const get = async (urlPath: string) => {
        const file = `/tmp/www${urlPath.replace(/[^a-z0-9]+/gi, '-')}`;
        const r = await s.dom0(
          `curl -sS --connect-timeout 60 --retry 5 --retry-connrefused -o ${file} -w 'HTTP %{http_code} %{size_download} %{content_type}\\n' http://${WWW}${urlPath} && sha256sum ${file} && rm ${file}`,
          300_000,
        );
        return { status: r.status, lines: r.lines.map((l) => l.replace(/ {2}\/tmp\/\S+$/, '')) };
      };
      const expected = (file: string, type: string) => {
        const bytes = fs.readFileSync(path.join(HTDOCS, file));
        return {
          status: 0,
          lines: [`HTTP 200 ${bytes.length} ${type}`, crypto.createHash('sha256').update(bytes).digest('hex')],
        };
      };
      expect(await get('/')).toEqual(expected('index.html', 'text/html; charset=utf-8'));
      expect(await get('/mirage.svg')).toEqual(expected('mirage.svg', 'image/svg+xml'));
      const missing = await s.dom0(`curl -sS -w 'HTTP %{http_code}\\n' http://${WWW}/not/here.html`, 120_000);
      expect({ status: missing.status, lines: missing.lines }).toEqual({
        status: 0,
        lines: ['Not found', 'HTTP 404'],
      });
      // The unikernel's lines: the address once, then each request and the end of its connection (curl closes it).
      await s.waitFor(
        () => s.domu('www').filter((l) => /^conn \d+ closed$/.test(l)).length === 3,
        60_000,
        'three closed connections on the console',
      );
      const lines = s.domu('www');
      expect(lines.filter((l) => l.startsWith('ip='))).toHaveLength(1);
      expect(
        lines.filter((l) => /^(Got request for |conn \d+ closed$)/.test(l)).map((l) => l.replace(/\d+/, 'N')),
      ).toEqual([
        'Got request for /',
        'conn N closed',
        'Got request for /mirage.svg',
        'conn N closed',
        'Got request for /not/here.html',
        'conn N closed',
      ]);
    },
    SESSION_MS,
  );
});
