import { console, defaultConsole, foreign, genericStackv4, Key, register, stackv4, tap0 } from '@mirage-ts/mirage';

// Main, exported by unikernel.ts, takes a console and an IPv4 stack (console @-> stackv4 @-> job).
const handler = foreign('Unikernel.Main', [console, stackv4]);

// The host's sockets with --net=socket, our own TCP/IP over tap0 with --net=direct.
const stack = genericStackv4(defaultConsole, tap0);

// The seed's ports, which the unikernel reads when it starts (./mir-stackv4 --udp-port=5353).
const udpPort = Key.int('udp-port', { default: 53, stage: 'runtime', doc: 'The UDP port to listen on.' });
const tcpPort = Key.int('tcp-port', { default: 8080, stage: 'runtime', doc: 'The TCP port to listen on.' });

export default register('stackv4', [handler(defaultConsole, stack)], { keys: [udpPort, tcpPort] });
