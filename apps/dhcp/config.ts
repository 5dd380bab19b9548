import {
  clock,
  console,
  crunch,
  defaultClock,
  defaultConsole,
  foreign,
  Key,
  kv_ro,
  network,
  register,
  tap0,
} from '@mirage-ts/mirage';

// console @-> kv_ro @-> network @-> clock @-> job, as the skeleton's config.ml.
const main = foreign('Unikernel.Main', [console, kv_ro, network, clock]);

// dhcpd.conf is compiled into the unikernel.
const disk = crunch('files');

// The server's own address, which it answers ARP for (the skeleton's constant, now a key).
const ipaddr = Key.ipv4('ipaddr', { default: '192.168.1.5', stage: 'runtime', doc: "The DHCP server's own address." });

export default register('dhcp', [main(defaultConsole, disk, tap0, defaultClock)], { keys: [ipaddr] });
