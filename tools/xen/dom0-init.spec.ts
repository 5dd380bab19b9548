import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CREATE_DOMAIN_SCRIPT, dom0InitScript } from './dom0-init';
import { DEFAULT_DOM0_NETWORK, vifHotplugScript } from './dom0-network';

describe("the dom0's /init", () => {
  it('is a script busybox sh accepts, with and without disks', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-dom0-init-'));
    try {
      const scripts = [[], [{ serial: 'xenharness0', loop: '/dev/loop0' }]].flatMap((disks) => [
        dom0InitScript({ domain: 'console', domainTimeoutS: 30, disks }),
        dom0InitScript({ domain: '', domainTimeoutS: 30, disks, network: DEFAULT_DOM0_NETWORK, session: true }),
      ]);
      for (const script of [...scripts, CREATE_DOMAIN_SCRIPT, vifHotplugScript('xen-harness:')]) {
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
