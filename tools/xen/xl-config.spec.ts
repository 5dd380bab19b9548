import { parseXl, xlFile } from '../../plugins/mirage/src/targets/vm/xl-files';
import { substituteXl, TCG_ONLY_LINES } from './xl-config';

/** An .xl.in as the xen target writes it, for a unikernel with one disk. */
const template = xlFile({
  name: '@NAME@',
  kernel: '@KERNEL@',
  ramdisk: '@RAMDISK@',
  root: '@ROOT@',
  memory: '@MEMORY@',
  extra: 'console=hvc0 quiet -- --key=a@b',
  disks: [{ vdev: 'xvdb', target: '@BLOCK:xvda1@' }],
  bridges: ['@NETWORK:tap0@'],
  configFile: 'apps/block/config.ts',
});
const values = {
  name: 'block_test',
  kernel: '/domu/vmlinuz',
  ramdisk: '/domu/initramfs.cpio.zst',
  memoryMb: 128,
  root: '/dev/loop0',
  blocks: { xvda1: '/dev/loop1' },
  networks: { tap0: 'xenbr0' },
};

describe('the xl configuration the harness boots', () => {
  it('fills every @VARIABLE@ of the generated .xl.in with dom0 paths', () => {
    const xl = parseXl(substituteXl(template, values, { tcg: false }));
    expect(xl).toMatchObject({
      name: 'block_test',
      type: 'pvh',
      kernel: '/domu/vmlinuz',
      ramdisk: '/domu/initramfs.cpio.zst',
      memory: 128,
      disk: [
        'format=raw, vdev=xvda, access=ro, target=/dev/loop0',
        'format=raw, vdev=xvdb, access=rw, target=/dev/loop1',
      ],
      vif: ['bridge=xenbr0'],
    });
    // `@` that is not a variable (inside a run-time key's value) is left alone.
    expect(xl.extra).toBe('console=hvc0 quiet -- --key=a@b');
  });

  it('appends the TCG-only lines under software emulation, and only then', () => {
    const tcg = substituteXl(template, values, { tcg: true });
    expect(parseXl(tcg)).toMatchObject({ tsc_mode: 'native', cpuid: 'host,avx=0,avx2=0' });
    expect(tcg.trimEnd().split('\n').slice(-2)).toEqual([...TCG_ONLY_LINES]);
    expect(substituteXl(template, values, { tcg: false })).not.toMatch(/tsc_mode|cpuid/);
  });

  it('refuses a disk or network it was given nothing for, and an unknown variable', () => {
    expect(() => substituteXl(template, { ...values, blocks: {} }, { tcg: false })).toThrow(
      "nothing given for @BLOCK:xvda1@ (pass blocks['xvda1'])",
    );
    expect(() => substituteXl(template, { ...values, networks: undefined }, { tcg: false })).toThrow(
      'nothing given for @NETWORK:tap0@',
    );
    expect(() => substituteXl('name = @DOMID@\n', values, { tcg: false })).toThrow('unknown variable @DOMID@');
  });
});
