import {
  console,
  defaultConsole,
  directStackv4,
  foreign,
  ifImpl,
  Key,
  noop,
  register,
  socketStackv4,
  stackv4,
  tap0,
} from '@mirage-ts/mirage';

// console @-> stackv4 @-> job: the unikernel makes its conduit and HTTP server itself.
const handler = foreign('Unikernel.Main', [console, stackv4]);

// Our own TCP/IP over tap0 (--ipv4, 10.0.0.2/24 by default).
const direct = handler(defaultConsole, directStackv4(defaultConsole, tap0, { dhcp: false }));

// Only where there is a host stack besides ours (not on xen): the same handler on it, every address.
const socket = ifImpl(Key.isXen, noop, handler(defaultConsole, socketStackv4(defaultConsole, ['0.0.0.0'])));

const port = Key.int('port', {
  default: 80,
  stage: 'runtime',
  doc: 'The HTTP port (80 needs root on the socket stack).',
});

export default register('conduit_server', [direct, socket], { keys: [port] });
