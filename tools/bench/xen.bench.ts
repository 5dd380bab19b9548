/**
 * The xen artifact under a real Xen (4.17, a Debian dom0, QEMU software
 * emulation): how long from QEMU's launch to the domU's first console line,
 * against the same unikernel's image booted by QEMU directly (the qemu
 * target), in turns in the same run; and where the Xen time goes.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { imageInfo, vmDist } from '../testing/vm';
import { nxEnv, WORKSPACE_ROOT } from '../testing/workspace';
import { bootUnderXen, type XenBoot } from '../xen/boot-under-xen';
import { ms, type BenchRow } from './table';
import { firstLineMs } from './vm.bench';

const NX = path.join(WORKSPACE_ROOT, 'node_modules/.bin/nx');
const ROUNDS = 3;

function build(target: 'xen' | 'qemu'): void {
  const r = spawnSync(NX, ['build', 'console', `--target=${target}`], {
    cwd: WORKSPACE_ROOT,
    env: nxEnv(),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`nx build console --target=${target} failed`);
}

const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const at = (r: XenBoot, text: string) => r.lines.find((l) => l.from === 'harness' && l.text === text)?.atMs;

export async function rows(): Promise<BenchRow[]> {
  build('xen');
  build('qemu');
  const qemuDir = vmDist(WORKSPACE_ROOT, 'console', 'qemu');
  const qemuInfo = imageInfo(WORKSPACE_ROOT, 'console', 'qemu');

  const xen: XenBoot[] = [];
  const prepMs: number[] = [];
  const direct: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    const r = await bootUnderXen({
      distDir: vmDist(WORKSPACE_ROOT, 'console', 'xen'),
      name: 'console',
      timeoutMs: 240_000,
    });
    if (r.firstDomuLineMs === undefined || r.domu[0] !== 'hello')
      throw new Error(`the domU did not print its first line under Xen (domU: ${JSON.stringify(r.domu)})`);
    prepMs.push(Number(process.hrtime.bigint() - start) / 1e6 - r.wallMs);
    xen.push(r);
    const d = await firstLineMs(
      path.join(qemuDir, qemuInfo.kernel),
      path.join(qemuDir, qemuInfo.initramfs),
      path.join(qemuDir, qemuInfo.rootDisk),
      qemuInfo.memoryMb,
      'tcg',
      /hello/,
    );
    if (d === undefined) throw new Error('the qemu image did not print its first line');
    direct.push(d);
  }
  const first = mid(xen.map((r) => r.firstDomuLineMs!));
  const qemuDirect = mid(direct);
  const dom0Ready = mid(xen.map((r) => at(r, 'creating console') ?? NaN));
  return [
    {
      name: `xen console: launch to the domU's first console line (Xen 4.17 + dom0 in QEMU, tcg, median of ${ROUNDS})`,
      value: ms(first),
      comparison: `qemu direct (same unikernel, --target=qemu, tcg) ${ms(qemuDirect)}, ratio ${(first / qemuDirect).toFixed(2)}`,
    },
    {
      name: 'xen console: where the time goes (medians)',
      value: ms(first),
      comparison: `Xen + dom0 up to \`xl create\` ${ms(dom0Ready)}, then domain build + domU boot to first line ${ms(first - dom0Ready)}`,
    },
    {
      name: 'xen console: launch to QEMU exit (8 lines, domU off, dom0 off)',
      value: ms(mid(xen.map((r) => r.wallMs))),
      comparison: `harness set-up before launch (cached packages, dom0 initramfs) ${ms(mid(prepMs))}`,
    },
  ];
}
