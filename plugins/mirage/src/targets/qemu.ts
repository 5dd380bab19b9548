import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../configure/user-error';
import type { RunContext } from './target';
import { kernelCommandLine, QEMU } from './vm/guest';
import { realHostTools, type HostTools } from './vm/host-tools';
import { readImageInfo, tooLittleMemory } from './vm/image';
import { chooseAccel } from './vm/kvm';
import { launcherScript } from './vm/launcher-script';
import { forwardLines } from './vm/line-forwarder';
import { libvirtXml } from './vm/libvirt-xml';
import { portForwards, vmOptions } from './vm/options';
import { parseExitStatus, qemuArgs, QEMU_BINARY, type QemuNic } from './vm/qemu-command';
import { checkDisksExist, hostDisks, vmTarget } from './vm/vm-target';

/**
 * The VM image run under QEMU: virtio devices, the console on the first
 * serial port. Beside the image: `mir-NAME` (a launcher that needs only
 * QEMU) and NAME.libvirt.xml (for `virsh define`).
 */
export const qemuTarget = vmTarget(
  {
    flavour: QEMU,
    description: 'a bootable VM image run under QEMU (launcher script and libvirt XML beside it)',
    writeFiles(ctx, image) {
      const name = ctx.graph.name;
      const kernelParams = kernelCommandLine({ flavour: QEMU, devices: image.devices, args: [] });
      const disks = hostDisks(ctx, image);
      const launcher = path.join(ctx.stagingDir, `mir-${name}`);
      fs.writeFileSync(
        launcher,
        launcherScript({
          name,
          configFile: ctx.graph.configFile,
          kernel: image.kernel,
          initramfs: image.initramfs,
          rootDisk: image.rootDisk,
          memoryMb: image.memoryMb,
          kernelParams,
          disks: disks.map((d, i) => ({ file: path.relative(ctx.outDir, d), guestName: QEMU.diskName(i) })),
          networks: image.devices.networks.length,
        }),
        { mode: 0o755 },
      );
      fs.writeFileSync(
        path.join(ctx.stagingDir, `${name}.libvirt.xml`),
        libvirtXml({
          name,
          memoryMb: image.memoryMb,
          kernel: path.join(ctx.outDir, image.kernel),
          initrd: path.join(ctx.outDir, image.initramfs),
          rootDisk: path.join(ctx.outDir, image.rootDisk),
          cmdline: kernelCommandLine({ flavour: QEMU, devices: image.devices, args: [], statusPort: false }),
          disks: disks.map((file, i) => ({ file, guestName: QEMU.diskName(i) })),
          networks: image.devices.networks.length,
        }),
      );
      ctx.logger.info(
        `  run it with: npx nx run ${ctx.graph.project}:run --target=qemu (or ${path.relative(ctx.workspaceRoot, path.join(ctx.outDir, `mir-${name}`))})`,
      );
    },
    run: runQemu,
  },
  () => realHostTools,
);

/** Boots the image with the console on this process's stdio; resolves with the unikernel's exit status. */
export async function runQemu(ctx: RunContext, tools: HostTools): Promise<number> {
  const image = readImageInfo(ctx.outDir);
  const options = vmOptions(ctx.options);
  const memoryMb = options.memory ?? image.memoryMb;
  if (memoryMb < image.minimumMemoryMb) throw tooLittleMemory(memoryMb, image.minimumMemoryMb);
  const disks = checkDisksExist(ctx, image);
  const qemu = await tools.which(QEMU_BINARY);
  if (!qemu) {
    throw new UserError(`QEMU is not installed (${QEMU_BINARY} is not on PATH)`, {
      fix: 'install it: apt-get install qemu-system-x86 (or run the unikernel with --target=unix)',
    });
  }
  const accel = await chooseAccel(options.accel, qemu, tools);
  if (accel.notice) ctx.logger.warn(accel.notice);

  const forwards = portForwards(options.forward);
  const nics: QemuNic[] = image.devices.networks.map((_, i) =>
    options.tap ? { kind: 'tap', ifname: options.tap } : { kind: 'user', forwards: i === 0 ? forwards : [] },
  );
  const statusDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-qemu-'));
  const statusFile = path.join(statusDir, 'status');
  try {
    const args = qemuArgs({
      kernel: path.join(ctx.outDir, image.kernel),
      initramfs: path.join(ctx.outDir, image.initramfs),
      rootDisk: path.join(ctx.outDir, image.rootDisk),
      memoryMb,
      cmdline: kernelCommandLine({
        flavour: QEMU,
        devices: image.devices,
        args: ctx.args,
        trace: Boolean(process.env['MIRAGE_TRACE']),
      }),
      disks: disks.map((file, i) => ({ file, guestName: QEMU.diskName(i) })),
      nics,
      accel: accel.accel,
      statusFile,
    });
    const qemuStatus = await new Promise<number>((resolve, reject) => {
      const child = tools.start(qemu, args, { stdio: ['inherit', 'pipe', 'inherit'] });
      const forwarded = child.stdout ? forwardLines(child.stdout, process.stdout) : Promise.resolve();
      const stop = () => child.kill('SIGTERM');
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        void forwarded.then(() => resolve(code ?? (signal ? 128 : 1)));
      });
    });
    const reported = fs.existsSync(statusFile) ? parseExitStatus(fs.readFileSync(statusFile, 'utf8')) : undefined;
    if (reported !== undefined) return reported;
    ctx.logger.warn(
      `the VM ended without reporting the unikernel's exit status (QEMU exited with ${qemuStatus}); a kernel panic or a killed QEMU does this`,
    );
    return qemuStatus === 0 ? 1 : qemuStatus;
  } finally {
    fs.rmSync(statusDir, { recursive: true, force: true });
  }
}
