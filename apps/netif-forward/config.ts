import { console, defaultConsole, foreign, netif, network, register } from '@mirage-ts/mirage';

// Main takes a console and two network interfaces (console @-> network @-> network @-> job).
const main = foreign('Unikernel.Main', [console, network, network]);

// netif('1') and netif('2') are the taps tap1 and tap2 on unix (--interface-1, --interface-2), eth0 and eth1 in a VM.
export default register('netif-forward', [main(defaultConsole, netif('1'), netif('2'))]);
