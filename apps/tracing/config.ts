import { defaultConsole, directStackv4, foreign, register, stackv4, tap0 } from '@mirage-ts/mirage';

// Main takes an IPv4 stack (stackv4 @-> job): the direct one over tap0 with the default 10.0.0.2/24.
const main = foreign('Unikernel.Main', [stackv4]);
const stack = directStackv4(defaultConsole, tap0, { dhcp: false });

// The ring keeps the newest million events; the trace is written to --trace-file (trace.json) at exit.
export default register('tracing', [main(stack)], { tracing: { size: 1_000_000 } });
