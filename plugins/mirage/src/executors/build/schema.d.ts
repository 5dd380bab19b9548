/** Key flags of the unikernel (`--net=direct`) and target options; the target comes from `--target`. */
export type BuildExecutorOptions = Record<string, unknown>;
