import {
  console,
  crunch,
  defaultConsole,
  foreign,
  genericStackv4,
  Key,
  kv_ro,
  register,
  resolver,
  resolverDns,
  stackv4,
  tap0,
} from '@mirage-ts/mirage';

// console @-> kv_ro @-> stackv4 @-> resolver @-> job
const handler = foreign('Unikernel.Main', [console, kv_ro, stackv4, resolver]);

// test.zone, built into the unikernel.
const data = crunch('data');

// The host's sockets with --net=socket, our own TCP/IP over tap0 with --net=direct; the resolver shares the stack.
const stack = genericStackv4(defaultConsole, tap0);

const port = Key.int('port', {
  default: 5354,
  stage: 'runtime',
  doc: 'The port the DNS server answers on (UDP and TCP).',
});
const hostname = Key.string('hostname', {
  default: 'dark.recoil.org',
  stage: 'runtime',
  doc: 'The name the resolver looks up through --resolver after 3 seconds.',
});
const logQueries = Key.bool('log-queries', {
  default: true,
  stage: 'runtime',
  doc: 'Print "got udp" for each query, as the skeleton does (off for benchmarks).',
});

export default register('dns', [handler(defaultConsole, data, stack, resolverDns(stack))], {
  keys: [port, hostname, logQueries],
});
