import { TARGETS, isTarget, type Target } from '@mirage-ts/mirage';
import { UserError } from '../configure/user-error';
import { qemuTarget } from './qemu';
import type { UnikernelTarget } from './target';
import { unixTarget } from './unix';
import { xenTarget } from './xen';

const registry: Record<Target, UnikernelTarget> = {
  unix: unixTarget,
  xen: xenTarget,
  qemu: qemuTarget,
};

export function targetNamed(name: string): UnikernelTarget {
  if (!isTarget(name)) {
    throw new UserError(`unknown target '${name}'`, { fix: `use --target=${TARGETS.join('|')}` });
  }
  return registry[name];
}

export type { UnikernelTarget } from './target';
