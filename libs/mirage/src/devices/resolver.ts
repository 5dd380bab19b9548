import { Key } from '../key';
import { impl, type Impl } from '../impl';
import { typ } from '../typ';

/** The DNS resolver type (MirageOS `resolver`). */
export const resolver = typ('resolver', 'Resolver');

/** `--resolver`: the DNS server that `resolverDns` asks (MirageOS's default, Google's public resolver). */
export const resolverKey = Key.ipv4('resolver', {
  default: '8.8.8.8',
  stage: 'runtime',
  doc: 'The DNS server the resolver asks.',
});

/** `--resolver-port`: its port. */
export const resolverPortKey = Key.int('resolver-port', {
  default: 53,
  stage: 'runtime',
  doc: 'The UDP port of the DNS server the resolver asks.',
});

/** A stub resolver over the stack's UDP (MirageOS `resolver_dns stack`), asking --resolver on --resolver-port. */
export function resolverDns(stack: Impl<'stackv4'>): Impl<'resolver'> {
  return impl(resolver, {
    label: 'DNS resolver',
    module: '@mirage-ts/dns/resolver',
    symbol: 'DnsResolver',
    args: [stack, resolverKey, resolverPortKey],
  });
}
