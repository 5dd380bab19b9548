import { console, defaultConsole, foreign, Key, matchImpl, register } from '@mirage-ts/mirage';

// The 2015 lwt examples chose their unikernel with TARGET=heads1 ...; here it is a configure key.
const variant = Key.create('variant', {
  values: [
    'heads1',
    'heads2',
    'heads3',
    'timeout1',
    'timeout2',
    'echo_server1',
    'echo_server2',
    'int_server',
    'stream_server',
  ],
  default: 'heads1',
  doc: 'Which of the nine lwt unikernels to build.',
});
// Read when the unikernel starts: how long a "second" of the examples lasts, and when the endless ones stop.
const tickMs = Key.int('tick-ms', {
  default: 1000,
  stage: 'runtime',
  doc: "Milliseconds in one of the examples' seconds.",
});
const count = Key.int('count', {
  default: 0,
  stage: 'runtime',
  doc: 'Stop the endless variants after this many lines (0: never).',
});

const job = (entry: string) => foreign(entry, [console])(defaultConsole);

export default register(
  'lwt',
  [
    matchImpl(variant, {
      heads1: job('Unikernels.Heads1'),
      heads2: job('Unikernels.Heads2'),
      heads3: job('Unikernels.Heads3'),
      timeout1: job('Unikernels.Timeout1'),
      timeout2: job('Unikernels.Timeout2'),
      echo_server1: job('Unikernels.Echo_server1'),
      echo_server2: job('Mvar_unikernels.Echo_server2'),
      int_server: job('Mvar_unikernels.Int_server'),
      stream_server: job('Stream_server.Unikernel'),
    }),
  ],
  { keys: [variant, tickMs, count] },
);
