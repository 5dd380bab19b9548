import { impl, value, type Impl } from '../impl';
import { typ } from '../typ';

/** The conduit type (MirageOS `conduit`): connections over a stack, plain or TLS. */
export const conduit = typ('conduit', 'Conduit');

/** The HTTP server type (MirageOS `http`). */
export const http = typ('http', 'Http');

export interface ConduitDirectOptions {
  /** Whether TLS endpoints are served (MirageOS `~tls:true`); plain TCP always is. */
  readonly tls?: boolean;
}

/**
 * Connections over any IPv4 stack (MirageOS `conduit_direct ~tls stack`):
 * TCP, and with `{ tls: true }` TLS 1.2/1.3 through Node's tls (OpenSSL).
 */
export function conduitDirect(stack: Impl<'stackv4'>, options: ConduitDirectOptions = {}): Impl<'conduit'> {
  return impl(conduit, {
    label: options.tls ? 'conduit (TCP and TLS)' : 'conduit (TCP)',
    module: '@mirage-ts/conduit/direct',
    symbol: 'ConduitDirect',
    args: [stack, value(options.tls ?? false)],
  });
}

/** An HTTP/1.1 server over a conduit (MirageOS `http_server conduit`), Node's own http parser. */
export function httpServer(c: Impl<'conduit'>): Impl<'http'> {
  return impl(http, { label: 'HTTP server', module: '@mirage-ts/http/server', symbol: 'HttpServer', args: [c] });
}
