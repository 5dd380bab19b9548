export interface DescribeExecutorOptions {
  /** Print the DOT source instead of the text description. */
  dot?: boolean;
  /** The unikernel's keys (`--net=direct`...). */
  [key: string]: unknown;
}
