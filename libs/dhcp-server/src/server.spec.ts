import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIpv4, parseIpv4, parseMac } from '@mirage-ts/tcpip/wire/address';
import {
  addressesOf,
  byteOption,
  DhcpMessageType as T,
  DhcpOptionCode as O,
  emitDhcp,
  ipOption,
  optionData,
  parseDhcp,
  u32Of,
  u32Option,
  type DhcpMessage,
  type DhcpOption,
} from '@mirage-ts/tcpip/wire/dhcp';
import { parseDhcpdConf } from './conf';
import { DhcpServer, type DhcpOutcome } from './server';

const ip = (s: string) => parseIpv4(s) as number;
const mac = (s: string) => parseMac(s) as number;
const SERVER = ip('192.168.1.5');
const skeleton = readFileSync(join(__dirname, 'fixtures/dhcpd.conf'), 'utf8');

function msg(
  type: number,
  chaddr: string,
  extra: { ciaddr?: string; giaddr?: string; options?: DhcpOption[]; broadcast?: boolean; xid?: number } = {},
): DhcpMessage {
  const bytes = emitDhcp({
    op: 1,
    xid: extra.xid ?? 0x1234,
    chaddr: mac(chaddr),
    ciaddr: extra.ciaddr ? ip(extra.ciaddr) : 0,
    giaddr: extra.giaddr ? ip(extra.giaddr) : 0,
    broadcast: extra.broadcast,
    options: [byteOption(O.messageType, type), ...(extra.options ?? [])],
  });
  const m = parseDhcp(bytes, 0, bytes.length);
  if (typeof m === 'string') throw new Error(m);
  return m;
}

function reply(out: DhcpOutcome) {
  if (out.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(out)}`);
  const bytes = emitDhcp(out.reply);
  const m = parseDhcp(bytes, 0, bytes.length) as DhcpMessage;
  return { m, type: optionData(m, O.messageType)?.[0], yiaddr: formatIpv4(m.yiaddr), out };
}

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

function dora(s: DhcpServer, chaddr: string, now = 0) {
  const offer = reply(s.handle(msg(T.discover, chaddr), now));
  expect(offer.type).toBe(T.offer);
  const ack = reply(
    s.handle(
      msg(T.request, chaddr, {
        options: [ipOption(O.requestedIp, offer.m.yiaddr), ipOption(O.serverId, SERVER)],
      }),
      now,
    ),
  );
  expect(ack.type).toBe(T.ack);
  return ack;
}

describe('DHCP server (RFC 2131)', () => {
  const fresh = (text = skeleton) => new DhcpServer({ conf: parseDhcpdConf(text), serverIp: SERVER });

  it('offers from the range with the configured options, then ACKs the request', () => {
    const s = fresh();
    const offer = reply(s.handle(msg(T.discover, A), 0));
    expect(offer.type).toBe(T.offer);
    expect(offer.yiaddr).toBe('192.168.1.70');
    expect(addressesOf(optionData(offer.m, O.router)).map(formatIpv4)).toEqual(['192.168.1.1']);
    expect(addressesOf(optionData(offer.m, O.dnsServer)).map(formatIpv4)).toEqual(['192.168.1.1']);
    expect(Buffer.from(optionData(offer.m, O.domainName) ?? []).toString()).toBe('charrua');
    expect(formatIpv4(u32Of(optionData(offer.m, O.subnetMask)) ?? 0)).toBe('255.255.255.0');
    expect(formatIpv4(u32Of(optionData(offer.m, O.serverId)) ?? 0)).toBe('192.168.1.5');
    expect(u32Of(optionData(offer.m, O.leaseTime))).toBe(3600);
    // No broadcast flag, no ciaddr: unicast to the offered address at the client's MAC.
    expect(offer.out.kind === 'reply' && [formatIpv4(offer.out.dstIp), offer.out.dstMac]).toEqual([
      '192.168.1.70',
      mac(A),
    ]);
    const ack = dora(s, A);
    expect(ack.yiaddr).toBe('192.168.1.70');
    // A second client gets the next address.
    expect(dora(s, B).yiaddr).toBe('192.168.1.71');
  });

  it('gives a known MAC its fixed address', () => {
    const s = fresh();
    expect(dora(s, '00:1d:72:80:e9:10').yiaddr).toBe('192.168.1.10');
    expect(dora(s, '00:1d:e0:06:74:11').yiaddr).toBe('192.168.1.11');
    const nak = reply(
      s.handle(msg(T.request, '00:1d:72:80:e9:10', { options: [ipOption(O.requestedIp, ip('192.168.1.70'))] }), 0),
    );
    expect(nak.type).toBe(T.nak);
  });

  it('NAKs a wrong or foreign address and broadcasts the NAK', () => {
    const s = fresh();
    dora(s, A);
    const wrong = reply(s.handle(msg(T.request, A, { options: [ipOption(O.requestedIp, ip('192.168.1.80'))] }), 1));
    expect(wrong.type).toBe(T.nak);
    expect(wrong.out.kind === 'reply' && wrong.out.dstIp).toBe(0xffff_ffff);
    const foreign = reply(s.handle(msg(T.request, B, { options: [ipOption(O.requestedIp, ip('10.1.2.3'))] }), 1));
    expect(foreign.type).toBe(T.nak);
    expect(Buffer.from(optionData(foreign.m, O.message) ?? []).toString()).toContain('not on subnet');
    // B asks, at INIT-REBOOT, for the address A holds.
    const taken = reply(s.handle(msg(T.request, B, { options: [ipOption(O.requestedIp, ip('192.168.1.70'))] }), 1));
    expect(taken.type).toBe(T.nak);
  });

  it('stays silent when the client picked another server', () => {
    const s = fresh();
    reply(s.handle(msg(T.discover, A), 0));
    const out = s.handle(
      msg(T.request, A, {
        options: [ipOption(O.requestedIp, ip('192.168.1.70')), ipOption(O.serverId, ip('192.168.1.6'))],
      }),
      0,
    );
    expect(out.kind).toBe('silence');
    // The offer was withdrawn: B gets .70.
    expect(reply(s.handle(msg(T.discover, B), 0)).yiaddr).toBe('192.168.1.70');
  });

  it('renews by unicast (RENEWING) and extends the lease', () => {
    const s = fresh('default-lease-time 10;\n' + skeleton);
    dora(s, A, 0);
    const renew = reply(s.handle(msg(T.request, A, { ciaddr: '192.168.1.70' }), 6));
    expect(renew.type).toBe(T.ack);
    expect(u32Of(optionData(renew.m, O.leaseTime))).toBe(10);
    expect(renew.out.kind === 'reply' && formatIpv4(renew.out.dstIp)).toBe('192.168.1.70');
    // Still A's at t=14 because the renewal at 6 moved expiry to 16.
    expect(reply(s.handle(msg(T.discover, B), 14)).yiaddr).toBe('192.168.1.71');
  });

  it('lets a lease expire and gives the address to another client', () => {
    const s = fresh('default-lease-time 10;\n' + skeleton);
    dora(s, A, 0);
    expect(reply(s.handle(msg(T.discover, B), 5)).yiaddr).toBe('192.168.1.71');
    expect(reply(s.handle(msg(T.discover, '02:00:00:00:00:0c'), 100)).yiaddr).toBe('192.168.1.70');
  });

  it('frees an address on RELEASE', () => {
    const s = fresh();
    dora(s, A);
    expect(s.handle(msg(T.release, A, { ciaddr: '192.168.1.70' }), 1).kind).toBe('silence');
    expect(reply(s.handle(msg(T.discover, B), 1)).yiaddr).toBe('192.168.1.70');
  });

  it('keeps a declined address out of the pool', () => {
    const s = fresh();
    dora(s, A);
    const out = s.handle(msg(T.decline, A, { options: [ipOption(O.requestedIp, ip('192.168.1.70'))] }), 1);
    expect(out.kind === 'warning' && out.text).toContain('declined 192.168.1.70');
    expect(reply(s.handle(msg(T.discover, A), 2)).yiaddr).toBe('192.168.1.71');
  });

  it('answers INFORM with options and no lease', () => {
    const s = fresh();
    const ack = reply(s.handle(msg(T.inform, A, { ciaddr: '192.168.1.40' }), 0));
    expect(ack.type).toBe(T.ack);
    expect(ack.yiaddr).toBe('0.0.0.0');
    expect(optionData(ack.m, O.leaseTime)).toBeUndefined();
    expect(optionData(ack.m, O.router)).toBeDefined();
  });

  it('honours a requested lease time up to max-lease-time', () => {
    const s = fresh('default-lease-time 100;\nmax-lease-time 200;\n' + skeleton);
    const offer = reply(s.handle(msg(T.discover, A, { options: [u32Option(O.leaseTime, 100000)] }), 0));
    expect(u32Of(optionData(offer.m, O.leaseTime))).toBe(200);
  });

  it('offers nothing when the range is full, and says why', () => {
    const s = fresh('subnet 192.168.1.0 netmask 255.255.255.0 {\n range 192.168.1.70 192.168.1.71;\n}\n');
    dora(s, A);
    dora(s, B);
    const out = s.handle(msg(T.discover, '02:00:00:00:00:0c'), 0);
    expect(out.kind).toBe('warning');
    expect(out.kind === 'warning' && out.text).toContain('all 2 addresses of range 192.168.1.70 - 192.168.1.71');
  });

  it('broadcasts the reply when the client sets the broadcast flag', () => {
    const s = fresh();
    const offer = reply(s.handle(msg(T.discover, A, { broadcast: true }), 0));
    expect(offer.out.kind === 'reply' && [offer.out.dstIp, offer.out.dstMac]).toEqual([0xffff_ffff, 0xffff_ffff_ffff]);
  });

  it('serves a relay agent on the subnet at its server port, giaddr kept (RFC 2131 4.1, as perfdhcp asks)', () => {
    const s = fresh();
    const offer = reply(s.handle(msg(T.discover, A, { giaddr: '192.168.1.2' }), 0));
    expect(offer.yiaddr).toBe('192.168.1.70');
    expect(formatIpv4(offer.m.giaddr)).toBe('192.168.1.2');
    expect(offer.out.kind === 'reply' && [formatIpv4(offer.out.dstIp), offer.out.dstPort, offer.out.dstMac]).toEqual([
      '192.168.1.2',
      67,
      null,
    ]);
    const nak = reply(
      s.handle(msg(T.request, A, { giaddr: '192.168.1.2', options: [ipOption(O.requestedIp, ip('192.168.1.99'))] }), 0),
    );
    expect(nak.type).toBe(T.nak);
    // Through a relay the NAK asks the relay to broadcast it on the client's link.
    expect([nak.m.broadcast, nak.out.kind === 'reply' && nak.out.dstPort]).toEqual([true, 67]);
  });

  it('stays silent to a relay agent off its subnet', () => {
    const out = fresh().handle(msg(T.discover, A, { giaddr: '10.1.2.3' }), 0);
    expect(out).toEqual({ kind: 'silence', why: 'relayed from 10.1.2.3, which is not on subnet 192.168.1.0' });
  });

  it('refuses to start when no subnet holds its address', () => {
    expect(() => new DhcpServer({ conf: parseDhcpdConf(skeleton), serverIp: ip('10.0.0.5') })).toThrow(
      /no subnet in dhcpd.conf holds the server's address 10.0.0.5/,
    );
  });
});
