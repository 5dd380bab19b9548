import { impl } from '../impl';
import { typ } from '../typ';

/** The time device type (MirageOS `time`): sleeping. */
export const time = typ('time', 'Time');

export const defaultTime = impl(time, {
  label: 'time',
  module: '@mirage-ts/time/node',
  symbol: 'NodeTime',
});
