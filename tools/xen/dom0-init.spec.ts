import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ATTACH_CONSOLE_SCRIPT, CREATE_DOMAIN_SCRIPT, dom0InitScript, TCP_SCRIPT } from './dom0-init';
import { DEFAULT_DOM0_NETWORK, vifHotplugScript } from './dom0-network';

describe("the dom0's /init", () => {
  it('is a script busybox sh accepts, with and without disks', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-dom0-init-'));
    try {
      const scripts = [[], [{ serial: 'xenharness0', loop: '/dev/loop0' }]].flatMap((disks) => [
        dom0InitScript({ domain: 'console', domainTimeoutS: 30, disks }),
        dom0InitScript({ domain: '', domainTimeoutS: 30, disks, network: DEFAULT_DOM0_NETWORK, session: true }),
      ]);
      for (const script of [
        ...scripts,
        CREATE_DOMAIN_SCRIPT,
        ATTACH_CONSOLE_SCRIPT,
        TCP_SCRIPT,
        vifHotplugScript('xen-harness:'),
      ]) {
        const file = path.join(dir, 'init');
        fs.writeFileSync(file, script);
        const r = spawnSync('/bin/busybox', ['sh', '-n', file], { encoding: 'utf8' });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('attaches each disk before the domain starts and releases it before power-off', () => {
    const init = dom0InitScript({
      domain: 'block_test',
      domainTimeoutS: 30,
      disks: [{ serial: 'xenharness0', loop: '/dev/loop0' }],
    });
    const at = (s: string) => init.indexOf(s);
    expect(at('attach_disk xenharness0 /dev/loop0')).toBeGreaterThan(0);
    expect(at('attach_disk xenharness0 /dev/loop0')).toBeLessThan(at('xl ${xl_verbose} create -c'));
    expect(at('losetup -d /dev/loop0')).toBeGreaterThan(at('xl ${xl_verbose} create -c'));
    expect(at('losetup -d /dev/loop0')).toBeLessThan(at('poweroff -f'));
  });

  it('in a session, sets up the bridge and DHCP before reading commands, and runs each in the background', () => {
    const init = dom0InitScript({
      domain: '',
      domainTimeoutS: 30,
      network: DEFAULT_DOM0_NETWORK,
      session: true,
    });
    const at = (s: string) => init.indexOf(s);
    expect(at('brctl addbr xenbr0')).toBeGreaterThan(0);
    expect(at('ip addr add 10.0.0.1/24 dev xenbr0')).toBeGreaterThan(at('brctl addbr xenbr0'));
    expect(init).toContain('--dhcp-range=10.0.0.50,10.0.0.60,255.255.255.0,2m');
    expect(init).toContain('--dhcp-option=option:router,10.0.0.1');
    expect(at('dnsmasq ')).toBeLessThan(at('say "ready for commands"'));
    expect(init).toContain('run_command "$id" "$command" &');
    // The one-domain boot has no network unless asked.
    expect(dom0InitScript({ domain: 'console', domainTimeoutS: 30 })).not.toContain('brctl');
  });

  it('the vif hotplug script puts the vif on the bridge xenstore names and reports it connected', () => {
    const s = vifHotplugScript('xen-harness:');
    expect(s).toContain('xenstore-read "$XENBUS_PATH/bridge"');
    expect(s.indexOf('brctl addif "$bridge" "$vif"')).toBeLessThan(s.indexOf('hotplug-status" connected'));
  });
});

describe('the TCP connection a session keeps open in dom0 (xen-harness-tcp)', () => {
  it('sends lines on a connection that outlives the commands, and closes it when told', async () => {
    // The script with the host's nc, against a local echo server: what dom0 does, without Xen.
    const net = await import('node:net');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-dom0-tcp-'));
    const server = net.createServer((c) => c.pipe(c));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const script = path.join(dir, 'tcp');
    fs.writeFileSync(
      script,
      TCP_SCRIPT.replace(/\/usr\/local\/bin\/nc/g, '/bin/nc.openbsd').replace(/\/tmp\/tcp-/g, `${dir}/tcp-`),
    );
    const { spawn } = await import('node:child_process');
    const open = spawn('/bin/busybox', ['sh', script, 'open', '1', '127.0.0.1', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    open.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    open.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const ended = new Promise<number | null>((r) => open.on('close', r));
    const waitFor = async (text: string) => {
      for (let i = 0; i < 100 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain(text);
    };
    try {
      await waitFor('succeeded');
      const send = (text: string) => spawnSync('/bin/busybox', ['sh', script, 'send', '1', ...text.split(' ')]);
      expect(send('before save').status).toBe(0);
      await waitFor('before save\n');
      expect(send('after restore').status).toBe(0);
      await waitFor('after restore\n');
      expect(spawnSync('/bin/busybox', ['sh', script, 'close', '1']).status).toBe(0);
      expect(await ended).not.toBe(0);
      expect(fs.readdirSync(dir)).toEqual(['tcp']);
      expect(spawnSync('/bin/busybox', ['sh', script, 'send', '1', 'late'], { encoding: 'utf8' }).stdout).toBe(
        'no connection 1\n',
      );
    } finally {
      open.kill('SIGKILL');
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
