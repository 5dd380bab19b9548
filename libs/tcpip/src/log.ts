import type { Console } from '@mirage-ts/types';

/** One log line; fire and forget, so logging never holds up a packet. */
export type Log = (line: string) => void;

export function consoleLog(console: Console): Log {
  return (line) => {
    console.log(line).catch(() => undefined);
  };
}

export const silentLog: Log = () => undefined;
