import { impl } from '../impl';
import { typ } from '../typ';

/** The time device type (MirageOS `time`): sleeping. */
export const time = typ('time', 'Time');

export const defaultTime = impl(time, {
  label: 'time',
  module: '@mirage-ts/time/node',
  symbol: 'NodeTime',
});

/** The clock device type (MirageOS `clock`): wall-clock and monotonic time. */
export const clock = typ('clock', 'Clock');

export const defaultClock = impl(clock, {
  label: 'clock',
  module: '@mirage-ts/time/clock',
  symbol: 'NodeClock',
});
