/**
 * Run-time key values for the unikernel itself (MirageOS's `Key_gen`): a key
 * that config.ts lists in `register(name, jobs, { keys: [...] })` and that no
 * device takes is read here, e.g. `KeyGen.int('udp-port')`. The generated
 * main.ts publishes the values, parsed from the command line, before any job
 * starts. Importing this module does nothing else, so a unikernel may use it.
 */
import type { KeyValue } from './key-values';

// A global, not a module variable: the values must be the same object however
// many copies of this module a bundle ends up with.
const STORE = Symbol.for('mirage-ts.runtime-keys');
type Holder = { [STORE]?: Readonly<Record<string, KeyValue>> };

/** Called by the generated main.ts. */
export function publishKeys(values: Readonly<Record<string, KeyValue>>): void {
  (globalThis as Holder)[STORE] = Object.freeze({ ...values });
}

function read(name: string, type: 'number' | 'string' | 'boolean'): KeyValue {
  const values = (globalThis as Holder)[STORE];
  if (values === undefined) {
    throw new Error(
      `run-time key --${name} read before main.ts published the keys: read keys in start(), not when the module loads`,
    );
  }
  if (!(name in values)) {
    throw new Error(`run-time key --${name} is not declared: add it to register(..., { keys: [...] }) in config.ts`);
  }
  const v = values[name];
  if (typeof v !== type) throw new Error(`run-time key --${name} is a ${typeof v}, not a ${type}`);
  return v;
}

export const KeyGen = {
  int: (name: string): number => read(name, 'number') as number,
  string: (name: string): string => read(name, 'string') as string,
  bool: (name: string): boolean => read(name, 'boolean') as boolean,
};
