import { DropCounters } from '@mirage-ts/tcpip/drops';
import { formatIpv4, parseMac } from '@mirage-ts/tcpip/wire/address';
import type { Console, Network } from '@mirage-ts/types';
import type { DhcpConf } from './conf';
import { describeDhcp, encodeDhcpFrame, FrameDecoder } from './frames';
import { DhcpServer } from './server';

export interface DhcpServiceOptions {
  readonly conf: DhcpConf;
  readonly ipaddr: number;
  /** ANSI colours as the skeleton prints them; by default only on a terminal. */
  readonly color?: boolean;
  /** Seconds; the host clock by default. */
  readonly now?: () => number;
  /** Logs every message the server stays silent on (the skeleton does not). */
  readonly verbose?: boolean;
}

/** At most this many drop lines a second: a flood of garbage must not become a flood of log. */
const DROP_LINES_PER_SECOND = 10;

const paint = (code: number, on: boolean) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[m` : s);

/**
 * A DHCP server straight on a network device, below any IP stack (as the
 * skeleton's unikernel): it answers ARP for its own address and DHCP on
 * port 67, and ignores everything else.
 */
export class DhcpService {
  readonly server: DhcpServer;
  readonly drops = new DropCounters();
  private readonly decoder: FrameDecoder;
  private readonly mac: number;
  private readonly now: () => number;
  private dropLogSecond = -1;
  private dropLinesThisSecond = 0;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly blue: (s: string) => string;

  constructor(
    private readonly console: Console,
    private readonly net: Network,
    private readonly opts: DhcpServiceOptions,
  ) {
    const mac = parseMac(net.mac);
    if (mac === null) throw new Error(`the network device has no usable MAC address (${net.mac})`);
    this.mac = mac;
    this.server = new DhcpServer({ conf: opts.conf, serverIp: opts.ipaddr });
    this.decoder = new FrameDecoder(mac, opts.ipaddr, this.drops);
    this.now = opts.now ?? (() => Date.now() / 1000);
    const color = opts.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
    this.red = paint(31, color);
    this.green = paint(32, color);
    this.yellow = paint(33, color);
    this.blue = paint(36, color);
  }

  private log(line: string): void {
    this.console.log(line).catch(() => undefined);
  }

  /** Handles one frame; never throws (a network server never crashes on a packet). */
  async input(frame: Uint8Array): Promise<void> {
    try {
      const d = this.decoder.decode(frame);
      if (d.kind === 'arp-request') {
        await this.net.write(d.reply);
        return;
      }
      if (d.kind === 'dropped') {
        this.logDrop(d.reason);
        return;
      }
      if (d.kind !== 'dhcp') return;
      const out = this.server.handle(d.message, this.now());
      if (out.kind === 'silence') {
        if (this.opts.verbose) this.log(`No reply to ${describeDhcp(d.message)}: ${out.why}`);
        return;
      }
      if (out.kind === 'warning') {
        this.log(this.yellow(out.text));
        return;
      }
      this.log(this.blue(`Received packet ${describeDhcp(d.message)}`));
      const dstMac = out.dstMac ?? d.srcMac;
      const res = await this.net.write(
        encodeDhcpFrame(out.reply, this.mac, this.opts.ipaddr, dstMac, out.dstIp, out.dstPort),
      );
      if (!res.ok) this.log(this.red(`Could not send the reply: ${res.error.message}`));
      else this.log(this.blue(`Sent reply packet ${describeDhcp(out.reply)}`));
    } catch (e) {
      this.drops.count('dhcp.internal-error');
      this.log(this.red(`Dropped a packet on an internal error: ${(e as Error).message}`));
    }
  }

  /** One line per dropped packet with the counts so far, e.g. `dhcp.truncated 2, udp.bad-checksum 1`. */
  private logDrop(reason: string): void {
    const second = Math.floor(this.now());
    if (second !== this.dropLogSecond) {
      this.dropLogSecond = second;
      this.dropLinesThisSecond = 0;
    }
    if (++this.dropLinesThisSecond > DROP_LINES_PER_SECOND) return;
    const counts = Object.entries(this.drops.snapshot())
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    this.log(this.yellow(`Dropped a malformed packet (${reason}); dropped so far: ${this.drops.total()} (${counts})`));
  }

  /** Serves until the device disconnects. */
  async listen(): Promise<void> {
    this.log(this.green(`DHCP server on ${formatIpv4(this.opts.ipaddr)} (${this.net.mac})`));
    const r = await this.net.listen((frame) => {
      // Frames are reused after the callback: copy before the first await.
      void this.input(Uint8Array.from(frame));
    });
    if (!r.ok) throw new Error(`network device failed: ${r.error.message}`);
  }
}
