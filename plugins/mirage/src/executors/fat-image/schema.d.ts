export interface FatImageExecutorOptions {
  /** FAT type to write; by default the smallest that holds the data. */
  fatType?: 12 | 16 | 32;
}
