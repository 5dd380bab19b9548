import { execFileSync } from 'node:child_process';
import { bootKeyArgs, initScript } from './init-script';

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
