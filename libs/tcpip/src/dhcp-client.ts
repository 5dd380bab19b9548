import { randomInt } from 'node:crypto';
import type { Datagram, DhcpLease } from '@mirage-ts/types';
import type { DropCounters } from './drops';
import type { Ipv4Layer } from './ipv4';
import type { Log } from './log';
import type { UdpLayer } from './udp';
import { BROADCAST_IPV4, formatIpv4 } from './wire/address';
import {
  addressesOf,
  byteOption,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DhcpMessageType,
  DhcpOp,
  DhcpOptionCode as Opt,
  emitDhcp,
  ipOption,
  optionData,
  parseDhcp,
  u32Of,
  type DhcpMessage,
  type DhcpOption,
} from './wire/dhcp';

export interface DhcpClientOptions {
  /** First wait for a reply; doubled after each silence up to `maxRetransmitMs` (RFC 2131 4.1: 4 s to 64 s). */
  readonly initialRetransmitMs?: number;
  readonly maxRetransmitMs?: number;
  /** REQUESTs sent for one offer before discovery starts over. */
  readonly requestAttempts?: number;
  /** Shortest wait between two renewal (or rebinding) REQUESTs; RFC 2131 4.4.5 says 60 s, short test leases need less. */
  readonly minRenewRetryMs?: number;
}

/** The frame a DHCP message travels in is this long, as in the seed's "Sending DHCP broadcast (length 552)". */
const FRAME_LENGTH = 552;
const HEADERS = 14 + 20 + 8;
const INFINITE_LEASE = 0xffff_ffff;

const TYPE_NAMES: Record<number, string> = {
  1: 'Discover',
  2: 'Offer',
  3: 'Request',
  4: 'Decline',
  5: 'Ack',
  6: 'Nak',
  7: 'Release',
  8: 'Inform',
};

/** One option as the seed's "DHCP options:" line shows it. */
function describeOption(o: DhcpOption): string {
  const ips = () => addressesOf(o.data).map(formatIpv4).join(', ');
  const text = () => Buffer.from(o.data).toString('latin1');
  switch (o.code) {
    case Opt.subnetMask:
      return `Subnet mask(${ips()})`;
    case Opt.router:
      return `Routers(${ips()})`;
    case Opt.dnsServer:
      return `DNS servers(${ips()})`;
    case Opt.hostName:
      return `Host name(${text()})`;
    case Opt.domainName:
      return `Domain name(${text()})`;
    case Opt.broadcastAddress:
      return `Broadcast address(${ips()})`;
    case Opt.leaseTime:
      return `Lease time(${u32Of(o.data)})`;
    case Opt.serverId:
      return `Server identifer(${ips()})`; // sic: the seed's spelling
    case Opt.renewalTime:
      return `Renewal time(${u32Of(o.data)})`;
    case Opt.rebindingTime:
      return `Rebinding time(${u32Of(o.data)})`;
    case Opt.message:
      return `Message(${text()})`;
    default:
      return `Unknown(${o.code})`;
  }
}

export function describeOptions(m: DhcpMessage): string {
  const type = TYPE_NAMES[optionData(m, Opt.messageType)?.[0] ?? 0] ?? 'Unknown';
  return `${type} : ${m.options
    .filter((o) => o.code !== Opt.messageType)
    .map(describeOption)
    .join(', ')}`;
}

/** The netmask a classful address implies, for a server that sends none (RFC 2132 3.3 leaves it to the client). */
function classfulNetmask(ip: number): number {
  if (ip >>> 31 === 0) return 0xff00_0000;
  if (ip >>> 30 === 2) return 0xffff_0000;
  return 0xffff_ff00;
}

interface Wait {
  readonly accept: (m: DhcpMessage) => boolean;
  readonly done: (m: DhcpMessage | null) => void;
  readonly timer: NodeJS.Timeout;
}

interface Bound {
  readonly lease: DhcpLease;
  readonly addressN: number;
  readonly netmaskN: number;
  readonly gatewayN: number | null;
  readonly serverN: number;
  readonly renewalSeconds: number | undefined;
  readonly rebindingSeconds: number | undefined;
}

/**
 * A DHCP client (RFC 2131): DISCOVER/OFFER/REQUEST/ACK with retransmission,
 * then renewal at T1 (unicast to the server), rebinding at T2 (broadcast) and
 * a fresh discovery when the lease runs out or the server says NAK. Logs the
 * seed's DHCP lines.
 */
export class DhcpClient {
  private xid = 0;
  private wait: Wait | undefined;
  private sleeper: { timer: NodeJS.Timeout; done: () => void } | undefined;
  private stopped = false;
  private current: Bound | null = null;
  private firstBound: ((lease: DhcpLease) => void) | undefined;
  private readonly initialRetransmitMs: number;
  private readonly maxRetransmitMs: number;
  private readonly requestAttempts: number;
  private readonly minRenewRetryMs: number;
  /** Called after every bind and renewal. */
  onLease: ((lease: DhcpLease) => void) | undefined;

  constructor(
    private readonly udp: UdpLayer,
    private readonly ip: Ipv4Layer,
    private readonly mac: number,
    private readonly drops: DropCounters,
    private readonly log: Log,
    options: DhcpClientOptions = {},
  ) {
    this.initialRetransmitMs = options.initialRetransmitMs ?? 4000;
    this.maxRetransmitMs = options.maxRetransmitMs ?? 64_000;
    this.requestAttempts = options.requestAttempts ?? 4;
    this.minRenewRetryMs = options.minRenewRetryMs ?? 60_000;
  }

  /** Starts the client; resolves with the first lease (it keeps renewing it afterwards). */
  start(): Promise<DhcpLease> {
    const listening = this.udp.listen(DHCP_CLIENT_PORT, (d) => this.input(d));
    if (!listening.ok)
      return Promise.reject(
        new Error(`DHCP: cannot listen on UDP port ${DHCP_CLIENT_PORT}: ${listening.error.message}`),
      );
    const first = new Promise<DhcpLease>((resolve) => (this.firstBound = resolve));
    void this.run();
    return first;
  }

  lease(): DhcpLease | null {
    return this.current?.lease ?? null;
  }

  stop(): void {
    this.stopped = true;
    this.udp.unlisten(DHCP_CLIENT_PORT);
    if (this.wait) {
      clearTimeout(this.wait.timer);
      this.wait.done(null);
    }
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      this.sleeper.done();
    }
  }

  private input(d: Datagram): void {
    const m = parseDhcp(d.data, 0, d.data.length);
    if (typeof m === 'string') return this.drops.count(`dhcp.${m}`);
    if (m.op !== DhcpOp.reply || m.xid !== this.xid || m.chaddr !== this.mac || !this.wait?.accept(m)) {
      return this.drops.count('dhcp.unexpected');
    }
    const w = this.wait;
    this.wait = undefined;
    clearTimeout(w.timer);
    w.done(m);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const bound = await this.acquire();
      if (!bound) return;
      this.bind(bound, true);
      this.firstBound?.(bound.lease);
      this.firstBound = undefined;
      await this.maintain(bound);
      if (this.stopped) return;
      this.current = null;
      this.ip.setNumbers(null);
    }
  }

  /** Sends, then waits up to `ms` for a reply `accept` takes (null on silence or stop). */
  private exchange(
    send: () => void,
    accept: (m: DhcpMessage) => boolean,
    ms: number,
    keepAlive: boolean,
  ): Promise<DhcpMessage | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wait = undefined;
        resolve(null);
      }, ms);
      if (!keepAlive) timer.unref();
      this.wait = { accept, done: resolve, timer };
      send();
    });
  }

  private sleepUntil(at: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.sleeper = undefined;
          resolve();
        },
        Math.max(0, Math.min(at - Date.now(), 0x7fff_ffff)),
      );
      timer.unref();
      this.sleeper = { timer, done: resolve };
    });
  }

  private message(type: number, extra: DhcpOption[], ciaddr = 0): Uint8Array {
    return emitDhcp(
      {
        op: DhcpOp.request,
        xid: this.xid,
        ciaddr,
        chaddr: this.mac,
        options: [
          byteOption(Opt.messageType, type),
          ...extra,
          byteOption(
            Opt.parameterRequestList,
            Opt.subnetMask,
            Opt.router,
            Opt.dnsServer,
            Opt.leaseTime,
            Opt.serverId,
            Opt.renewalTime,
            Opt.rebindingTime,
          ),
        ],
      },
      FRAME_LENGTH - HEADERS,
    );
  }

  private send(dst: number, payload: Uint8Array): void {
    const what = dst === BROADCAST_IPV4 ? 'broadcast' : `unicast to ${formatIpv4(dst)}`;
    this.log(`Sending DHCP ${what} (length ${payload.length + HEADERS})`);
    void this.udp.send(dst, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, payload);
  }

  private logResponse(m: DhcpMessage): void {
    this.log('DHCP response:');
    this.log(`input ciaddr ${formatIpv4(m.ciaddr)} yiaddr ${formatIpv4(m.yiaddr)}`);
    this.log(`siaddr ${formatIpv4(m.siaddr)} giaddr ${formatIpv4(m.giaddr)}`);
    this.log(`chaddr ${Buffer.from(m.chaddrBytes).toString('hex')} sname ${m.sname} file${m.file ? ` ${m.file}` : ''}`);
  }

  private isType(m: DhcpMessage, ...types: number[]): boolean {
    const t = optionData(m, Opt.messageType)?.[0];
    return t !== undefined && types.includes(t);
  }

  private async acquire(): Promise<Bound | null> {
    let delay = this.initialRetransmitMs;
    const backOff = () => (delay = Math.min(delay * 2, this.maxRetransmitMs));
    while (!this.stopped) {
      this.log('DHCP: start discovery\n');
      this.xid = randomInt(0x1_0000_0000 - 1);
      const discover = this.message(DhcpMessageType.discover, []);
      const offer = await this.exchange(
        () => this.send(BROADCAST_IPV4, discover),
        (m) => this.isType(m, DhcpMessageType.offer) && m.yiaddr !== 0,
        delay,
        true,
      );
      if (this.stopped) return null;
      if (!offer) {
        backOff();
        continue;
      }
      this.logResponse(offer);
      this.log(`DHCP: offer received: ${formatIpv4(offer.yiaddr)}`);
      this.log(`DHCP options: ${describeOptions(offer)}`);
      const server = u32Of(optionData(offer, Opt.serverId)) ?? offer.siaddr;
      const request = this.message(DhcpMessageType.request, [
        ipOption(Opt.requestedIp, offer.yiaddr),
        ipOption(Opt.serverId, server),
      ]);
      for (let attempt = 0; attempt < this.requestAttempts && !this.stopped; attempt++) {
        const reply = await this.exchange(
          () => this.send(BROADCAST_IPV4, request),
          (m) => this.isType(m, DhcpMessageType.ack, DhcpMessageType.nak),
          delay,
          true,
        );
        if (this.stopped) return null;
        if (!reply) {
          backOff();
          continue;
        }
        if (this.isType(reply, DhcpMessageType.nak)) {
          this.log(`DHCP: request declined by ${formatIpv4(server)}${this.nakReason(reply)}`);
          break;
        }
        this.logResponse(reply);
        this.log('DHCP: offer received');
        return this.leaseOf(reply, server);
      }
    }
    return null;
  }

  private nakReason(m: DhcpMessage): string {
    const text = optionData(m, Opt.message);
    return text ? `: ${Buffer.from(text).toString('latin1')}` : '';
  }

  private leaseOf(ack: DhcpMessage, fallbackServer: number): Bound {
    const address = ack.yiaddr !== 0 ? ack.yiaddr : ack.ciaddr;
    const netmask = u32Of(optionData(ack, Opt.subnetMask)) ?? classfulNetmask(address);
    const routers = addressesOf(optionData(ack, Opt.router));
    const serverN = u32Of(optionData(ack, Opt.serverId)) ?? fallbackServer;
    const lease: DhcpLease = {
      address: formatIpv4(address),
      netmask: formatIpv4(netmask),
      gateway: routers.length ? formatIpv4(routers[0]) : null,
      dns: addressesOf(optionData(ack, Opt.dnsServer)).map(formatIpv4),
      server: formatIpv4(serverN),
      leaseSeconds: u32Of(optionData(ack, Opt.leaseTime)) ?? 3600,
      boundAtMs: Date.now(),
    };
    return {
      lease,
      addressN: address,
      netmaskN: netmask,
      gatewayN: routers[0] ?? null,
      serverN,
      renewalSeconds: u32Of(optionData(ack, Opt.renewalTime)),
      rebindingSeconds: u32Of(optionData(ack, Opt.rebindingTime)),
    };
  }

  private bind(b: Bound, announce: boolean): void {
    this.current = b;
    const { lease } = b;
    const gateways = `[${lease.gateway ?? ''}]`;
    if (announce) {
      this.log(`IPv4: ${lease.address}`);
      this.log(`Netmask: ${lease.netmask}`);
      this.log(`Gateways: ${gateways}`);
    }
    const now = this.ip.numbers;
    if (!now || now.address !== b.addressN || now.netmask !== b.netmaskN || now.gateway !== b.gatewayN) {
      this.ip.setNumbers({ address: b.addressN, netmask: b.netmaskN, gateway: b.gatewayN });
    }
    if (announce) this.log(`DHCP offer received and bound to ${lease.address} nm ${lease.netmask} gw ${gateways}`);
    this.onLease?.(lease);
  }

  /** Keeps the lease: renew at T1, rebind at T2; returns when it is lost. */
  private async maintain(initial: Bound): Promise<void> {
    let b = initial;
    for (;;) {
      const { lease } = b;
      if (lease.leaseSeconds === INFINITE_LEASE) {
        while (!this.stopped) await this.sleepUntil(Date.now() + 0x7fff_ffff);
        return;
      }
      const secs = lease.leaseSeconds;
      const expiry = lease.boundAtMs + secs * 1000;
      // T1 and T2 from the server when it sent them (RFC 2131 4.4.5), else half and 7/8 of the lease.
      const t2 = lease.boundAtMs + Math.min(b.rebindingSeconds ?? secs * 0.875, secs) * 1000;
      const t1 = lease.boundAtMs + Math.min(b.renewalSeconds ?? secs * 0.5, secs) * 1000;
      await this.sleepUntil(t1);
      if (this.stopped) return;
      const renewed = (await this.extend(b, false, t2)) ?? (await this.extend(b, true, expiry));
      if (this.stopped) return;
      if (renewed === null || renewed === 'nak') {
        this.log(`DHCP: lease of ${lease.address} ${renewed === 'nak' ? 'refused by the server' : 'expired'}`);
        return;
      }
      b = renewed;
    }
  }

  /** Renewing (unicast to the server) or rebinding (broadcast) until `deadline`. */
  private async extend(b: Bound, rebinding: boolean, deadline: number): Promise<Bound | 'nak' | null> {
    this.xid = randomInt(0x1_0000_0000 - 1);
    const request = this.message(DhcpMessageType.request, [], b.addressN);
    const dst = rebinding ? BROADCAST_IPV4 : b.serverN;
    this.log(`DHCP: ${rebinding ? 'rebinding' : 'renewing'} ${b.lease.address}`);
    while (!this.stopped && Date.now() < deadline) {
      const left = deadline - Date.now();
      const wait = Math.min(left, Math.max(this.minRenewRetryMs, left / 2));
      const reply = await this.exchange(
        () => this.send(dst, request),
        (m) => this.isType(m, DhcpMessageType.ack, DhcpMessageType.nak),
        wait,
        false,
      );
      if (!reply) continue;
      if (this.isType(reply, DhcpMessageType.nak)) return 'nak';
      const next = this.leaseOf(reply, b.serverN);
      this.log(`DHCP: lease renewed: ${next.lease.address} for ${next.lease.leaseSeconds} s`);
      this.bind(next, next.addressN !== b.addressN);
      return next;
    }
    return null;
  }
}
