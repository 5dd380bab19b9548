import { console, defaultConsole, foreign, genericStackv4, register, stackv4, tap0 } from '@mirage-ts/mirage';

// Main takes a console and an IPv4 stack (console @-> stackv4 @-> job).
const main = foreign('Unikernel.Main', [console, stackv4]);

// The host's sockets with --net=socket, our own TCP/IP over tap0 with --net=direct.
const stack = genericStackv4(defaultConsole, tap0);

export default register('network', [main(defaultConsole, stack)]);
