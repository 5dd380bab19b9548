/** The image's size and whether to replace one; other options are the unikernel's keys. The target comes from `--target`. */
export interface DiskImageExecutorOptions {
  sectors?: number;
  sectorSize?: number;
  size?: string;
  force?: boolean;
  [key: string]: unknown;
}
