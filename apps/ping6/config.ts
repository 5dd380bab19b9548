import { clock, console, defaultClock, defaultConsole, foreign, Key, network, register, tap0 } from '@mirage-ts/mirage';

// Main takes a console, a network interface and a clock (console @-> network @-> clock @-> job)
// and builds Ethernet and IPv6 over the network itself.
const main = foreign('Unikernel.Main', [console, network, clock]);

// The 2015 example's ipaddr and gateways, read when the unikernel starts (./mir-ping6 --ipv6=fc00::5).
const address = Key.ipv6('ipv6', {
  default: 'fc00::2',
  stage: 'runtime',
  doc: 'The IPv6 address (/64 unless given).',
});
const gateways = Key.ipv6List('ipv6-gateways', {
  default: 'fc00::1',
  stage: 'runtime',
  doc: 'Default routers, separated by commas.',
});
// Not in the 2015 example: also take addresses from router advertisements (SLAAC).
const slaac = Key.bool('slaac', { default: false, stage: 'runtime', doc: 'Form addresses from advertised prefixes.' });

export default register('ping6', [main(defaultConsole, tap0, defaultClock)], { keys: [address, gateways, slaac] });
