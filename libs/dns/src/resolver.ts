/**
 * A stub resolver over any Stackv4's UDP (MirageOS `Dns_resolver`): one
 * question to one server, retried on silence, CNAMEs in the answer followed.
 */
import { err, ok, type Resolver, type ResolverError, type Result, type Stackv4 } from '@mirage-ts/types';
import { randomInt } from 'node:crypto';
import { Name } from './name';
import { RCODE, RRTYPES } from './types';
import { decodeMessage, encodeMessage, NO_FLAGS, optRecord, type Message } from './wire';

export interface ResolverOptions {
  /** How long to wait for each try. */
  readonly timeoutMs?: number;
  readonly tries?: number;
}

interface Pending {
  readonly name: Name;
  readonly resolve: (m: Message) => void;
}

export class DnsResolver implements Resolver {
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  private constructor(
    private readonly stack: Stackv4,
    private readonly server: string,
    private readonly port: number,
    private readonly localPort: number,
    private readonly options: Required<ResolverOptions>,
  ) {}

  /** Listens on a random high UDP port for the server's replies. */
  static async connect(
    stack: Stackv4,
    server: string,
    port: number,
    options: ResolverOptions = {},
  ): Promise<DnsResolver> {
    for (let attempt = 0; ; attempt++) {
      const localPort = randomInt(49152, 65536);
      // eslint-disable-next-line prefer-const
      let r: DnsResolver;
      const l = await stack.listenUdpv4(localPort, ({ src, data }) => r.onReply(src.address, src.port, data));
      r = new DnsResolver(stack, server, port, localPort, { timeoutMs: 2000, tries: 3, ...options });
      if (l.ok) return r;
      if (l.error.kind !== 'in-use' || attempt > 10) throw new Error(`resolver: ${l.error.message}`);
    }
  }

  private onReply(address: string, port: number, data: Uint8Array): void {
    // Only the server we asked, from its port (RFC 5452 §9.1): anything else is dropped.
    if (address !== this.server || port !== this.port) return;
    const m = decodeMessage(data);
    if (!m.ok || !m.value.flags.qr) return;
    const p = this.pending.get(m.value.id);
    const q = m.value.questions[0];
    if (!p || !q || !q.name.equals(p.name) || q.type !== RRTYPES.A) return;
    this.pending.delete(m.value.id);
    p.resolve(m.value);
  }

  async gethostbyname(host: string): Promise<Result<string[], ResolverError>> {
    let name: Name;
    try {
      name = Name.parse(host.endsWith('.') ? host : `${host}.`);
    } catch (e) {
      return err({
        kind: 'server-failure',
        name: host,
        message: `"${host}" is not a domain name: ${(e as Error).message}`,
      });
    }
    const reply = await this.ask(name);
    if (!reply.ok) return reply;
    const m = reply.value;
    if (m.flags.rcode === RCODE.NXDOMAIN)
      return err({ kind: 'not-found', name: host, message: `${host}: no such name` });
    if (m.flags.rcode !== RCODE.NOERROR)
      return err({
        kind: 'server-failure',
        name: host,
        message: `${host}: the server answered rcode ${m.flags.rcode}`,
      });
    // Follow the CNAME chain inside the answer, then take the A records of its end.
    let target = name;
    for (let hop = 0; hop < 16; hop++) {
      const c = m.answers.find((r) => r.type === RRTYPES.CNAME && r.name.equals(target));
      if (!c) break;
      const f = c.rdata[0];
      if (!('name' in f)) break;
      target = f.name;
    }
    return ok(
      m.answers
        .filter((r) => r.type === RRTYPES.A && r.name.equals(target))
        .flatMap((r) => r.rdata.flatMap((f) => ('bytes' in f && f.bytes.length === 4 ? [[...f.bytes].join('.')] : []))),
    );
  }

  private async ask(name: Name): Promise<Result<Message, ResolverError>> {
    if (this.closed) return err({ kind: 'closed', message: 'the resolver is disconnected' });
    let id: number;
    do id = randomInt(0, 65536);
    while (this.pending.has(id));
    const query = encodeMessage({
      id,
      flags: { ...NO_FLAGS, rd: true },
      questions: [{ name, type: RRTYPES.A, class: 1 }],
      answers: [],
      authorities: [],
      additionals: [optRecord(1232)],
    });
    const answer = new Promise<Message>((resolve) => this.pending.set(id, { name, resolve }));
    try {
      for (let t = 0; t < this.options.tries; t++) {
        const w = await this.stack
          .udpv4()
          .write({ address: this.server, port: this.port }, query, { srcPort: this.localPort });
        if (!w.ok) return w;
        let timer: NodeJS.Timeout | undefined;
        const got = await Promise.race([
          answer,
          new Promise<null>((r) => (timer = setTimeout(() => r(null), this.options.timeoutMs))),
        ]);
        clearTimeout(timer);
        if (got) return ok(got);
      }
      return err({
        kind: 'timeout',
        message: `no answer from ${this.server}:${this.port} for ${name} after ${this.options.tries} tries`,
      });
    } finally {
      this.pending.delete(id);
    }
  }

  async disconnect(): Promise<void> {
    this.closed = true;
  }
}
