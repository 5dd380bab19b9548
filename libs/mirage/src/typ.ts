/**
 * A device type (functoria's `typ`): the name is what TypeScript compares,
 * so an `Impl<'console'>` can never be passed where an `Impl<'block'>` is due.
 * `signature` names the interface in @mirage-ts/types that a unikernel's
 * `start` parameter must accept.
 */
export interface Typ<K extends string = string> {
  readonly __mirage: 'typ';
  readonly name: K;
  readonly signature: string;
}

export function typ<K extends string>(name: K, signature: string): Typ<K> {
  return Object.freeze({ __mirage: 'typ' as const, name, signature });
}

/** What a registered application is: the end of every `foreign` chain. */
export const job = typ('job', 'Job');
export type Job = typeof job;
