/**
 * Wrong (and right) unikernels for the analysis catalogue test: each one
 * is a config.ts + unikernel.ts written into a scratch workspace at test
 * time (a config.ts in the repository would become an Nx project).
 */
export interface CatalogueApp {
  /** Folder and project name under apps/. */
  readonly name: string;
  readonly what: string;
  readonly config: string;
  readonly unikernel?: string;
  readonly target?: 'unix' | 'xen' | 'qemu';
  readonly options?: Readonly<Record<string, unknown>>;
  /** The exact diagnostic (location, message and fix); absent when the app must build. */
  readonly error?: string;
}

const consoleUnikernel = `import type { Console } from '@mirage-ts/types';

export class Main {
  async start(c: Console): Promise<void> {
    await c.log('hello');
  }
}
`;

const consoleConfig = (name: string) => `import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';

const main = foreign('Unikernel.Main', [console]);

export default register('${name}', [main(defaultConsole)]);
`;

const withImpl = (
  name: string,
  spec: string,
  typ = 'console',
) => `import { block, console, foreign, impl, register } from '@mirage-ts/mirage';

const main = foreign('Unikernel.Main', [${typ}]);
const device = impl(${typ}, ${spec});

export default register('${name}', [main(device)]);
`;

export const WRONG_APPS: readonly CatalogueApp[] = [
  {
    name: 'swapped',
    what: 'devices swapped between config.ts and start',
    config: `import { block, console, defaultConsole, foreign, register, scratchBlock } from '@mirage-ts/mirage';

const main = foreign('Unikernel.Main', [console, block]);
const disk = scratchBlock(8);

export default register('swapped', [main(defaultConsole, disk)]);
`,
    unikernel: `import type { Block, Console } from '@mirage-ts/types';

export class Main {
  async start(b: Block, c: Console): Promise<void> {
    await c.log('hello');
  }
}
`,
    error:
      "apps/swapped/unikernel.ts:4:15 - error: parameter 'b' of Main.start expects Block, but config.ts:6 passes defaultConsole (Console)\n  fix: declare 'b: Console' to take the device config.ts passes there, or pass a Block there",
  },
  {
    name: 'too_few',
    what: 'start takes more devices than config.ts passes',
    config: consoleConfig('too_few'),
    unikernel: `import type { Block, Console } from '@mirage-ts/types';

export class Main {
  async start(c: Console, disk: Block): Promise<void> {
    await c.log('hello');
  }
}
`,
    error:
      "apps/too_few/unikernel.ts:4:9 - error: Main.start takes 2 devices (c: Console, disk: Block), but config.ts:5 passes 1: defaultConsole\n  fix: pass a device for 'disk' in foreign(...) and its application in config.ts, or remove that parameter",
  },
  {
    name: 'too_many',
    what: 'config.ts passes more devices than start takes',
    config: `import { block, console, defaultConsole, foreign, register, scratchBlock } from '@mirage-ts/mirage';

const main = foreign('Unikernel.Main', [console, block]);

export default register('too_many', [main(defaultConsole, scratchBlock(8))]);
`,
    unikernel: consoleUnikernel,
    error:
      'apps/too_many/unikernel.ts:4:9 - error: Main.start takes 1 device (c: Console), but config.ts:5 passes 2: defaultConsole, scratchBlock(8)\n  fix: add a parameter to Main.start for scratchBlock(8) (Block), or remove it from foreign(...) and its application in config.ts',
  },
  {
    name: 'no_start',
    what: 'the entry has no start',
    config: consoleConfig('no_start'),
    unikernel: `import type { Console } from '@mirage-ts/types';

export class Main {
  async run(c: Console): Promise<void> {
    await c.log('hello');
  }
}
`,
    error:
      "apps/no_start/unikernel.ts:3:14 - error: Main has no start method, so the unikernel has nothing to run\n  fix: add one that takes the devices of foreign('Unikernel.Main') at config.ts:3: async start(...): Promise<void> { ... }",
  },
  {
    name: 'not_async',
    what: 'start does not return a Promise',
    config: consoleConfig('not_async'),
    unikernel: `import type { Console } from '@mirage-ts/types';

export class Main {
  start(c: Console): void {
    void c.log('hello');
  }
}
`,
    error:
      'apps/not_async/unikernel.ts:4:3 - error: Main.start returns void, but the unikernel ends when the Promise that start returns settles\n  fix: declare it async: async start(...): Promise<void>',
  },
  {
    name: 'no_entry',
    what: 'unikernel.ts does not export the entry',
    config: consoleConfig('no_entry'),
    unikernel: `import type { Console } from '@mirage-ts/types';

export class Mian {
  async start(c: Console): Promise<void> {
    await c.log('hello');
  }
}
`,
    error:
      "apps/no_entry/config.ts:3:33 - error: unikernel.ts does not export Main, which foreign('Unikernel.Main') names\n  fix: correct the entry to 'Unikernel.Mian' (unikernel.ts exports Mian), or export Main from apps/no_entry/unikernel.ts",
  },
  {
    name: 'entry_typo',
    what: 'a typo in the entry name of foreign',
    config: `import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';

const main = foreign('Unikernel.Mian', [console]);

export default register('entry_typo', [main(defaultConsole)]);
`,
    unikernel: consoleUnikernel,
    error:
      "apps/entry_typo/config.ts:3:33 - error: unikernel.ts does not export Mian, which foreign('Unikernel.Mian') names\n  fix: correct the entry to 'Unikernel.Main' (unikernel.ts exports Main), or export Mian from apps/entry_typo/unikernel.ts",
  },
  {
    name: 'no_export',
    what: 'unikernel.ts exports nothing like the entry',
    config: consoleConfig('no_export').replace('Unikernel.Main', 'Unikernel.Hello'),
    unikernel: `import type { Console } from '@mirage-ts/types';

export async function run(c: Console): Promise<void> {
  await c.log('hello');
}
`,
    error:
      "apps/no_export/config.ts:3:33 - error: unikernel.ts does not export Hello, which foreign('Unikernel.Hello') names\n  fix: export it from apps/no_export/unikernel.ts: export class Hello { async start(...) { ... } }, or correct the entry in foreign(...)",
  },
  {
    name: 'no_module',
    what: 'foreign names a module that does not exist',
    config: `import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';

const main = foreign('Unikernal.Main', [console]);

export default register('no_module', [main(defaultConsole)]);
`,
    unikernel: consoleUnikernel,
    error:
      "apps/no_module/config.ts:5:39 - error: foreign('Unikernal.Main') names module Unikernal, but apps/no_module/unikernal.ts does not exist\n  fix: create unikernal.ts exporting Main, or correct the name in foreign(...)",
  },
  {
    name: 'wrong_type',
    what: 'a parameter typed with something no device is',
    config: consoleConfig('wrong_type'),
    unikernel: `export class Main {
  async start(name: string): Promise<void> {
    process.stdout.write(name);
  }
}
`,
    error:
      "apps/wrong_type/unikernel.ts:2:15 - error: parameter 'name' of Main.start expects string, but config.ts:5 passes defaultConsole (Console)\n  fix: declare 'name: Console' to take the device config.ts passes there, or pass a string there",
  },
  {
    name: 'unknown_impl',
    what: 'an implementation module that does not exist',
    config: withImpl(
      'unknown_impl',
      `{ label: 'fancy console', module: '@mirage-ts/fancy/console', symbol: 'FancyConsole' }`,
    ),
    unikernel: consoleUnikernel,
    error:
      "apps/unknown_impl/config.ts:4:16 - error: fancy console is not available: its module '@mirage-ts/fancy/console' is not in this workspace\n  fix: build with another implementation, or add the library that provides it",
  },
  {
    name: 'unknown_symbol',
    what: 'an implementation module that does not export the class',
    config: withImpl('unknown_symbol', `{ label: 'beeper', module: '@mirage-ts/scratch/beeper', symbol: 'Beep' }`),
    unikernel: consoleUnikernel,
    error:
      'apps/unknown_symbol/config.ts:4:16 - error: @mirage-ts/scratch/beeper does not export Beep, which beeper names\n  fix: export class Beep from libs/scratch/src/beeper.ts, or correct symbol: in impl(...)',
  },
  {
    name: 'missing_method',
    what: 'an implementation that lacks methods of its signature',
    config: withImpl('missing_method', `{ label: 'beeper', module: '@mirage-ts/scratch/beeper', symbol: 'Beeper' }`),
    unikernel: consoleUnikernel,
    error:
      'apps/missing_method/config.ts:4:16 - error: Beeper from @mirage-ts/scratch/beeper does not implement Console: it lacks write, read and disconnect\n  fix: plug in an implementation of Console, or complete Beeper at libs/scratch/src/beeper.ts:2:14',
  },
  {
    name: 'no_connect',
    what: 'an implementation without a static connect',
    config: withImpl(
      'no_connect',
      `{ label: 'silent console', module: '@mirage-ts/scratch/no-connect', symbol: 'NoConnectConsole' }`,
    ),
    unikernel: consoleUnikernel,
    error:
      'apps/no_connect/config.ts:4:16 - error: NoConnectConsole (@mirage-ts/scratch/no-connect) has no static connect(...), so silent console cannot be connected\n  fix: add static async connect(...): Promise<NoConnectConsole> to NoConnectConsole at libs/scratch/src/no-connect.ts:4:14',
  },
  {
    name: 'connect_arity',
    what: 'connect is given fewer arguments than it takes',
    config: withImpl(
      'connect_arity',
      `{ label: 'memory block', module: '@mirage-ts/scratch/memory-block', symbol: 'MemoryBlock' }`,
      'block',
    ),
    unikernel: `import type { Block } from '@mirage-ts/types';

export class Main {
  async start(b: Block): Promise<void> {
    await b.flush();
  }
}
`,
    error:
      'apps/connect_arity/config.ts:4:16 - error: MemoryBlock.connect takes 1 argument, but memory block passes 0\n  fix: give impl(...) the args that MemoryBlock.connect(sectors) expects, in order',
  },
  {
    name: 'connect_device',
    what: 'connect is given a device where it takes a plain value',
    config: withImpl(
      'connect_device',
      `{ label: 'memory block', module: '@mirage-ts/scratch/memory-block', symbol: 'MemoryBlock', args: [defaultConsole] }`,
      'block',
    ).replace('{ block,', '{ block, defaultConsole,'),
    unikernel: `import type { Block } from '@mirage-ts/types';

export class Main {
  async start(b: Block): Promise<void> {
    await b.flush();
  }
}
`,
    error:
      "apps/connect_device/config.ts:4:16 - error: parameter 'sectors' of MemoryBlock.connect expects number, but memory block passes console (Console)\n  fix: give impl(...) the args that MemoryBlock.connect(sectors) expects, in order",
  },
  {
    name: 'key_domain',
    what: 'a key value outside its domain',
    config: `import { console, defaultConsole, foreign, Key, matchImpl, register } from '@mirage-ts/mirage';

const mode = Key.create('mode', { values: ['slow', 'quick'], default: 'slow' });
const main = foreign('Unikernel.Main', [console]);

export default register('key_domain', [main(matchImpl(mode, { slow: defaultConsole, quick: defaultConsole }))]);
`,
    unikernel: consoleUnikernel,
    options: { mode: 'fast' },
    error:
      "apps/key_domain/config.ts:3:25 - error: 'fast' is not a valid value for --mode: expected one of slow, quick\n  fix: pass --mode=<one of slow, quick>",
  },
  {
    name: 'unknown_key',
    what: 'a flag that is no key of the unikernel',
    config: consoleConfig('unknown_key'),
    unikernel: consoleUnikernel,
    options: { colour: 'red' },
    error:
      'apps/unknown_key/config.ts:5:16 - error: unknown option --colour: the unikernel registered at apps/unknown_key/config.ts declares no such key\n  fix: this unikernel takes no keys besides --target=unix|xen|qemu',
  },
  {
    name: 'runtime_choice',
    what: 'a run-time key used to choose an implementation',
    config: `import { console, defaultConsole, foreign, Key, matchImpl, register } from '@mirage-ts/mirage';

const mode = Key.create('mode', { values: ['slow', 'quick'], default: 'slow', stage: 'runtime' });
const main = foreign('Unikernel.Main', [console]);

export default register('runtime_choice', [main(matchImpl(mode, { slow: defaultConsole, quick: defaultConsole }))]);
`,
    unikernel: consoleUnikernel,
    error:
      "apps/runtime_choice/config.ts:6:49 - error: key --mode is read at run time, so it cannot choose an implementation\n  fix: declare it with stage: 'configure', or choose with a configure-time key",
  },
  {
    name: 'host_dir_on_xen',
    what: 'a device not available for the target (a host folder on xen)',
    config: `import { console, defaultConsole, directKvRo, foreign, kv_ro, register } from '@mirage-ts/mirage';

const main = foreign('Unikernel.Main', [console, kv_ro]);

export default register('host_dir_on_xen', [main(defaultConsole, directKvRo('files'))]);
`,
    unikernel: `import type { Console, KvRo } from '@mirage-ts/types';

export class Main {
  async start(c: Console, kv: KvRo): Promise<void> {
    await kv.get('a');
    await c.log('read');
  }
}
`,
    target: 'xen',
    error:
      'apps/host_dir_on_xen/config.ts:5:66 - error: host directory files is not available for target xen (it works on unix)\n  fix: build with --target=unix, or choose another kv_ro implementation for xen, e.g. with ifImpl(Key.isXen, ..., host directory files)',
  },
  {
    name: 'two_registrations',
    what: 'a config.ts that registers twice',
    config: `import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';

const main = foreign('Unikernel.Main', [console]);

export const other = register('other', [main(defaultConsole)]);
export default register('two_registrations', [main(defaultConsole)]);
`,
    unikernel: consoleUnikernel,
    error:
      "apps/two_registrations/config.ts:6:16 - error: register('two_registrations'): config.ts already registers 'other' at apps/two_registrations/config.ts:5:22, and only its default export is built\n  fix: register one unikernel per config.ts: give both jobs to one register(name, [job1, job2]), or move this one to its own app folder",
  },
  {
    name: 'imports_impl',
    what: 'a unikernel that imports an implementation',
    config: consoleConfig('imports_impl'),
    unikernel: `import { StdioConsole } from '@mirage-ts/console/stdio';
import type { Console } from '@mirage-ts/types';

export class Main {
  async start(c: Console): Promise<void> {
    const other = await StdioConsole.connect();
    await other.log('hello');
    await c.log('hello');
  }
}
`,
    error:
      "apps/imports_impl/unikernel.ts:1:1 - error: unikernel.ts imports @mirage-ts/console/stdio, a device implementation; a unikernel sees its devices only through start's parameters\n  fix: remove the import, take the device as a parameter of start typed with its signature from @mirage-ts/types, and choose the implementation in config.ts",
  },
  {
    name: 'no_default',
    what: 'a config.ts that exports nothing',
    config: `import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';

const main = foreign('Unikernel.Main', [console]);
register('no_default', [main(defaultConsole)]);
`,
    unikernel: consoleUnikernel,
    error:
      "apps/no_default/config.ts - error: apps/no_default/config.ts has no default export\n  fix: end it with: export default register('no_default', [main(defaultConsole)]);",
  },
];

/** Shapes and types that must be accepted. */
export const RIGHT_APPS: readonly CatalogueApp[] = [
  {
    name: 'narrower',
    what: 'a parameter typed with a narrower interface the device satisfies',
    config: consoleConfig('narrower'),
    unikernel: `export class Main {
  async start(out: { log(line: string): Promise<void> }): Promise<void> {
    await out.log('hello');
  }
}
`,
  },
  {
    name: 'static_start',
    what: 'a class with a static start',
    config: consoleConfig('static_start'),
    unikernel: `import type { Console } from '@mirage-ts/types';

export class Main {
  static async start(c: Console): Promise<void> {
    await c.log('hello');
  }
}
`,
  },
  {
    name: 'object_entry',
    what: 'an object with start',
    config: consoleConfig('object_entry'),
    unikernel: `import type { Console } from '@mirage-ts/types';

export const Main = {
  async start(c: Console): Promise<void> {
    await c.log('hello');
  },
};
`,
  },
  {
    name: 'function_entry',
    what: 'a function that is the start itself',
    config: consoleConfig('function_entry'),
    unikernel: `import type { Console } from '@mirage-ts/types';

export async function Main(c: Console): Promise<void> {
  await c.log('hello');
}
`,
  },
  {
    name: 'two_devices',
    what: 'two devices in order, one from the DSL built with a value',
    config: `import { block, console, defaultConsole, foreign, register, scratchBlock } from '@mirage-ts/mirage';

const main = foreign('Unikernel.Main', [console, block]);

export default register('two_devices', [main(defaultConsole, scratchBlock(8))]);
`,
    unikernel: `import type { Block, Console } from '@mirage-ts/types';

export class Main {
  async start(c: Console, b: Block): Promise<void> {
    const info = await b.getInfo();
    await c.log(String(info.sizeSectors));
  }
}
`,
  },
];
