import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootKeyArgs, CONTROL_DIR, initScript, runAndEnd, SHUTDOWN_HELPERS, shutdownHelper } from './init-script';

/** Runs the snippet in a real shell with `env` and `args`, and returns the arguments it leaves. */
function argsAfter(snippet: string, env: Record<string, string>, args: string[]): string[] {
  const out = execFileSync('sh', ['-c', `${snippet}printf '%s\\n' "$@"`, 'init', ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => l !== '');
}

describe('run-time keys as bare kernel parameters', () => {
  const snippet = bootKeyArgs(['ip', 'netmask', 'gateway', 'port', 'ipv4-gateway']);

  it('turns ip=... netmask=... gateway=... from the environment into key arguments', () => {
    const args = argsAfter(snippet, { ip: '10.0.0.9', netmask: '255.255.0.0', gateway: '10.0.0.1' }, []);
    expect(args.sort()).toEqual(['--gateway=10.0.0.1', '--ip=10.0.0.9', '--netmask=255.255.0.0']);
  });

  it('puts them before the arguments after --, which win, and leaves absent keys out', () => {
    expect(argsAfter(snippet, { ip: '10.0.0.9' }, ['--ip=10.0.0.7', '--port=8080'])).toEqual([
      '--ip=10.0.0.9',
      '--ip=10.0.0.7',
      '--port=8080',
    ]);
    expect(argsAfter(snippet, {}, ['--port=8080'])).toEqual(['--port=8080']);
  });

  it('skips names a shell cannot read, and writes nothing without keys', () => {
    expect(snippet).not.toContain('ipv4-gateway');
    expect(bootKeyArgs(['ipv4-gateway'])).toBe('');
  });

  it('reads them at the top of /init, before the script sets variables of its own', () => {
    const init = initScript({ networking: 'kernel', nics: ['eth0'], bootKeys: ['gateway'] });
    expect(init.indexOf('--gateway=${gateway}')).toBeGreaterThan(0);
    expect(init.indexOf('--gateway=${gateway}')).toBeLessThan(init.indexOf("; gateway='"));
    expect(init.indexOf("; gateway='")).toBeGreaterThan(0);
  });
});

describe('power-off and reboot asked by the toolstack (/sbin/poweroff, /sbin/reboot)', () => {
  let dir: string;
  let control: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-init-shutdown-'));
    control = path.join(dir, 'control');
    fs.mkdirSync(path.join(dir, 'sbin'));
    for (const how of ['poweroff', 'reboot'])
      fs.writeFileSync(path.join(dir, 'sbin', how), shutdownHelper(control, 'echo no unikernel, forcing'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /**
   * The end of /init in a real shell, with `app` standing for Node (its
   * output goes where the console would) and the VM's power-off and
   * reboot printing what they would do; then the kernel's helper `how`.
   */
  async function initThenHelper(app: string, how: 'poweroff' | 'reboot'): Promise<{ init: string; app: string }> {
    const appFile = path.join(dir, 'app.sh');
    fs.writeFileSync(appFile, app);
    const con = path.join(dir, 'console');
    fs.writeFileSync(con, '');
    const init = spawn(
      'sh',
      [
        '-c',
        `poweroff() { echo "VM poweroff $*"; }; reboot() { echo "VM reboot $*"; }; con=${con}\n${runAndEnd('', control, `sh ${appFile}`)}`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    init.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const ended = new Promise<void>((resolve) => init.on('close', () => resolve()));
    try {
      for (let i = 0; i < 100 && !fs.existsSync(path.join(control, 'app.pid')); i++) await sleep(50);
      // The app is up once it has said so.
      for (let i = 0; i < 100 && !fs.readFileSync(con, 'utf8').includes('up'); i++) await sleep(50);
      execFileSync('sh', [path.join(dir, 'sbin', how)]);
      await ended;
    } finally {
      init.kill('SIGKILL');
    }
    return { init: out, app: fs.readFileSync(con, 'utf8') };
  }

  const listening = `trap 'echo "got $(cat ${'$'}{0%/*}/control/shutdown)"; exit 0' TERM
echo up
while :; do sleep 0.05; done
`;

  it('hands a reboot to the running unikernel, which ends, and then reboots the VM', async () => {
    const r = await initThenHelper(listening, 'reboot');
    expect(r.app).toBe('up\ngot reboot\n');
    expect(r.init).toBe('VM reboot -f\n');
    expect(fs.existsSync(path.join(control, 'app.pid'))).toBe(false);
  });

  it('powers off after a power-off, even when the unikernel does not listen (the signal ends it)', async () => {
    const r = await initThenHelper('echo up\nwhile :; do sleep 0.05; done\n', 'poweroff');
    expect(r.app).toBe('up\n');
    expect(r.init).toBe('VM poweroff -f\n');
  });

  it('acts at once when no unikernel runs', () => {
    fs.mkdirSync(control);
    expect(execFileSync('sh', [path.join(dir, 'sbin', 'reboot')], { encoding: 'utf8' })).toBe(
      'no unikernel, forcing reboot -f\n',
    );
    expect(fs.readFileSync(path.join(control, 'shutdown'), 'utf8')).toBe('reboot\n');
  });

  it('is what the image holds as /sbin/poweroff and /sbin/reboot, meeting /init in the same folder', () => {
    expect(SHUTDOWN_HELPERS).toEqual(['sbin/poweroff', 'sbin/reboot']);
    const init = initScript({ networking: 'none', nics: [] });
    expect(init).toContain(`echo $! > ${CONTROL_DIR}/app.pid`);
    expect(shutdownHelper(CONTROL_DIR)).toContain(`cat ${CONTROL_DIR}/app.pid`);
    expect(shutdownHelper(CONTROL_DIR)).toContain('exec /bin/busybox "$how" -f');
  });
});
