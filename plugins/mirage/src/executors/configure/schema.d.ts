/** Key flags of the unikernel (`--net=direct`); the target comes from `--target`. */
export type ConfigureExecutorOptions = Record<string, unknown>;
