import * as fs from 'node:fs';
import type { HostTools } from './host-tools';

export interface AccelChoice {
  readonly accel: 'kvm' | 'tcg';
  /** One line for the user when KVM was wanted but is not usable. */
  readonly notice?: string;
}

/**
 * KVM only when it really works: /dev/kvm must exist and be writable, and
 * QEMU must be able to start with it (a /dev/kvm provided by another
 * hypervisor may refuse). Otherwise software emulation (TCG), with a notice.
 */
export async function chooseAccel(
  wanted: 'auto' | 'kvm' | 'tcg',
  qemu: string,
  tools: HostTools,
  devKvm = '/dev/kvm',
): Promise<AccelChoice> {
  if (wanted === 'tcg') return { accel: 'tcg' };
  const why = await kvmProblem(qemu, tools, devKvm);
  if (!why) return { accel: 'kvm' };
  return { accel: 'tcg', notice: `KVM is not usable (${why}): using software emulation (TCG), which is slower.` };
}

async function kvmProblem(qemu: string, tools: HostTools, devKvm: string): Promise<string | undefined> {
  if (!fs.existsSync(devKvm)) return `${devKvm} does not exist`;
  try {
    fs.accessSync(devKvm, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return `${devKvm} is not writable by this user`;
  }
  // A machine with no devices that quits at once: enough to see whether KVM initialises.
  const r = await tools.run(
    qemu,
    ['-accel', 'kvm', '-machine', 'none', '-nodefaults', '-display', 'none', '-qmp', 'stdio'],
    {
      input: Buffer.from('{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n'),
      timeoutMs: 10_000,
    },
  );
  if (r.status !== 0) return `QEMU could not start with it: ${r.stderr.trim().split('\n')[0] ?? 'no reason given'}`;
  return undefined;
}
