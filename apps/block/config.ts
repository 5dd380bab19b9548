import { block, blockOfFile, console, defaultConsole, foreign, ifImpl, Key, register } from '@mirage-ts/mirage';

// Main, exported by unikernel.ts, takes a console and a block device (console @-> block @-> job).
const main = foreign('Unikernel.Main', [console, block]);

// On xen the disk is the VM's; elsewhere it is disk.img beside this file
// (`npx nx run block:disk-image` creates it, and so does the run step).
const img = ifImpl(Key.isXen, blockOfFile('xvda1'), blockOfFile('disk.img'));

export default register('block_test', [main(defaultConsole, img)]);
