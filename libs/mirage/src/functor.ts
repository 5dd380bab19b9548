import { captureCallSite } from './call-site';
import { isImpl, makeImpl, type Impl } from './impl';
import { job, type Typ } from './typ';

type ImplsOf<Ts extends readonly Typ[]> = { -readonly [I in keyof Ts]: Ts[I] extends Typ<infer K> ? Impl<K> : never };

/**
 * A unikernel entry point waiting for its devices: `console @-> block @-> job`
 * is `[console, block]`. Apply it to all devices at once, `main(c, b)`, or one
 * at a time with `$`, `$($(main, c), b)`, as in MirageOS.
 */
export interface Functor<Ts extends readonly Typ[]> {
  (...devices: ImplsOf<Ts>): Impl<'job'>;
  readonly entry: string;
  readonly params: Ts;
}

type Applied<Rest extends readonly Typ[]> = Rest extends readonly [] ? Impl<'job'> : Functor<Rest>;

/**
 * `foreign('Unikernel.Main', [console, block])`: the entry `Main` exported by
 * `unikernel.ts`, taking a console and a block device.
 */
export function foreign<const Ts extends readonly Typ[]>(entry: string, params: Ts): Functor<Ts> {
  if (!/^[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*$/.test(entry)) {
    throw new Error(`foreign('${entry}'): name the module and its export, as in 'Unikernel.Main'`);
  }
  return functorOf(entry, params, []);
}

function functorOf<Ts extends readonly Typ[]>(
  entry: string,
  params: Ts,
  applied: readonly Impl<string>[],
): Functor<Ts> {
  const apply = (...devices: Impl<string>[]) => {
    // config.ts is bundled without type checking, so say here what tsc would.
    if (devices.length !== params.length) {
      throw new Error(
        `${entry} takes ${params.length + applied.length} devices but was given ${devices.length + applied.length}`,
      );
    }
    devices.forEach((device, i) => checkDevice(entry, params[i], device, applied.length + i));
    const args = [...applied, ...devices];
    return makeImpl(job, { kind: 'job', entry, params: args.map((a) => a.typ), args }, captureCallSite());
  };
  return Object.assign(apply, { entry, params, applied }) as unknown as Functor<Ts>;
}

function checkDevice(entry: string, expected: Typ, device: Impl<string> | undefined, index: number): void {
  if (!isImpl(device)) {
    throw new Error(`${entry}: device ${index + 1} is not a device implementation (expected a ${expected.name})`);
  }
  if (device.typ.name !== expected.name) {
    throw new Error(`${entry}: device ${index + 1} should be a ${expected.name}, but a ${device.typ.name} was given`);
  }
}

/** One step of application: `$(main, defaultConsole)` is `main $ default_console`. */
export function $<K extends string, const Rest extends readonly Typ[]>(
  functor: Functor<readonly [Typ<K>, ...Rest]>,
  device: Impl<K>,
): Applied<Rest> {
  const f = functor as unknown as { entry: string; params: readonly Typ[]; applied?: readonly Impl<string>[] };
  const [first, ...rest] = f.params;
  const done = f.applied?.length ?? 0;
  if (!first) {
    throw new Error(`${f.entry} takes ${done} devices but was given ${done + 1}`);
  }
  checkDevice(f.entry, first, device, done);
  const applied = [...(f.applied ?? []), device];
  if (rest.length === 0) {
    return makeImpl(
      job,
      { kind: 'job', entry: f.entry, params: applied.map((a) => a.typ), args: applied },
      captureCallSite(),
    ) as Applied<Rest>;
  }
  return functorOf(f.entry, rest, applied) as unknown as Applied<Rest>;
}
