import { console, defaultConsole, foreign, genericKvRo, Key, kv_ro, register } from '@mirage-ts/mirage';

// --kv_ro=crunch (the default) embeds t/, --kv_ro=fat reads it from fat1.img
// (`npx nx run kv_ro:fat-image` makes it), --kv_ro=archive from the tar image tar1.img
// (`npx nx run kv_ro:archive-image`), --kv_ro=direct reads the host's t/ on unix.
const disk = genericKvRo('t');

// console @-> kv_ro @-> kv_ro @-> job
const main = foreign('Unikernel.Main', [console, kv_ro, kv_ro]);

const count = Key.int('count', { default: 10, stage: 'runtime', doc: 'How many times to compare the two stores.' });

// The same device twice: one store, connected once.
export default register('kv_ro', [main(defaultConsole, disk, disk)], { keys: [count] });
