import { clock, console, defaultClock, defaultConsole, foreign, network, register, tap0 } from '@mirage-ts/mirage';

// Main takes a console, a network interface and a clock (console @-> network @-> clock @-> job)
// and builds Ethernet, ARP and IPv4 over the network itself.
const main = foreign('Unikernel.Main', [console, network, clock]);

export default register('ping', [main(defaultConsole, tap0, defaultClock)]);
