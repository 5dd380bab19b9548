/** The targets a unikernel can be built for. */
export const TARGETS = ['unix', 'xen', 'qemu'] as const;
export type Target = (typeof TARGETS)[number];

export function isTarget(value: unknown): value is Target {
  return typeof value === 'string' && (TARGETS as readonly string[]).includes(value);
}
