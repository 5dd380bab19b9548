import { TARGETS, isTarget, type Target } from '@mirage-ts/mirage';
import { UserError } from '../configure/user-error';
import type { UnikernelTarget } from './target';
import { unixTarget } from './unix';
import { pendingVmTarget } from './vm-pending';

const registry: Record<Target, UnikernelTarget> = {
  unix: unixTarget,
  xen: pendingVmTarget('xen', 'a bootable VM image with NAME.xl for `xl create -c`'),
  qemu: pendingVmTarget('qemu', 'a bootable VM image run under QEMU'),
};

export function targetNamed(name: string): UnikernelTarget {
  if (!isTarget(name)) {
    throw new UserError(`unknown target '${name}'`, { fix: `use --target=${TARGETS.join('|')}` });
  }
  return registry[name];
}

export type { UnikernelTarget } from './target';
