import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';

// Main, exported by unikernel.ts, takes one device: a console (console @-> job).
const main = foreign('Unikernel.Main', [console]);

export default register('console', [main(defaultConsole)]);
