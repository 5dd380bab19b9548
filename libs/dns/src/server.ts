/**
 * An authoritative DNS server on any Stackv4: UDP datagrams and TCP
 * connections with 2-byte length framing (RFC 1035 §4.2.2, RFC 7766).
 */
import type { Flow, NetError, Result, Stackv4 } from '@mirage-ts/types';
import { handleQuery } from './engine';
import type { ZoneSet } from './zone';

export interface ServerEvents {
  /** Called for every datagram or TCP message, before it is answered. */
  readonly onQuery?: (from: string, transport: 'udp' | 'tcp', size: number) => void | Promise<void>;
  /** Called when a received message gets no reply (a response, or too short for a header). */
  readonly onDrop?: (from: string, reason: string) => void | Promise<void>;
}

export interface ServerStats {
  udp: number;
  tcp: number;
  dropped: number;
}

/** TCP connections idle this long are closed (RFC 7766 §6.2.3 suggests seconds). */
const TCP_IDLE_MS = 10_000;

export class DnsServer {
  readonly stats: ServerStats = { udp: 0, tcp: 0, dropped: 0 };

  constructor(
    private readonly stack: Stackv4,
    private readonly zones: ZoneSet,
    private readonly events: ServerEvents = {},
  ) {}

  /** Listens on `port` for UDP and TCP; fails when either cannot be bound. */
  async listen(port: number): Promise<Result<void, NetError>> {
    const udp = await this.stack.listenUdpv4(port, async ({ src, data }) => {
      const from = `${src.address}.${src.port}`;
      await this.events.onQuery?.(from, 'udp', data.length);
      const out = handleQuery(this.zones, data, { kind: 'udp' });
      if (!out) {
        this.stats.dropped++;
        await this.events.onDrop?.(from, 'not a query');
        return;
      }
      this.stats.udp++;
      await this.stack.udpv4().write(src, out, { srcPort: port });
    });
    if (!udp.ok) return udp;
    return this.stack.listenTcpv4(port, (flow) => this.serveFlow(flow));
  }

  private async serveFlow(flow: Flow): Promise<void> {
    const from = `${flow.remote.address}.${flow.remote.port}`;
    let buf: Uint8Array = new Uint8Array(0);
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => void flow.close(), TCP_IDLE_MS);
    };
    try {
      for (;;) {
        arm();
        const r = await flow.read();
        if (!r.ok || r.value === 'eof') return;
        buf = concat(buf, r.value);
        while (buf.length >= 2) {
          const len = (buf[0] << 8) | buf[1];
          if (buf.length < 2 + len) break;
          const msg = buf.slice(2, 2 + len);
          buf = buf.slice(2 + len);
          await this.events.onQuery?.(from, 'tcp', msg.length);
          const out = handleQuery(this.zones, msg, { kind: 'tcp' });
          if (!out) {
            this.stats.dropped++;
            await this.events.onDrop?.(from, 'not a query');
            return;
          }
          this.stats.tcp++;
          const w = await flow.writev([Uint8Array.from([out.length >> 8, out.length & 0xff]), out]);
          if (!w.ok) return;
        }
      }
    } finally {
      clearTimeout(idle);
      await flow.close();
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
