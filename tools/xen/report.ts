import * as fs from 'node:fs';
import type { XenBoot } from './boot-under-xen';
import type { SerialLine } from './serial-lines';

/**
 * A log file of one boot's serial output, each line tagged with its source
 * and time, written as the lines arrive (a hung boot still leaves its log).
 */
export function serialLog(file: string): { onLine(line: SerialLine, atMs: number): void } {
  fs.writeFileSync(file, '');
  return {
    onLine(line, atMs) {
      const who =
        line.from === 'domU' && line.domain !== undefined
          ? `domU[${line.domain}]`
          : line.from === 'dom0'
            ? `dom0[${line.command}]`
            : line.from;
      fs.appendFileSync(file, `[${(atMs / 1000).toFixed(1).padStart(6)} s] ${who.padEnd(7)} ${line.text}\n`);
    },
  };
}

/** A few lines that say how a boot went, for a failing test's message. */
export function describeBoot(r: XenBoot, log?: string): string {
  const tail = r.lines.slice(-25).map((l) => `  ${l.from}: ${l.text}`);
  return [
    `QEMU ${r.timedOut ? 'was stopped after the time limit' : `exited with status ${r.status}`} after ${(r.wallMs / 1000).toFixed(1)} s`,
    `domU console: ${JSON.stringify(r.domu)}`,
    `dom0 init: ${JSON.stringify(r.harness)}`,
    ...(r.stderr.trim() ? [`QEMU stderr: ${r.stderr.trim()}`] : []),
    ...(log ? [`serial log: ${log}`] : []),
    'last serial lines:',
    ...tail,
  ].join('\n');
}
