import type { NetError } from './network';
import type { Result } from './result';

export type ResolverError =
  | NetError
  /** The server answered that the name does not exist (NXDOMAIN). */
  | { readonly kind: 'not-found'; readonly name: string; readonly message: string }
  /** The server failed, refused, or sent something that is not an answer to the question. */
  | { readonly kind: 'server-failure'; readonly name: string; readonly message: string };

/**
 * A DNS stub resolver (MirageOS 2.7's `Resolver`, `Dns_resolver.gethostbyname`):
 * asks one configured server and follows CNAMEs in its answer.
 */
export interface Resolver {
  /** The IPv4 addresses of `name`, in the server's order; an empty list when the name has no A record. */
  gethostbyname(name: string): Promise<Result<string[], ResolverError>>;
  disconnect(): Promise<void>;
}
