/** The unikernel's keys; run-time ones are passed to it. The target comes from `--target`. */
export type RunExecutorOptions = Record<string, unknown>;
