import { DOM0_COMMAND_MARK, DOMU_MARK, HARNESS_MARK } from './dom0-init';

/** One line of the serial port, sorted by who printed it. */
export type SerialLine =
  /** The domU's console; `domain` is set when the dom0 runs several (a scripted session). */
  | { readonly from: 'domU'; readonly text: string; readonly domain?: string }
  | { readonly from: 'harness'; readonly text: string }
  /** Output of a command the host asked dom0 to run (ping, nc...), by the command's number. */
  | { readonly from: 'dom0'; readonly text: string; readonly command: number }
  /** Xen, the dom0 kernel, or anything else on the port. */
  | { readonly from: 'other'; readonly text: string };

// `domU[name]| ` and `dom0[7]| `: the marks of a scripted session.
const NAMED_DOMU = /^domU\[([A-Za-z0-9_.-]+)\]\| /;
const COMMAND = new RegExp(`^${DOM0_COMMAND_MARK}\\[(\\d+)\\]\\| `);

/**
 * Sorts a line of QEMU's serial output. Xen prefixes dom0's console lines
 * with nothing but may interleave its own `(XEN)` lines, and the serial
 * port gives CRLF; both are taken off.
 */
export function classifySerialLine(raw: string): SerialLine {
  const text = raw.replace(/\r+$/, '').replace(/^\r+/, '');
  if (text.startsWith(DOMU_MARK)) return { from: 'domU', text: text.slice(DOMU_MARK.length).replace(/\r+$/, '') };
  const named = NAMED_DOMU.exec(text);
  if (named) return { from: 'domU', domain: named[1], text: text.slice(named[0].length).replace(/\r+$/, '') };
  const command = COMMAND.exec(text);
  if (command) return { from: 'dom0', command: Number(command[1]), text: text.slice(command[0].length) };
  if (text.startsWith(`${HARNESS_MARK} `)) return { from: 'harness', text: text.slice(HARNESS_MARK.length + 1) };
  return { from: 'other', text };
}

/** The mark a line of this kind is printed with (for streaming a session's lines as they came). */
export function serialMark(line: SerialLine): string {
  switch (line.from) {
    case 'domU':
      return line.domain === undefined ? DOMU_MARK : `domU[${line.domain}]| `;
    case 'dom0':
      return `${DOM0_COMMAND_MARK}[${line.command}]| `;
    case 'harness':
      return `${HARNESS_MARK} `;
    default:
      return '';
  }
}

/** Splits a stream into lines as chunks arrive, calling `onLine` for each complete one. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const p of parts) onLine(p);
    },
    end() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}
