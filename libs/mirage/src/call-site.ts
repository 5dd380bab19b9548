/**
 * Remembers where in config.ts a combinator was called, so that the plugin
 * can point its messages at the user's line. Only the raw stack is kept here:
 * config.ts runs bundled, and the plugin maps positions back through the
 * bundle's source map.
 */
export type CallSite = string;

export function captureCallSite(): CallSite {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  Error.captureStackTrace(holder, captureCallSite);
  Error.stackTraceLimit = limit;
  return (holder.stack ?? '').split('\n').slice(1).join('\n');
}
