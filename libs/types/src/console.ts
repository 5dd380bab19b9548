import type { DeviceError, Result } from './result';

/** A text console (MirageOS V1.CONSOLE). */
export interface Console {
  /** Writes `line` followed by a newline. */
  log(line: string): Promise<void>;
  /** Writes raw bytes or text without adding a newline. */
  write(data: Uint8Array | string): Promise<Result<void, DeviceError>>;
  /** Reads the next chunk of input; `'eof'` once input has ended. */
  read(): Promise<Result<Uint8Array | 'eof', DeviceError>>;
  disconnect(): Promise<void>;
}
