/** Resolves after `ms` milliseconds. Pure: a unikernel may import it directly. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
