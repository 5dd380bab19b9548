import {
  conduitDirect,
  console,
  defaultConsole,
  directStackv4WithStaticIpv4,
  foreign,
  genericKvRo,
  http,
  httpServer,
  Key,
  kv_ro,
  register,
  tap0,
} from '@mirage-ts/mirage';

// The address is not built in: it is read when the unikernel starts, from
// --ip/--netmask/--gateway on unix and from the kernel command line in a VM
// image (ip=10.0.0.2 netmask=255.255.255.0 gateway=10.0.0.1, e.g. in the .xl
// extra line before --), as the seed's xen/static_website+ip does.
const ip = Key.ipv4('ip', { default: '10.0.0.2', stage: 'runtime', doc: 'The IPv4 address.' });
const netmask = Key.ipv4('netmask', { default: '255.255.255.0', stage: 'runtime', doc: 'The netmask.' });
const gateway = Key.ipv4('gateway', { default: '10.0.0.1', stage: 'runtime', doc: 'The default gateway.' });
const port = Key.int('port', { default: 80, stage: 'runtime', doc: 'The HTTP port.' });

// Our own TCP/IP over tap0 (a NIC in a VM), configured from those keys.
const stack = directStackv4WithStaticIpv4(defaultConsole, tap0, { address: ip, netmask, gateway });

const fs = genericKvRo('htdocs');

// console @-> kv_ro @-> http @-> job
const main = foreign('Dispatch.Main', [console, kv_ro, http]);

export default register('www', [main(defaultConsole, fs, httpServer(conduitDirect(stack)))], {
  keys: [ip, netmask, gateway, port],
});
