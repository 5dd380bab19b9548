import { DOMU_MARK, HARNESS_MARK } from './dom0-init';

/** One line of the serial port, sorted by who printed it. */
export type SerialLine =
  | { readonly from: 'domU'; readonly text: string }
  | { readonly from: 'harness'; readonly text: string }
  /** Xen, the dom0 kernel, or anything else on the port. */
  | { readonly from: 'other'; readonly text: string };

/**
 * Sorts a line of QEMU's serial output. Xen prefixes dom0's console lines
 * with nothing but may interleave its own `(XEN)` lines, and the serial
 * port gives CRLF; both are taken off.
 */
export function classifySerialLine(raw: string): SerialLine {
  const text = raw.replace(/\r+$/, '').replace(/^\r+/, '');
  if (text.startsWith(DOMU_MARK)) return { from: 'domU', text: text.slice(DOMU_MARK.length).replace(/\r+$/, '') };
  if (text.startsWith(`${HARNESS_MARK} `)) return { from: 'harness', text: text.slice(HARNESS_MARK.length + 1) };
  return { from: 'other', text };
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
