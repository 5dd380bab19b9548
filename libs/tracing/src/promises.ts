import { createHook } from 'node:async_hooks';
import type { Span, Tracer } from './tracer';

/**
 * Records every promise from its creation until it settles (or is collected
 * unsettled), as Lwt threads were in MirageOS's traces, through Node's
 * async_hooks. Returns what turns it off.
 */
export function tracePromises(tracer: Tracer): () => void {
  const open = new Map<number, Span>();
  const hook = createHook({
    init(asyncId, type, triggerAsyncId) {
      if (type !== 'PROMISE') return;
      const span = tracer.begin('promise', 'promise', 'Promise');
      open.set(asyncId, {
        end: (args) => span.end({ asyncId, triggerAsyncId, ...args }),
      });
    },
    promiseResolve(asyncId) {
      open.get(asyncId)?.end();
      open.delete(asyncId);
    },
    destroy(asyncId) {
      open.get(asyncId)?.end({ settled: false });
      open.delete(asyncId);
    },
  });
  hook.enable();
  return () => {
    hook.disable();
    for (const span of open.values()) span.end({ settled: false });
    open.clear();
  };
}
