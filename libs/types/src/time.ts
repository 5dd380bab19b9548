/** Sleeping (MirageOS V1.TIME). Durations are in milliseconds, as everywhere in JavaScript. */
export interface Time {
  sleep(ms: number): Promise<void>;
}

/** Clocks (MirageOS MCLOCK/PCLOCK). */
export interface Clock {
  /** Monotonic nanoseconds since an arbitrary origin. */
  elapsedNs(): bigint;
  /** Wall-clock milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** Entropy (MirageOS RANDOM). */
export interface Random {
  generate(length: number): Uint8Array;
}
