/**
 * The web examples end to end on unix, against clients nobody here wrote
 * (curl, openssl s_client): static_website and static_website_tls on the
 * socket stack over loopback, conduit_server's two jobs, and static_website
 * on the direct stack over a tap whose far end is the Linux kernel in a
 * namespace the test makes, serving from its tar image (--kv_ro=archive, made
 * by the archive-image target) so the direct build also covers that store. Each app is built once (Nx caches it); a build
 * that another build of the same app would overwrite is copied aside first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canManageNetwork, Netns, run, runAsync, uniqueName } from '@mirage-ts/netif/testing/netns';
import { chromiumBinary, launchChromium, loadPage } from '../testing/browser';
import { freeLoopbackPort } from '../testing/free-port';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

class Unikernel {
  output = '';
  readonly child: ChildProcess;
  constructor(binary: string, args: string[]) {
    this.child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += strip(d.toString())));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += strip(d.toString())));
  }
  async waitFor(re: RegExp, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (!re.test(this.output)) {
      if (Date.now() > end || this.child.exitCode !== null)
        throw new Error(`no ${re} (exit ${this.child.exitCode}); output:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  stop(): void {
    this.child.kill('SIGKILL');
  }
}

/** Builds an app with keys and copies its unix artifact aside; returns the copied folder. */
function build(app: string, keys: string[], scratch: string): string {
  const r = nx(['build', app, ...keys], { timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(`nx build ${app} ${keys.join(' ')} failed:\n${r.output}`);
  const to = path.join(scratch, `${app}${keys.join('')}`.replace(/[^a-z0-9_]/gi, '_'));
  fs.cpSync(path.join(WORKSPACE_ROOT, 'dist/apps', app, 'unix'), to, { recursive: true });
  return to;
}

async function curl(args: string[], ns?: Netns) {
  const argv = ['-sS', '--max-time', '10', ...args];
  const r = ns ? await ns.execAsync(['curl', ...argv]) : await runAsync('curl', argv);
  return r;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await runAsync('curl', ['-s', '-o', '/dev/null', '--max-time', '1', `http://127.0.0.1:${port}/`]);
    if (r.status !== 7) return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

const HTDOCS = path.join(WORKSPACE_ROOT, 'apps/static_website/htdocs');

describe('the web examples on unix', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-web-e2e-'));
  const started: Unikernel[] = [];
  const namespaces: Netns[] = [];
  const start = (binary: string, args: string[]) => {
    const u = new Unikernel(binary, args);
    started.push(u);
    return u;
  };
  let website: string;
  let websiteDirect: string;
  let tlsSite: string;
  let conduitServer: string;
  let websiteIp: string;
  let conduitManual: string;
  let fetchSocket: string;
  let fetchDirect: string;

  beforeAll(() => {
    website = build('static_website', ['--net=socket'], scratch);
    tlsSite = build('static_website_tls', ['--net=socket'], scratch);
    conduitServer = build('conduit_server', [], scratch);
    websiteIp = build('static_website_ip', [], scratch);
    conduitManual = build('conduit_server_manual', [], scratch);
    fetchSocket = build('http-fetch', ['--net=socket'], scratch);
    fetchDirect = build('http-fetch', ['--net=direct'], scratch);
    const image = nx(['run', 'static_website:archive-image'], { timeoutMs: 120_000 });
    if (image.status !== 0) throw new Error(`nx run static_website:archive-image failed:\n${image.output}`);
    // Built last and run where it was built: it finds tar1.img relative to dist/.
    build('static_website', ['--net=direct', '--kv_ro=archive'], scratch);
    websiteDirect = path.join(WORKSPACE_ROOT, 'dist/apps/static_website/unix');
  }, 600_000);
  afterAll(() => {
    for (const u of started) u.stop();
    for (const ns of namespaces) ns.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  describe('static_website on the socket stack', () => {
    let port: number;
    let www: Unikernel;
    beforeAll(async () => {
      port = await freeLoopbackPort();
      www = start(path.join(website, 'mir-www'), [`--port=${port}`]);
      await waitForPort(port);
    });

    it('serves the files with their content types, index.html for folders, and the bytes of the files', async () => {
      const base = `http://127.0.0.1:${port}`;
      const cases: [string, string, string][] = [
        ['/', 'text/html; charset=utf-8', 'index.html'],
        ['/style.css', 'text/css; charset=utf-8', 'style.css'],
        ['/mirage.svg', 'image/svg+xml', 'mirage.svg'],
        ['/docs/', 'text/html; charset=utf-8', 'docs/index.html'],
      ];
      for (const [url, type, file] of cases) {
        const out = path.join(scratch, 'body');
        const r = await curl(['-o', out, '-w', '%{http_code} %{content_type}', base + url]);
        expect({ url, got: r.stdout }).toEqual({ url, got: `200 ${type}` });
        expect(fs.readFileSync(out)).toEqual(fs.readFileSync(path.join(HTDOCS, file)));
      }
    });

    it('answers 404 for what is not there, 400 for paths that would leave the store, and HEAD without a body', async () => {
      const base = `http://127.0.0.1:${port}`;
      for (const [url, status] of [
        ['/nothing.html', '404'],
        ['/%2e%2e/config.ts', '400'],
        ['/docs%2f..%2f..%2fconfig.ts', '400'],
        ['/a%00b', '400'],
        ['/a%5c..%5cconfig.ts', '400'],
        ['/../config.ts', '400'],
        ['/..\\config.ts', '400'],
        ['/%c0%ae%c0%ae/config.ts', '400'],
        [`/${'x/'.repeat(600)}`, '400'],
      ]) {
        const r = await curl(['--path-as-is', '-o', '/dev/null', '-w', '%{http_code}', base + url]);
        expect({ url: url.slice(0, 40), status: r.stdout }).toEqual({ url: url.slice(0, 40), status });
      }
      const head = await curl(['-I', `${base}/style.css`]);
      expect(head.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(head.stdout).toMatch(
        new RegExp(`content-length: ${fs.statSync(path.join(HTDOCS, 'style.css')).size}`, 'i'),
      );
    });

    it('reuses one kept-alive connection for several requests and logs its close', async () => {
      const r = await curl([
        '-v',
        '-o',
        '/dev/null',
        '-o',
        '/dev/null',
        `http://127.0.0.1:${port}/`,
        `http://127.0.0.1:${port}/style.css`,
      ]);
      expect(r.stderr).toMatch(/Re-using existing connection/);
      await www.waitFor(/^conn \d+ closed$/m);
    });
  });

  it('static_website_tls: curl checks the certificate, openssl negotiates TLS 1.2 and 1.3', async () => {
    const port = await freeLoopbackPort();
    start(path.join(tlsSite, 'mir-www'), [`--port=${port}`]);
    const cacert = path.join(WORKSPACE_ROOT, 'apps/static_website_tls/secrets/tls/server.pem');
    let r = await curl(['--cacert', cacert, `https://127.0.0.1:${port}/`]);
    for (let i = 0; i < 50 && r.status === 7; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await curl(['--cacert', cacert, `https://127.0.0.1:${port}/`]);
    }
    expect(r.stdout).toBe(fs.readFileSync(path.join(HTDOCS, 'index.html'), 'utf8'));
    // With its type: browsers never guess SVG from the bytes.
    const svg = await curl([
      '--cacert',
      cacert,
      '-o',
      '/dev/null',
      '-w',
      '%{content_type}',
      `https://127.0.0.1:${port}/mirage.svg`,
    ]);
    expect(svg.stdout).toBe('image/svg+xml');
    for (const [flag, version] of [
      ['-tls1_2', 'TLSv1.2'],
      ['-tls1_3', 'TLSv1.3'],
    ]) {
      const s = await runAsync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, flag, '-CAfile', cacert], {
        timeoutMs: 10_000,
      });
      expect(s.stdout).toMatch(new RegExp(`New, ${version.replace('.', '\\.')}, Cipher is`));
      expect(s.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    }
  });

  const linuxPeer = canManageNetwork() ? it : it.skip;

  /** Starts `binary` on a new tap, then moves the tap into a new namespace where Linux is 10.0.0.1/24. */
  async function onTap(binary: string, args: string[]): Promise<{ u: Unikernel; ns: Netns }> {
    const tap = uniqueName('wwt');
    const ns = Netns.create('wwn');
    namespaces.push(ns);
    const u = start(binary, [`--interface=${tap}`, ...args]);
    await u.waitFor(/Netif: connect/);
    run('ip', ['link', 'set', tap, 'netns', ns.name]);
    ns.ip('addr', 'add', '10.0.0.1/24', 'dev', tap);
    ns.ip('link', 'set', tap, 'up');
    return { u, ns };
  }

  linuxPeer.each([
    ['conduit_server', () => conduitServer, false],
    ['conduit_server_manual', () => conduitManual, true],
  ])('%s answers on both jobs: the host stack and the direct stack over a tap', async (_name, folder, logsIp) => {
    const port = await freeLoopbackPort();
    const { u, ns } = await onTap(path.join(folder(), 'mir-conduit_server'), [`--port=${port}`]);
    await waitForPort(port);
    const host = await curl([`http://127.0.0.1:${port}/from/host`]);
    expect(host.stdout).toBe('hello mirage world!\n');
    const direct = await curl([`http://10.0.0.2:${port}/from/namespace`], ns);
    expect(direct.stdout).toBe('hello mirage world!\n');
    await u.waitFor(/Got request for \/from\/host/);
    await u.waitFor(/Got request for \/from\/namespace/);
    // The seed's manual server first says which addresses each job's stack has.
    if (logsIp) expect(u.output).toMatch(/IP address: 10\.0\.0\.2\n[^]*IP address: 0\.0\.0\.0/);
  });

  linuxPeer(
    'static_website_ip takes its address from --ip/--netmask/--gateway, logs it and serves htdocs',
    async () => {
      const { u, ns } = await onTap(path.join(websiteIp, 'mir-www'), [
        '--ip=10.0.0.7',
        '--netmask=255.255.0.0',
        '--gateway=10.0.0.1',
      ]);
      await u.waitFor(/^ip=10\.0\.0\.7 netmask=255\.255\.0\.0 gateway=10\.0\.0\.1$/m);
      const r = await curl(['http://10.0.0.7/'], ns);
      expect(r.stdout).toBe(fs.readFileSync(path.join(HTDOCS, 'index.html'), 'utf8'));
      await u.waitFor(/^Got request for \/$/m);
    },
  );

  linuxPeer(
    'static_website on the direct stack serves Linux curl over a tap from its tar image, with keep-alive',
    async () => {
      const { u, ns } = await onTap(path.join(websiteDirect, 'mir-www'), ['--port=80']);
      const r = await curl(
        [
          '-v',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code} ',
          'http://10.0.0.2/',
          '-o',
          '/dev/null',
          'http://10.0.0.2/mirage.svg',
        ],
        ns,
      );
      expect(r.stdout).toBe('200 200 ');
      expect(r.stderr).toMatch(/Re-using existing connection/);
      const body = await curl(['http://10.0.0.2/docs/'], ns);
      expect(body.stdout).toBe(fs.readFileSync(path.join(HTDOCS, 'docs/index.html'), 'utf8'));
      // Linux holds 200 connections open (100 idle, 100 reset with RST right after their request)
      // while curl fetches the page: the unikernel keeps serving, then answers once more.
      const abuse = [
        'import socket, struct, subprocess',
        'held = []',
        'for i in range(200):',
        '    s = socket.create_connection(("10.0.0.2", 80), timeout=5)',
        '    if i % 2:',
        '        s.sendall(b"GET /mirage.svg HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")',
        '        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))',
        '        s.close()',
        '    else:',
        '        held.append(s)',
        'r = subprocess.run(["curl", "-sS", "--max-time", "10", "http://10.0.0.2/style.css"], capture_output=True)',
        'print(len(held), r.stdout.decode())',
      ].join('\n');
      const held = await ns.execAsync(['python3', '-c', abuse], { timeoutMs: 30_000 });
      expect(held.stdout).toBe(`100 ${fs.readFileSync(path.join(HTDOCS, 'style.css'), 'utf8')}\n`);
      const svg = path.join(scratch, 'from-tar.svg');
      await curl(['-o', svg, 'http://10.0.0.2/mirage.svg'], ns);
      expect(fs.readFileSync(svg)).toEqual(fs.readFileSync(path.join(HTDOCS, 'mirage.svg')));
      await u.waitFor(/^conn \d+ closed$/m);
    },
  );

  /**
   * http-fetch against peers in a namespace made here: dnsmasq answers for
   * web.test (the tap side, 10.0.0.1) and local.test (the namespace's
   * loopback), Python's http.server serves a page on port 80. The unikernel
   * runs on the direct stack over a tap into the namespace, and on the socket
   * stack inside the namespace itself, so nothing leaves it.
   */
  linuxPeer(
    'http-fetch resolves through dnsmasq and fetches from Python http.server, on both stacks',
    async () => {
      const ns = Netns.create('wfn');
      namespaces.push(ns);
      const site = path.join(scratch, 'fetched');
      fs.mkdirSync(site);
      const page = `<h1>fetched ${process.pid}</h1>\n`;
      fs.writeFileSync(path.join(site, 'index.html'), page);
      const peers = [
        spawn(
          'ip',
          // prettier-ignore
          ['netns', 'exec', ns.name, 'dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
         '--pid-file=', '--user=root', '--address=/web.test/10.0.0.1', '--address=/local.test/127.0.0.1'],
          { stdio: 'ignore' },
        ),
        spawn('ip', ['netns', 'exec', ns.name, 'python3', '-m', 'http.server', '80', '--directory', site], {
          stdio: 'ignore',
        }),
      ];
      try {
        for (let i = 0; i < 100; i++) {
          const r = await curl(['-o', '/dev/null', 'http://127.0.0.1/'], ns);
          if (r.status === 0) break;
          await new Promise((res) => setTimeout(res, 100));
        }
        const expectFetched = (output: string, address: string) => {
          // The direct stack's ARP lines may come in between.
          expect(output).toMatch(
            /Fetching http:\/\/\w+\.test\/ with the HTTP client:\n[^]*^\(\(encoding \(Fixed \d+\)\)/m,
          );
          expect(output).toMatch(/\(version HTTP_1_0\) \(status OK\) \(flush false\)\)/);
          expect(output).toContain(`Received body length: ${Buffer.byteLength(page)}\nHTTP client fetch done`);
          // The manual GET prints what one read returns: the head at least (the body may come in a later segment).
          expect(output).toContain(`(TCP (${address} 80))\nOK\nHTTP/1.0 200 OK\r\n`);
        };

        // The socket stack: the host's (here the namespace's) kernel sockets.
        const socket = await ns.execAsync(
          [path.join(fetchSocket, 'mir-http-fetch'), '--resolver=127.0.0.1', '--uri=http://local.test/'],
          { timeoutMs: 30_000 },
        );
        expect({ status: socket.status, stderr: socket.stderr }).toEqual({ status: 0, stderr: '' });
        expect(socket.stdout).toContain('Resolving in 1s using DNS server 127.0.0.1\n');
        expectFetched(strip(socket.stdout), '127.0.0.1');

        // The direct stack over a tap whose far end is that namespace.
        const tap = uniqueName('wft');
        const u = start(path.join(fetchDirect, 'mir-http-fetch'), [
          `--interface=${tap}`,
          '--resolver=10.0.0.1',
          '--uri=http://web.test/',
        ]);
        await u.waitFor(/Netif: connect/);
        run('ip', ['link', 'set', tap, 'netns', ns.name]);
        ns.ip('addr', 'add', '10.0.0.1/24', 'dev', tap);
        ns.ip('link', 'set', tap, 'up');
        await u.waitFor(/HTTP client fetch done[^]*\nOK\nHTTP\/1\.0 200 OK\r\n/, 30_000);
        expectFetched(u.output, '10.0.0.1');
        for (let i = 0; i < 100 && u.child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
        expect(u.child.exitCode).toBe(0);
      } finally {
        for (const p of peers) p.kill('SIGTERM');
      }
    },
    90_000,
  );

  const withBrowser = canManageNetwork() && chromiumBinary() ? it : it.skip;

  /**
   * Headless Chromium (one launch) inside a namespace made here loads the
   * site from static_website on the direct stack over a tap, and from
   * static_website_tls (socket stack, run in the same namespace) over HTTPS,
   * trusting only the example's certificate key. Screenshots stay in
   * tmp/web-e2e/ as artifacts.
   */
  withBrowser(
    'Chromium renders the site with its stylesheet and image, over the direct stack and over TLS',
    async () => {
      const { ns } = await onTap(path.join(websiteDirect, 'mir-www'), ['--port=80']);
      const tlsPort = 8443;
      start('ip', ['netns', 'exec', ns.name, path.join(tlsSite, 'mir-www'), `--port=${tlsPort}`]);
      const cert = fs.readFileSync(path.join(WORKSPACE_ROOT, 'apps/static_website_tls/secrets/tls/server.pem'), 'utf8');
      const shots = path.join(WORKSPACE_ROOT, 'tmp/web-e2e');
      const chromium = await launchChromium({ netns: ns.name, trust: [cert] });
      try {
        for (const [name, url] of [
          ['direct', 'http://10.0.0.2/'],
          ['tls', `https://127.0.0.1:${tlsPort}/`],
        ]) {
          for (let i = 0; i < 100; i++) {
            if ((await curl(['-k', '-o', '/dev/null', url], ns)).status === 0) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          const page = await loadPage(chromium.browser, url, path.join(shots, `static_website-${name}.png`));
          expect({ name, statuses: page.statuses }).toMatchObject({
            name,
            statuses: { '/': 200, '/style.css': 200, '/mirage.svg': 200 },
          });
          expect(page.text).toContain('Hello Mirage World!');
          expect(page.text).toContain('Served by a unikernel.');
          // #b5371f from style.css: the stylesheet was applied, not only fetched.
          expect(page.h1Color).toBe('rgb(181, 55, 31)');
          expect(page.imageWidth).toBeGreaterThan(0);
          expect(fs.statSync(path.join(shots, `static_website-${name}.png`)).size).toBeGreaterThan(1000);
        }
      } finally {
        await chromium.close();
      }
    },
    60_000,
  );
});
