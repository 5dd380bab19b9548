/**
 * Boot milestones of a VM image, printed on the console when the kernel
 * command line carries `mirage_trace=1` (`MIRAGE_TRACE=1` for the launcher
 * and `nx run APP:run --target=qemu`): `mirage-trace: NAME SECONDS`, the
 * seconds since the guest kernel started (/proc/uptime). The image's /init
 * prints the first four, the unikernel's runtime (`traceBootMilestone` in
 * @mirage-ts/mirage) the last, as main.js starts.
 */
export const BOOT_TRACE_PREFIX = 'mirage-trace:';

/** In boot order: /init started, boot modules loaded, root disk mounted, Node started, main.js running. */
export const BOOT_TRACE_STEPS = ['init', 'modules', 'root', 'node', 'main'] as const;
export type BootTraceStep = (typeof BOOT_TRACE_STEPS)[number];

export interface BootMilestone {
  readonly step: string;
  /** Seconds since the guest kernel started. */
  readonly uptime: number;
}

/** The milestones found in console output, in the order printed. */
export function parseBootTrace(output: string): BootMilestone[] {
  const out: BootMilestone[] = [];
  const line = new RegExp(`^${BOOT_TRACE_PREFIX} (\\S+) (\\d+(?:\\.\\d+)?)\\r?$`, 'gm');
  for (let m = line.exec(output); m; m = line.exec(output)) out.push({ step: m[1], uptime: Number(m[2]) });
  return out;
}
