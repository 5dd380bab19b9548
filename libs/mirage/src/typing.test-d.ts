/**
 * Type-level tests of the DSL, compiled by typing.spec.ts. Each line under
 * `@ts-expect-error` must be a compile error in config.ts; the spec also
 * checks that each of them fails for the reason its comment gives.
 */
import {
  $,
  block,
  blockOfFile,
  console,
  defaultConsole,
  foreign,
  ifImpl,
  impl,
  job,
  Key,
  matchImpl,
  noop,
  register,
  type Impl,
} from './index';

const main = foreign('Unikernel.Main', [console, block]);
const img = blockOfFile('disk.img');

// Accepted: the seed's block configuration.
export const ok1 = register('block_test', [main(defaultConsole, ifImpl(Key.isXen, blockOfFile('xvda1'), img))]);
export const ok2 = register('block_test', [$($(main, defaultConsole), img)]);
const kvKey = Key.create('kv_ro', { values: ['crunch', 'fat'] as const, default: 'crunch' });
export const ok3: Impl<'block'> = matchImpl(kvKey, { crunch: img, fat: img });

// Accepted: a job slot that only some targets fill, as the 2015 dns and conduit_server configs do.
export const ok4 = register('dns', [main(defaultConsole, img), ifImpl(Key.isXen, noop, main(defaultConsole, img))]);

// @ts-expect-error noop is a job, not a device [job-for-device]
export const noopDevice = main(defaultConsole, noop);

// @ts-expect-error swapped: a block where the console goes [console-for-block]
export const swapped = main(img, defaultConsole);

// @ts-expect-error too few devices [arity]
export const tooFew = main(defaultConsole);

// @ts-expect-error too many devices [arity]
export const tooMany = main(defaultConsole, img, img);

// @ts-expect-error $ with the wrong device type [console-for-block]
export const wrongStep = $(main, img);

// @ts-expect-error ifImpl branches of different device types [console-for-block]
export const mixedIf = ifImpl(Key.isXen, img, defaultConsole);

// @ts-expect-error matchImpl case for a value the key does not have [unknown-case]
export const badCase = matchImpl(kvKey, { crunch: img, ntfs: img });

// @ts-expect-error register takes jobs, not devices [device-for-job]
export const notJob = register('x', [img]);

// @ts-expect-error a key condition compares with a value of the key's type [key-value]
export const badCond = ifImpl(Key.is(kvKey, 'ntfs'), img, img);

// @ts-expect-error a typ is not an impl [typ-for-impl]
export const typNotImpl = main(console, img);

export const unusedJob = job;
export const declared = impl(block, { label: 'b', module: 'm', symbol: 'B' });
