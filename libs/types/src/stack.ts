import type { Ipv4Address, NetError } from './network';
import type { Result } from './result';

export interface Endpoint {
  readonly address: Ipv4Address;
  readonly port: number;
}

export interface Datagram {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly data: Uint8Array;
}

export type UdpCallback = (datagram: Datagram) => void | Promise<void>;
export type TcpCallback = (flow: Flow) => void | Promise<void>;

/** UDP over IPv4 (MirageOS UDPV4). */
export interface Udpv4 {
  /** Sends one datagram; `srcPort` defaults to an ephemeral port. */
  write(dst: Endpoint, data: Uint8Array, options?: { srcPort?: number }): Promise<Result<void, NetError>>;
}

/** A TCP connection (MirageOS FLOW). */
export interface Flow {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** The next bytes received, or `'eof'` once the peer has closed its side. */
  read(): Promise<Result<Uint8Array | 'eof', NetError>>;
  /** Resolves once the stack has taken the bytes (back-pressure is respected). */
  write(data: Uint8Array): Promise<Result<void, NetError>>;
  writev(data: readonly Uint8Array[]): Promise<Result<void, NetError>>;
  /** Closes both directions; pending reads see `'eof'`. */
  close(): Promise<void>;
}

/** TCP over IPv4 (MirageOS TCPV4). */
export interface Tcpv4 {
  connect(dst: Endpoint): Promise<Result<Flow, NetError>>;
}

/**
 * A whole IPv4 stack (MirageOS STACKV4). The socket stack (the host kernel's
 * TCP/IP) and the direct stack (ours, over a Network) both implement it, so
 * a unikernel runs unchanged on either.
 */
export interface Stackv4 {
  /** Calls `callback` for every datagram to `port`; fails if the port cannot be bound. */
  listenUdpv4(port: number, callback: UdpCallback): Promise<Result<void, NetError>>;
  /** Calls `callback` with every accepted connection on `port`. */
  listenTcpv4(port: number, callback: TcpCallback): Promise<Result<void, NetError>>;
  udpv4(): Udpv4;
  tcpv4(): Tcpv4;
  ipv4Addresses(): Ipv4Address[];
  /** Serves the listeners until the stack is disconnected. */
  listen(): Promise<void>;
  disconnect(): Promise<void>;
}
