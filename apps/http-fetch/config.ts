import {
  conduit,
  conduitDirect,
  console,
  defaultConsole,
  foreign,
  genericStackv4,
  Key,
  register,
  resolver,
  resolverDns,
  tap0,
} from '@mirage-ts/mirage';

// console @-> resolver @-> conduit @-> job
const client = foreign('Unikernel.Client', [console, resolver, conduit]);

// The host's sockets with --net=socket, our own TCP/IP over tap0 with --net=direct;
// the resolver (asking --resolver, 8.8.8.8 by default) and the conduit share it.
const stack = genericStackv4(defaultConsole, tap0);

const uri = Key.string('uri', {
  default: 'http://anil.recoil.org',
  stage: 'runtime',
  doc: 'The page fetched; its host name is resolved through --resolver.',
});

export default register('http-fetch', [client(defaultConsole, resolverDns(stack), conduitDirect(stack))], {
  keys: [uri],
});
