import { clock, console, defaultClock, defaultConsole, foreign, network, register, tap0 } from '@mirage-ts/mirage';

// Main builds Ethernet, ARP, IPv4, UDP and TCP itself over the network (console @-> network @-> clock @-> job).
const main = foreign('Unikernel.Main', [console, network, clock]);

export default register('ethifv4', [main(defaultConsole, tap0, defaultClock)]);
