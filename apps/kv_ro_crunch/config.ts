import { console, crunch, defaultConsole, foreign, Key, kv_ro, register } from '@mirage-ts/mirage';

// console @-> kv_ro @-> kv_ro @-> job
const main = foreign('Unikernel.Main', [console, kv_ro, kv_ro]);

// Two crunch calls are two stores, each its own module (static1.ts, static2.ts).
const disk1 = crunch('t');
const disk2 = crunch('t');

const count = Key.int('count', { default: 10, stage: 'runtime', doc: 'How many times to compare the two stores.' });

export default register('kv_ro', [main(defaultConsole, disk1, disk2)], { keys: [count] });
