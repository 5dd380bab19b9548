/**
 * The web examples under load, side by side in one run (as root; nothing
 * leaves a namespace made here):
 * - wrk (Debian) against static_website's 10 KB page (docs/10k.html),
 *   keep-alive, 50 connections: the socket stack vs a plain Node http server
 *   vs nginx (one worker, as Node has one thread) serving the same folder;
 *   the direct stack over a tap vs the socket stack;
 * - TLS handshakes/s (wrk with `Connection: close`: one full handshake per
 *   request) and HTTPS throughput (keep-alive) of static_website_tls vs
 *   Node's own https server with the same certificate;
 * - Chromium's page load time (navigation start to load event, median of
 *   fresh pages) over the direct stack vs the socket stack.
 * Everything runs inside one namespace: the socket-stack unikernels and the
 * comparison servers on its loopback, the direct one on a tap into it.
 * Figures on a shared 2-core machine are noisy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canManageNetwork, Netns, run, uniqueName } from '@mirage-ts/netif/testing/netns';
import { chromiumBinary, launchChromium, loadPage } from '../testing/browser';
import { nx, WORKSPACE_ROOT } from '../testing/workspace';
import { ms, ratio, type BenchRow } from './table';

const SECONDS = 5;
const CONNECTIONS = 50;
const PAGE = '/docs/10k.html';
const PAGE_LOADS = 9;
const HTDOCS = path.join(WORKSPACE_ROOT, 'apps/static_website/htdocs');
const TLS_APP = path.join(WORKSPACE_ROOT, 'apps/static_website_tls');

interface Wrk {
  readonly rps: number;
  readonly mbps: number;
  readonly errors: number;
}

/** wrk inside the namespace; requests/s, MB/s and socket errors + non-2xx answers. */
async function wrk(ns: Netns, url: string, extra: readonly string[] = [], connections = CONNECTIONS): Promise<Wrk> {
  const args = ['wrk', '-t2', `-c${connections}`, `-d${SECONDS}s`, ...extra, url];
  const r = await ns.execAsync(args, { timeoutMs: (SECONDS + 30) * 1000 });
  const rps = /Requests\/sec:\s+([0-9.]+)/.exec(r.stdout);
  const transfer = /Transfer\/sec:\s+([0-9.]+)([KMG]?B)/.exec(r.stdout);
  if (r.status !== 0 || !rps || !transfer) throw new Error(`${args.join(' ')}: ${r.stderr || r.stdout}`);
  const scale = { B: 1e-6, KB: 1024 / 1e6, MB: (1024 * 1024) / 1e6, GB: (1024 * 1024 * 1024) / 1e6 }[transfer[2]] ?? 1;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const errors =
    (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + Number(non2xx?.[1] ?? 0);
  return { rps: Number(rps[1]), mbps: Number(transfer[1]) * scale, errors };
}

const fmt = (w: Wrk) =>
  `${Math.round(w.rps)} req/s, ${w.mbps.toFixed(1)} MB/s${w.errors ? `, ${w.errors} errors` : ''}`;

/** Builds an app with keys and copies its unix artifact aside (another build of it would overwrite dist/). */
function build(app: string, keys: string[], scratch: string): string {
  const r = nx(['build', app, ...keys], { timeoutMs: 600_000 });
  if (r.status !== 0) throw new Error(`nx build ${app} ${keys.join(' ')} failed:\n${r.output}`);
  const to = path.join(scratch, `${app}${keys.join('')}`.replace(/[^a-z0-9_]/gi, '_'));
  fs.cpSync(path.join(WORKSPACE_ROOT, 'dist/apps', app, 'unix'), to, { recursive: true });
  return to;
}

/** Waits until `url` answers inside the namespace. */
async function ready(ns: Netns, url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await ns.execAsync(['curl', '-sk', '-o', '/dev/null', '--max-time', '1', url])).status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

/** One nginx process (no master: a SIGKILL at the end leaves no orphaned worker), one worker as Node has one thread. */
function nginxConfig(dir: string, port: number): string {
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types { text/html html; text/css css; image/svg+xml svg; }
  server { listen 127.0.0.1:${port}; root ${HTDOCS}; }
}
`,
  );
  return conf;
}

export async function rows(): Promise<BenchRow[]> {
  if (!canManageNetwork())
    return [{ name: 'web: not measured', value: 'n/a', comparison: 'needs root (namespaces, taps)' }];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-web-bench-'));
  const socketSite = build('static_website', ['--net=socket'], scratch);
  const directSite = build('static_website', ['--net=direct'], scratch);
  const tlsSite = build('static_website_tls', ['--net=socket'], scratch);
  const ns = Netns.create('wbn');
  const children: ChildProcess[] = [];
  const inNs = (argv: string[]) => {
    const c = spawn('ip', ['netns', 'exec', ns.name, ...argv], { stdio: 'ignore' });
    children.push(c);
    return c;
  };
  const nodeServer = path.join(__dirname, 'web-node-server.ts');
  const node = (args: string[]) => inNs([process.execPath, '-r', '@swc-node/register', nodeServer, ...args]);
  const out: BenchRow[] = [];
  try {
    // Plain HTTP on the namespace's loopback: the example, Node, nginx.
    inNs([path.join(socketSite, 'mir-www'), '--port=8080']);
    node([HTDOCS, '8081']);
    inNs(['nginx', '-p', scratch, '-e', 'stderr', '-c', nginxConfig(scratch, 8082)]);
    // The direct stack on a tap whose far end is that namespace (Linux is 10.0.0.1).
    const tap = uniqueName('wbt');
    const direct = spawn(path.join(directSite, 'mir-www'), [`--interface=${tap}`, '--port=80'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(direct);
    let directOut = '';
    direct.stdout?.on('data', (d: Buffer) => (directOut += d.toString()));
    for (let i = 0; i < 100 && !/Netif: connect/.test(directOut); i++) await new Promise((r) => setTimeout(r, 100));
    run('ip', ['link', 'set', tap, 'netns', ns.name]);
    ns.ip('addr', 'add', '10.0.0.1/24', 'dev', tap);
    ns.ip('link', 'set', tap, 'up');
    // HTTPS: the example and Node's https with the example's certificate.
    const cert = path.join(TLS_APP, 'secrets/tls/server.pem');
    inNs([path.join(tlsSite, 'mir-www'), '--port=8443']);
    node([path.join(TLS_APP, 'htdocs'), '8444', cert, path.join(TLS_APP, 'secrets/tls/server.key')]);
    for (const url of [
      `http://127.0.0.1:8080${PAGE}`,
      `http://127.0.0.1:8081${PAGE}`,
      `http://127.0.0.1:8082${PAGE}`,
      `http://10.0.0.2${PAGE}`,
      `https://127.0.0.1:8443${PAGE}`,
      `https://127.0.0.1:8444${PAGE}`,
    ])
      await ready(ns, url);

    const socket = await wrk(ns, `http://127.0.0.1:8080${PAGE}`);
    const plainNode = await wrk(ns, `http://127.0.0.1:8081${PAGE}`);
    const nginx = await wrk(ns, `http://127.0.0.1:8082${PAGE}`);
    const directW = await wrk(ns, `http://10.0.0.2${PAGE}`);
    out.push(
      {
        name: 'web: static_website 10 KB, socket stack (wrk -c50)',
        value: fmt(socket),
        comparison: `Node http ${fmt(plainNode)} (ratio ${ratio(socket.rps, plainNode.rps)}); nginx 1 worker ${fmt(nginx)} (ratio ${ratio(socket.rps, nginx.rps)})`,
      },
      {
        name: 'web: static_website 10 KB, direct stack over a tap',
        value: fmt(directW),
        comparison: `socket stack ${Math.round(socket.rps)} req/s, ratio ${ratio(directW.rps, socket.rps)}`,
      },
    );

    const close = ['-H', 'Connection: close'];
    const hs = await wrk(ns, `https://127.0.0.1:8443/`, close, 20);
    const hsNode = await wrk(ns, `https://127.0.0.1:8444/`, close, 20);
    out.push({
      name: 'web: TLS handshakes/s (wrk -c20, Connection: close)',
      value: `${Math.round(hs.rps)}/s${hs.errors ? `, ${hs.errors} errors` : ''}`,
      comparison: `Node https ${Math.round(hsNode.rps)}/s, ratio ${ratio(hs.rps, hsNode.rps)}`,
    });
    const tput = await wrk(ns, `https://127.0.0.1:8443${PAGE}`);
    const tputNode = await wrk(ns, `https://127.0.0.1:8444${PAGE}`);
    out.push({
      name: 'web: HTTPS 10 KB keep-alive (wrk -c50)',
      value: fmt(tput),
      comparison: `Node https ${fmt(tputNode)}, ratio ${ratio(tput.rps, tputNode.rps)}`,
    });

    if (chromiumBinary()) {
      const chromium = await launchChromium({ netns: ns.name });
      try {
        const median = async (url: string) => {
          const times: number[] = [];
          for (let i = 0; i < PAGE_LOADS; i++) times.push((await loadPage(chromium.browser, url)).loadMs);
          return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
        };
        const overDirect = await median('http://10.0.0.2/');
        const overSocket = await median('http://127.0.0.1:8080/');
        out.push({
          name: `web: Chromium loads index + css + svg, direct stack (median of ${PAGE_LOADS})`,
          value: ms(overDirect),
          comparison: `socket stack ${ms(overSocket)}, ratio ${ratio(overDirect, overSocket)}`,
        });
      } finally {
        await chromium.close();
      }
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
    ns.destroy();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  out.push({
    name: 'web: note',
    value: 'noisy',
    comparison: 'one run on a shared 2-core machine; all peers in one netns',
  });
  return out;
}
