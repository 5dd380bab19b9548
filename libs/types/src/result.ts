/**
 * Device operations report failure as values, as MirageOS's signatures do:
 * the caller has to look at `ok` before it can reach the value, so an
 * out-of-range sector or a closed device cannot go unnoticed.
 */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** Errors every device can report. */
export type DeviceError =
  { readonly kind: 'disconnected'; readonly message: string } | { readonly kind: 'io'; readonly message: string };
