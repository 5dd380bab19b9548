import {
  type Console,
  type DhcpLease,
  type NetError,
  type Network,
  type Result,
  type Stackv4,
  type TcpCallback,
  type Tcpv4,
  type UdpCallback,
  type Udpv4,
} from '@mirage-ts/types';
import { ArpLayer, type ArpOptions } from './arp';
import { DhcpClient, type DhcpClientOptions } from './dhcp-client';
import { DropCounters } from './drops';
import { fail } from './errors';
import { EthernetLayer } from './ethernet';
import { Icmpv4Layer, type Icmpv4Options } from './icmpv4';
import { Ipv4Layer, type Ipv4Options } from './ipv4';
import { consoleLog, type Log } from './log';
import type { TcpSettings } from './tcp/config';
import { TcpLayer, type TcpStats } from './tcp/layer';
import { UdpLayer } from './udp';
import { formatIpv4, parseIpv4, parseIpv4Prefix } from './wire/address';

/** Tuning for tests and benchmarks; every field has the default MirageOS uses. */
export interface DirectStackOptions {
  readonly arp?: ArpOptions;
  readonly ipv4?: Ipv4Options;
  readonly icmp?: Icmpv4Options;
  readonly dhcp?: DhcpClientOptions;
  readonly tcp?: TcpSettings;
  /** Where log lines go instead of the console (e.g. to keep a benchmark quiet). */
  readonly log?: Log;
}

/**
 * The direct stack (`--net=direct`): our own Ethernet, ARP, IPv4, ICMP, UDP,
 * TCP and DHCP client over a Network. It logs what MirageOS's stack logs, and a
 * packet can never make it throw: what cannot be parsed is counted in
 * `drops()` and forgotten.
 */
export class DirectStackv4 implements Stackv4 {
  readonly ethernet: EthernetLayer;
  readonly arp: ArpLayer;
  readonly ip: Ipv4Layer;
  readonly icmp: Icmpv4Layer;
  readonly udp: UdpLayer;
  readonly tcp: TcpLayer;
  private readonly dropCounters: DropCounters;
  private dhcpClient: DhcpClient | undefined;
  private readonly listening: Promise<Result<void, NetError>>;
  private disconnected = false;

  private constructor(
    private readonly network: Network,
    private readonly log: Log,
    options: DirectStackOptions,
  ) {
    this.dropCounters = new DropCounters();
    // Every layer above takes super-segments and partial checksums: a tap then carries ~45 frames per read or write.
    network.acceptOffloads?.();
    this.ethernet = new EthernetLayer(network, this.dropCounters);
    this.arp = new ArpLayer(this.ethernet, this.dropCounters, log, options.arp);
    this.ip = new Ipv4Layer(this.ethernet, this.arp, this.dropCounters, options.ipv4);
    this.icmp = new Icmpv4Layer(this.ip, this.dropCounters, log, options.icmp);
    this.udp = new UdpLayer(this.ip, this.icmp, this.dropCounters, log);
    this.tcp = new TcpLayer(this.ip, this.icmp, this.dropCounters, log, options.tcp);
    let internalErrorLogged = false;
    this.listening = network.listen((frame, checksumVerified) => {
      try {
        this.ethernet.input(frame, checksumVerified === true);
      } catch (e) {
        // A bug, not a packet's fault: count it, say it once, keep serving.
        this.dropCounters.count('stack.internal-error');
        if (!internalErrorLogged) {
          internalErrorLogged = true;
          this.log(
            `Manager: internal error while handling a frame (counted as stack.internal-error): ${e instanceof Error ? e.stack : String(e)}`,
          );
        }
      }
    });
  }

  /**
   * Connects the stack to `network` and configures it: from DHCP when `dhcp`
   * is true (waiting for a lease), else statically from `ipv4`
   * (`10.0.0.2/24`) and `gateway` (`10.0.0.1`, or empty for none).
   */
  static async connect(
    console: Console,
    network: Network,
    dhcp: boolean,
    ipv4: string,
    gateway: string,
    options: DirectStackOptions = {},
  ): Promise<DirectStackv4> {
    const prefix = parseIpv4Prefix(ipv4);
    if (!dhcp && prefix === null)
      throw new Error(`--ipv4=${ipv4} is not an address with a prefix length; write it like 10.0.0.2/24`);
    const gw = gateway.trim() === '' ? null : parseIpv4(gateway);
    if (!dhcp && gw === null && gateway.trim() !== '')
      throw new Error(`--ipv4-gateway=${gateway} is not an IPv4 address; write it like 10.0.0.1`);
    const log = options.log ?? consoleLog(console);
    log('Manager: connect');
    const stack = new DirectStackv4(network, log, options);
    log('Manager: configuring');
    if (dhcp) {
      const client = new DhcpClient(
        stack.udp,
        stack.ip,
        stack.ethernet.macNumber,
        stack.dropCounters,
        log,
        options.dhcp,
      );
      stack.dhcpClient = client;
      await client.start();
    } else if (prefix) {
      log(
        `Manager: Interface to ${formatIpv4(prefix.address)} nm ${formatIpv4(prefix.netmask)} gw [${gw === null ? '' : formatIpv4(gw)}]\n`,
      );
      stack.ip.setNumbers({ address: prefix.address, netmask: prefix.netmask, gateway: gw });
    }
    log('Manager: configuration done');
    return stack;
  }

  listenUdpv4(port: number, callback: UdpCallback): Promise<Result<void, NetError>> {
    return Promise.resolve(
      this.disconnected ? fail('disconnected', 'the stack is disconnected') : this.udp.listen(port, callback),
    );
  }

  listenTcpv4(port: number, callback: TcpCallback): Promise<Result<void, NetError>> {
    return Promise.resolve(
      this.disconnected ? fail('disconnected', 'the stack is disconnected') : this.tcp.listen(port, callback),
    );
  }

  udpv4(): Udpv4 {
    return this.udp;
  }

  tcpv4(): Tcpv4 {
    return this.tcp;
  }

  ipv4Addresses(): string[] {
    const c = this.ip.numbers;
    return c ? [formatIpv4(c.address)] : [];
  }

  /** The DHCP lease in use, or null for a static configuration. */
  lease(): DhcpLease | null {
    return this.dhcpClient?.lease() ?? null;
  }

  /** TCP connections by state and the bytes they buffer. */
  tcpStats(): TcpStats {
    return this.tcp.stats();
  }

  /** Packets dropped so far, by reason (`ipv4.bad-checksum`: 3, ...). */
  drops(): Record<string, number> {
    return this.dropCounters.snapshot();
  }

  async listen(): Promise<void> {
    await this.listening;
  }

  async disconnect(): Promise<void> {
    if (this.disconnected) return;
    this.disconnected = true;
    this.dhcpClient?.stop();
    this.tcp.disconnect();
    this.icmp.disconnect();
    await this.arp.disconnect();
    await this.ip.disconnect();
    await this.ethernet.disconnect();
    await this.listening;
  }
}
