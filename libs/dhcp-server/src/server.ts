import { formatIpv4, formatMac } from '@mirage-ts/tcpip/wire/address';
import {
  byteOption,
  DhcpMessageType as T,
  DhcpOp,
  DhcpOptionCode as O,
  ipOption,
  optionData,
  u32Of,
  u32Option,
  type DhcpMessage,
  type DhcpMessageFields,
  type DhcpOption,
} from '@mirage-ts/tcpip/wire/dhcp';
import type { DhcpConf, DhcpConfOptions, DhcpSubnet } from './conf';
import { LeaseDatabase } from './leases';

/** What the server does with one message (as charrua's Silence/Warning/Reply). */
export type DhcpOutcome =
  | { readonly kind: 'silence'; readonly why: string }
  | { readonly kind: 'warning'; readonly text: string }
  | {
      readonly kind: 'reply';
      readonly reply: DhcpMessageFields;
      /** Where the reply goes: link (null: the link-layer sender of the request, i.e. the relay), IP and UDP port. */
      readonly dstMac: number | null;
      readonly dstIp: number;
      readonly dstPort: number;
    };

export interface DhcpServerOptions {
  readonly conf: DhcpConf;
  readonly serverIp: number;
  /** How long an OFFER holds its address for the client, in seconds. */
  readonly offerHold?: number;
}

const BROADCAST_MAC = 0xffff_ffff_ffff;
const CLIENT_PORT = 68;
const SERVER_PORT = 67;
const BROADCAST_IP = 0xffff_ffff;
const TYPE_NAMES = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];

export function messageTypeName(type: number | undefined): string {
  return (type !== undefined && TYPE_NAMES[type]) || `type ${type ?? 'none'}`;
}

const text = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/**
 * The RFC 2131 server for one subnet (the one holding the server's address):
 * a pure function of (message, time) over the lease database, so it is tested
 * without a network. Times are in seconds.
 */
export class DhcpServer {
  readonly subnet: DhcpSubnet;
  readonly leases: LeaseDatabase;
  private readonly options: DhcpConfOptions;
  private readonly offerHold: number;

  constructor(private readonly opts: DhcpServerOptions) {
    const { conf, serverIp } = opts;
    const subnet = conf.subnets.find((s) => (serverIp & s.netmask) >>> 0 === s.network);
    if (!subnet)
      throw new Error(
        `no subnet in dhcpd.conf holds the server's address ${formatIpv4(serverIp)}: add a subnet for it or change --ipaddr`,
      );
    this.subnet = subnet;
    this.options = { ...conf.options, ...subnet.options };
    this.leases = new LeaseDatabase(subnet.range);
    this.offerHold = opts.offerHold ?? 60;
  }

  handle(m: DhcpMessage, now: number): DhcpOutcome {
    if (m.op !== DhcpOp.request) return { kind: 'silence', why: 'not a BOOTREQUEST' };
    // A relay agent on the subnet (RFC 1542) is served like a client on the link; one elsewhere asks for a subnet we do not have.
    if (m.giaddr !== 0 && !this.inSubnet(m.giaddr))
      return {
        kind: 'silence',
        why: `relayed from ${formatIpv4(m.giaddr)}, which is not on subnet ${formatIpv4(this.subnet.network)}`,
      };
    const type = optionData(m, O.messageType)?.[0];
    const client = clientKey(m);
    switch (type) {
      case T.discover:
        return this.discover(m, client, now);
      case T.request:
        return this.request(m, client, now);
      case T.decline:
        return this.decline(m, client, now);
      case T.release:
        return this.release(m, client);
      case T.inform:
        return this.inform(m);
      default:
        return { kind: 'silence', why: `a ${messageTypeName(type)} is not for a server` };
    }
  }

  private fixedFor(m: DhcpMessage): number | undefined {
    return this.subnet.hosts.find((h) => h.mac === m.chaddr)?.fixedAddress;
  }

  private inSubnet(ip: number): boolean {
    return (ip & this.subnet.netmask) >>> 0 === this.subnet.network;
  }

  private leaseTime(m: DhcpMessage): number {
    const asked = u32Of(optionData(m, O.leaseTime));
    const { defaultLeaseTime, maxLeaseTime } = this.opts.conf;
    return asked === undefined ? defaultLeaseTime : Math.min(Math.max(asked, 1), maxLeaseTime);
  }

  private discover(m: DhcpMessage, client: string, now: number): DhcpOutcome {
    const fixed = this.fixedFor(m);
    let ip = fixed;
    if (ip === undefined) {
      const requested = u32Of(optionData(m, O.requestedIp));
      ip = this.leases.choose(client, requested, now, this.fixedAddresses());
      if (ip === undefined) {
        const r = this.subnet.range;
        return {
          kind: 'warning',
          text: r
            ? `No offer for ${formatMac(m.chaddr)}: all ${r.end - r.start + 1} addresses of range ${formatIpv4(r.start)} - ${formatIpv4(r.end)} are leased, offered or declined`
            : `No offer for ${formatMac(m.chaddr)}: the subnet has no range and no fixed address for this MAC`,
        };
      }
      this.leases.offer(client, ip, now + this.offerHold);
    }
    return this.reply(m, T.offer, ip, this.leaseTime(m));
  }

  private fixedAddresses(): Set<number> {
    return new Set(this.subnet.hosts.map((h) => h.fixedAddress));
  }

  private request(m: DhcpMessage, client: string, now: number): DhcpOutcome {
    const serverId = u32Of(optionData(m, O.serverId));
    const requested = u32Of(optionData(m, O.requestedIp));
    const fixed = this.fixedFor(m);
    if (serverId !== undefined && serverId !== this.opts.serverIp) {
      // SELECTING, and the client chose another server: our offer is free again.
      this.leases.dropOffer(client);
      return { kind: 'silence', why: `the client chose server ${formatIpv4(serverId)}` };
    }
    // SELECTING or INIT-REBOOT name the address in option 50; RENEWING/REBINDING in ciaddr.
    const ip = requested ?? m.ciaddr;
    const state = serverId !== undefined ? 'SELECTING' : requested !== undefined ? 'INIT-REBOOT' : 'RENEWING/REBINDING';
    if (ip === 0) return this.nak(m, `${state} REQUEST names no address`);
    if (!this.inSubnet(ip)) return this.nak(m, `${formatIpv4(ip)} is not on subnet ${formatIpv4(this.subnet.network)}`);
    const lease = this.leases.get(client, now);
    const time = this.leaseTime(m);
    if (fixed !== undefined) {
      if (ip !== fixed) return this.nak(m, `${formatMac(m.chaddr)} has the fixed address ${formatIpv4(fixed)}`);
      return this.reply(m, T.ack, ip, time);
    }
    if (lease && lease.ip === ip) {
      this.leases.bind(client, ip, now + time);
      return this.reply(m, T.ack, ip, time);
    }
    if (lease)
      return this.nak(m, `${formatIpv4(ip)} is not the address leased to this client (${formatIpv4(lease.ip)})`);
    if (serverId !== undefined) return this.nak(m, `no offer of ${formatIpv4(ip)} is pending for this client`);
    // INIT-REBOOT or a renewal we have no record of (e.g. after a restart): take the
    // address back if it is ours to give and free, refuse it if someone else holds it.
    if (this.leases.isFree(ip, now) && this.leases.inRange(ip) && !this.fixedAddresses().has(ip)) {
      this.leases.bind(client, ip, now + time);
      return this.reply(m, T.ack, ip, time);
    }
    return this.nak(m, `${formatIpv4(ip)} is not available to this client`);
  }

  private decline(m: DhcpMessage, client: string, now: number): DhcpOutcome {
    const ip = u32Of(optionData(m, O.requestedIp)) ?? 0;
    if (ip === 0 || !this.inSubnet(ip)) return { kind: 'silence', why: 'DECLINE of an address that is not ours' };
    this.leases.decline(client, ip, now + this.opts.conf.defaultLeaseTime);
    return {
      kind: 'warning',
      text: `${formatMac(m.chaddr)} declined ${formatIpv4(ip)} (in use on the link?): kept out of the pool for ${this.opts.conf.defaultLeaseTime} s`,
    };
  }

  private release(m: DhcpMessage, client: string): DhcpOutcome {
    const released = this.leases.release(client, m.ciaddr);
    return {
      kind: 'silence',
      why: released
        ? `${formatMac(m.chaddr)} released ${formatIpv4(m.ciaddr)}`
        : `RELEASE of ${formatIpv4(m.ciaddr)} that ${formatMac(m.chaddr)} does not hold`,
    };
  }

  private inform(m: DhcpMessage): DhcpOutcome {
    if (m.ciaddr === 0 || !this.inSubnet(m.ciaddr)) return { kind: 'silence', why: 'INFORM from off the subnet' };
    return this.reply(m, T.ack, 0, undefined);
  }

  private nak(m: DhcpMessage, why: string): DhcpOutcome {
    const relayed = m.giaddr !== 0;
    const reply: DhcpMessageFields = {
      op: DhcpOp.reply,
      xid: m.xid,
      // RFC 2131 4.3.2: through a relay, the NAK asks the relay to broadcast it.
      broadcast: m.broadcast || relayed,
      giaddr: m.giaddr,
      chaddr: m.chaddr,
      options: [
        byteOption(O.messageType, T.nak),
        ipOption(O.serverId, this.opts.serverIp),
        { code: O.message, data: text(why) },
      ],
    };
    if (relayed) return { kind: 'reply', reply, dstMac: null, dstIp: m.giaddr, dstPort: SERVER_PORT };
    // RFC 2131 4.3.2: with no relay, a NAK is broadcast.
    return { kind: 'reply', reply, dstMac: BROADCAST_MAC, dstIp: BROADCAST_IP, dstPort: CLIENT_PORT };
  }

  private reply(m: DhcpMessage, type: number, yiaddr: number, leaseTime: number | undefined): DhcpOutcome {
    const o = this.options;
    const options: DhcpOption[] = [byteOption(O.messageType, type), ipOption(O.serverId, this.opts.serverIp)];
    if (leaseTime !== undefined) {
      options.push(
        u32Option(O.leaseTime, leaseTime),
        u32Option(O.renewalTime, Math.floor(leaseTime / 2)),
        u32Option(O.rebindingTime, Math.floor((leaseTime * 7) / 8)),
      );
    }
    options.push(ipOption(O.subnetMask, this.subnet.netmask));
    options.push(ipOption(O.broadcastAddress, (this.subnet.network | ~this.subnet.netmask) >>> 0));
    if (o.routers?.length) options.push(ipOption(O.router, ...o.routers));
    if (o.domainNameServers?.length) options.push(ipOption(O.dnsServer, ...o.domainNameServers));
    if (o.domainName) options.push({ code: O.domainName, data: text(o.domainName) });
    const reply: DhcpMessageFields = {
      op: DhcpOp.reply,
      xid: m.xid,
      broadcast: m.broadcast,
      ciaddr: type === T.ack && m.ciaddr ? m.ciaddr : 0,
      yiaddr,
      siaddr: 0,
      giaddr: m.giaddr,
      chaddr: m.chaddr,
      options,
    };
    // RFC 2131 4.1: to the relay's server port when relayed, to ciaddr when the client
    // has one, broadcast when it asks, else unicast to the offered address at the
    // client's hardware address.
    if (m.giaddr !== 0) return { kind: 'reply', reply, dstMac: null, dstIp: m.giaddr, dstPort: SERVER_PORT };
    if (m.ciaddr !== 0) return { kind: 'reply', reply, dstMac: m.chaddr, dstIp: m.ciaddr, dstPort: CLIENT_PORT };
    if (m.broadcast) return { kind: 'reply', reply, dstMac: BROADCAST_MAC, dstIp: BROADCAST_IP, dstPort: CLIENT_PORT };
    return { kind: 'reply', reply, dstMac: m.chaddr, dstIp: yiaddr, dstPort: CLIENT_PORT };
  }
}

/** Leases belong to the client identifier (option 61) when there is one, else to the MAC. */
function clientKey(m: DhcpMessage): string {
  const id = optionData(m, O.clientId);
  return id ? `id:${Buffer.from(id).toString('hex')}` : `mac:${formatMac(m.chaddr)}`;
}
