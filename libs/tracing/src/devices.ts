import type { Tracer } from './tracer';

type Args = Readonly<Record<string, string | number | boolean>>;

/** Objects whose methods are worth timing: devices and what they hand out (a Tcpv4, a Flow), not data. */
function isTraceable(v: unknown): v is object {
  return (
    typeof v === 'object' &&
    v !== null &&
    !ArrayBuffer.isView(v) &&
    !(v instanceof ArrayBuffer) &&
    !Array.isArray(v) &&
    !(v instanceof Promise)
  );
}

/** What a finished call returned, in a few words: a Result's outcome, a read's size. */
function outcome(v: unknown): Args | undefined {
  if (typeof v !== 'object' || v === null || !('ok' in v)) return undefined;
  const r = v as { ok: boolean; value?: unknown; error?: { kind?: string } };
  if (!r.ok) return { ok: false, error: String(r.error?.kind ?? 'error') };
  return ArrayBuffer.isView(r.value) ? { ok: true, bytes: r.value.byteLength } : { ok: true };
}

/**
 * The device as the unikernel sees it, with every method call recorded as a
 * span named `label.method` (until its promise settles, for async ones).
 * Objects a call hands out (`stack.tcpv4()`, the Flow of a `connect`) are
 * wrapped the same way, and so are callbacks the device calls back (a frame
 * arriving, a connection accepted). Calls go to the real object, so its
 * private state is untouched.
 */
export function traceDevice<T extends object>(tracer: Tracer, label: string, device: T): T {
  const wrapped = new WeakMap<object, unknown>();
  const wrapValue = (name: string, v: unknown): unknown => {
    if (!isTraceable(v)) return v;
    const r = v as { ok?: unknown; value?: unknown };
    if (typeof r.ok === 'boolean' && r.ok && isTraceable(r.value)) return { ...r, value: wrap(name, r.value) };
    if (typeof r.ok === 'boolean') return v;
    return wrap(name, v);
  };
  const wrap = (name: string, target: object): object => {
    const known = wrapped.get(target);
    if (known) return known as object;
    const proxy = new Proxy(target, {
      get(t, prop) {
        const member: unknown = Reflect.get(t, prop, t);
        if (typeof member !== 'function' || typeof prop === 'symbol' || prop === 'constructor') return member;
        const call = `${name}.${prop}`;
        return (...args: unknown[]) => {
          const traced = args.map((a) =>
            typeof a === 'function' ? callback(`${call} callback`, a as (...b: unknown[]) => unknown) : a,
          );
          const span = tracer.begin('device', 'device', call);
          let result: unknown;
          try {
            result = (member as (...a: unknown[]) => unknown).apply(t, traced);
          } catch (e) {
            span.end({ threw: e instanceof Error ? e.message : String(e) });
            throw e;
          }
          if (result instanceof Promise) {
            return result.then(
              (v: unknown) => {
                span.end(outcome(v));
                return wrapValue(call, v);
              },
              (e: unknown) => {
                span.end({ rejected: e instanceof Error ? e.message : String(e) });
                throw e;
              },
            );
          }
          span.end(outcome(result));
          return wrapValue(`${call}()`, result);
        };
      },
    });
    wrapped.set(target, proxy);
    return proxy;
  };
  const callback =
    (name: string, f: (...a: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      const span = tracer.begin('device', 'callback', name);
      try {
        return f(...args.map((a) => wrapValue(name, a)));
      } finally {
        span.end();
      }
    };
  return wrap(label, device) as T;
}
