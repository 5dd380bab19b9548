import type { Ipv4Address, NetError } from './network';
import type { Result } from './result';

export interface Endpoint {
  readonly address: Ipv4Address;
  readonly port: number;
}

/**
 * One received UDP datagram. `dst` is the address the listener is bound to
 * (`0.0.0.0` for a socket stack listening on every address, as in the seed's
 * `UDP 127.0.0.1.59406 > 0.0.0.0.53`).
 */
export interface Datagram {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly data: Uint8Array;
}

/**
 * Listener callbacks may be async. A callback that throws or rejects does
 * not stop the stack: the failure is reported on the stack's console, and
 * for TCP the flow is closed.
 */
export type UdpCallback = (datagram: Datagram) => void | Promise<void>;
export type TcpCallback = (flow: Flow) => void | Promise<void>;

/** UDP over IPv4 (MirageOS UDPV4). */
export interface Udpv4 {
  /**
   * Sends one datagram; `srcPort` defaults to an ephemeral port. Sending from
   * a port the stack listens on uses that listener, so replies come from it.
   * A datagram larger than the stack can send fails with `too-big`.
   */
  write(dst: Endpoint, data: Uint8Array, options?: { srcPort?: number }): Promise<Result<void, NetError>>;
}

/**
 * A TCP connection (MirageOS FLOW). Reads return data in arrival order, one
 * chunk per call; concurrent reads are served in call order. Failures are
 * values: a peer that resets the connection makes `read`/`write` return
 * `disconnected`, never throw.
 */
export interface Flow {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** The next bytes received, or `'eof'` once the peer has closed its side (or after `close`). */
  read(): Promise<Result<Uint8Array | 'eof', NetError>>;
  /**
   * Optional, for a flow and for its reader: hands back a chunk `read`
   * returned once the caller is done with it and keeps no view of its bytes.
   * The stack may then write later data into that memory, so a reader that
   * drops each chunk after use (a parser, a checksum, a copy to disk) lets
   * the stack reuse its receive memory instead of touching fresh memory.
   * Handing back anything else, or the same chunk twice, does nothing.
   */
  release?(chunk: Uint8Array): void;
  /**
   * Resolves once the stack has taken the bytes: the caller may reuse
   * `data` afterwards, and a writer that awaits each write cannot outrun a
   * slow peer (back-pressure). After `close` it fails with `closed`.
   */
  write(data: Uint8Array): Promise<Result<void, NetError>>;
  /** Writes the buffers in order as one operation. */
  writev(data: readonly Uint8Array[]): Promise<Result<void, NetError>>;
  /**
   * Closes both directions: written bytes are still delivered, then the peer
   * sees end-of-stream; pending and later reads see `'eof'`. Idempotent.
   */
  close(): Promise<void>;
}

/** TCP over IPv4 (MirageOS TCPV4). */
export interface Tcpv4 {
  /** Opens a connection (MirageOS `create_connection`): `refused`, `unreachable` or `timeout` on failure. */
  connect(dst: Endpoint): Promise<Result<Flow, NetError>>;
}

/**
 * A whole IPv4 stack (MirageOS STACKV4). The socket stack (the host kernel's
 * TCP/IP) and the direct stack (ours, over a Network) both implement it, so
 * a unikernel runs unchanged on either.
 *
 * Unlike MirageOS, where `listen_udpv4`/`listen_tcpv4` return unit and a
 * failed bind raises, listening returns a Result: a port that is already in
 * use (`in-use`) or needs privileges (`denied`) is an expected failure the
 * unikernel must look at.
 */
export interface Stackv4 {
  /** Calls `callback` for every datagram to `port`; fails if the port cannot be bound. */
  listenUdpv4(port: number, callback: UdpCallback): Promise<Result<void, NetError>>;
  /** Calls `callback` with every accepted connection on `port`; fails if the port cannot be bound. */
  listenTcpv4(port: number, callback: TcpCallback): Promise<Result<void, NetError>>;
  udpv4(): Udpv4;
  tcpv4(): Tcpv4;
  /** The stack's own addresses (MirageOS `IPV4.get_ip`); `0.0.0.0` for a socket stack bound to every address. */
  ipv4Addresses(): Ipv4Address[];
  /** Serves the listeners until the stack is disconnected. */
  listen(): Promise<void>;
  /** Stops every listener and closes every socket and flow; `listen()` then resolves. */
  disconnect(): Promise<void>;
}
