import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';

// Main takes only a console (console @-> job); its pages come from @mirage-ts/io-page.
const main = foreign('Unikernel.Main', [console]);

export default register('io_page', [main(defaultConsole)]);
