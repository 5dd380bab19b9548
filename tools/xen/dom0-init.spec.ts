import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dom0InitScript } from './dom0-init';

describe("the dom0's /init", () => {
  it('is a script busybox sh accepts, with and without disks', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-dom0-init-'));
    try {
      for (const disks of [[], [{ serial: 'xenharness0', loop: '/dev/loop0' }]]) {
        const file = path.join(dir, 'init');
        fs.writeFileSync(file, dom0InitScript({ domain: 'console', domainTimeoutS: 30, disks }));
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
});
