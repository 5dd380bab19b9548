import {
  console,
  defaultConsole,
  defaultXenControl,
  foreign,
  genericStackv4,
  Key,
  register,
  stackv4,
  tap0,
  xenControl,
} from '@mirage-ts/mirage';

// The 2015 guest agent (console @-> job) reached xenstore through OS.Xs; here the toolstack's requests come as a
// device, Xen only as the 2015 example was (building for another target stops at configure and says so), and a
// stack serves an echo port, to show a connection living through xl save / xl restore.
const main = foreign('Unikernel.Main', [console, xenControl, stackv4]);

// Our own TCP/IP on the domain's vif (--net=direct by default in a VM image), on 10.0.0.2/24 unless --ipv4 says.
const stack = genericStackv4(defaultConsole, tap0);

const echoPort = Key.int('echo-port', { default: 7, stage: 'runtime', doc: 'The TCP port that echoes what it reads.' });

export default register('suspend', [main(defaultConsole, defaultXenControl, stack)], { keys: [echoPort] });
