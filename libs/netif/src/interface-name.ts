/** Throws a RangeError unless `name` is a name Linux accepts for an interface. */
export function checkInterfaceName(name: unknown, what: string): asserts name is string {
  if (
    typeof name !== 'string' ||
    !/^[^\s/:]{1,15}$/.test(name) ||
    Buffer.byteLength(name) > 15 ||
    name === '.' ||
    name === '..'
  ) {
    throw new RangeError(
      `${what} '${String(name)}' is not an interface name: use 1 to 15 characters without spaces, '/' or ':' (e.g. tap0)`,
    );
  }
}

/** Where a device's start-up lines go: the unikernel's standard output, as in MirageOS. */
export type LogLine = (line: string) => void;

export const logToStdout: LogLine = (line) => {
  process.stdout.write(`${line}\n`);
};
