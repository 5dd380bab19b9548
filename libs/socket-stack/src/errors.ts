import type { NetError } from '@mirage-ts/types';

/** What was being done when the host said no, for the message. */
export interface Attempt {
  /** `bind`, `connect`, `send`, `read`, `write`. */
  readonly op: string;
  /** `TCP port 8080 on 0.0.0.0`, `UDP 10.0.0.1.53`, ... */
  readonly what: string;
}

/**
 * Turns a Node system error into the NetError a unikernel can act on, with a
 * message that says what failed and, where there is one, the fix. Errors that
 * are not system errors (a bug, an invalid argument) become `io`.
 */
export function netErrorOf(e: unknown, attempt: Attempt): NetError {
  const code = (e as { code?: unknown } | undefined)?.code;
  const detail = e instanceof Error ? e.message : String(e);
  switch (code) {
    case 'EADDRINUSE':
      return {
        kind: 'in-use',
        message: `${attempt.what} is already in use: stop the program that holds it, or choose another port`,
      };
    case 'EACCES':
    case 'EPERM':
      return {
        kind: 'denied',
        message: `${attempt.op} ${attempt.what}: permission denied; ports below 1024 need root (sudo) or CAP_NET_BIND_SERVICE`,
      };
    case 'EADDRNOTAVAIL':
      return { kind: 'io', message: `${attempt.op} ${attempt.what}: the address is not one of this host's` };
    case 'ECONNREFUSED':
      return { kind: 'refused', message: `${attempt.what} refused the connection` };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { kind: 'unreachable', message: `${attempt.what} is unreachable` };
    case 'ETIMEDOUT':
      return { kind: 'timeout', message: `${attempt.op} ${attempt.what} timed out` };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return { kind: 'disconnected', message: `${attempt.what}: the peer reset the connection` };
    case 'EMSGSIZE':
      return {
        kind: 'too-big',
        message: `${attempt.op} ${attempt.what}: the datagram is larger than the host can send`,
      };
    case 'ERR_STREAM_DESTROYED':
    case 'ERR_STREAM_WRITE_AFTER_END':
    case 'ERR_SOCKET_DGRAM_NOT_RUNNING':
      return { kind: 'closed', message: `${attempt.what} is closed` };
    default:
      return { kind: 'io', message: `${attempt.op} ${attempt.what}: ${detail}` };
  }
}

export const isPort = (port: number): boolean => Number.isInteger(port) && port >= 1 && port <= 65535;

export function badPort(port: number): NetError {
  return { kind: 'io', message: `${String(port)} is not a port number: use 1 to 65535` };
}
