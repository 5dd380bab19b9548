import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIpv4, formatMac } from '@mirage-ts/tcpip/wire/address';
import { DhcpConfError, parseDhcpdConf } from './conf';

const skeleton = readFileSync(join(__dirname, 'fixtures/dhcpd.conf'), 'utf8');

function errorOf(text: string): string {
  try {
    parseDhcpdConf(text, 'x.conf');
  } catch (e) {
    expect(e).toBeInstanceOf(DhcpConfError);
    return (e as Error).message;
  }
  throw new Error('expected the reader to refuse the text');
}

describe('dhcpd.conf reader', () => {
  it("reads the skeleton's dhcpd.conf", () => {
    const conf = parseDhcpdConf(skeleton);
    expect(conf.options.domainName).toBe('charrua');
    expect(conf.subnets).toHaveLength(1);
    const [s] = conf.subnets;
    expect(formatIpv4(s.network)).toBe('192.168.1.0');
    expect(formatIpv4(s.netmask)).toBe('255.255.255.0');
    expect(s.options.routers?.map(formatIpv4)).toEqual(['192.168.1.1']);
    expect(s.options.domainNameServers?.map(formatIpv4)).toEqual(['192.168.1.1']);
    expect(s.range && [formatIpv4(s.range.start), formatIpv4(s.range.end)]).toEqual(['192.168.1.70', '192.168.1.100']);
    expect(s.hosts.map((h) => [h.name, formatMac(h.mac), formatIpv4(h.fixedAddress)])).toEqual([
      ['montevideo', '00:1d:72:80:e9:10', '192.168.1.10'],
      ['garra', '00:1d:e0:06:74:11', '192.168.1.11'],
    ]);
  });

  it('reads lists, lease times and statements split across lines', () => {
    const conf = parseDhcpdConf(
      'default-lease-time 20;\nmax-lease-time 40;\nsubnet 10.0.0.0\n netmask 255.255.0.0 {\n option domain-name-servers 10.0.0.1,\n 10.0.0.2;\n}\n',
    );
    expect(conf.defaultLeaseTime).toBe(20);
    expect(conf.maxLeaseTime).toBe(40);
    expect(conf.subnets[0].options.domainNameServers?.map(formatIpv4)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(conf.subnets[0].range).toBeUndefined();
  });

  it.each([
    ['option ntp-servers 1.2.3.4;', "x.conf:1: unsupported option 'ntp-servers'"],
    ['\n\nfailover peer "a" {}', "x.conf:3: unsupported statement 'failover'"],
    ['option domain-name charrua;', 'x.conf:1: option domain-name takes a quoted string'],
    ['option routers 192.168.1;', "x.conf:1: '192.168.1' is not an IPv4 address"],
    ['option routers 10.0.0.1', "x.conf:1: expected ';' after 'routers'"],
    ['option domain-name "abc\n";', 'x.conf:1: unterminated string'],
    ['subnet 10.0.0.0 netmask 255.0.255.0 { }', 'x.conf:1: netmask 255.0.255.0 is not contiguous'],
    ['subnet 10.0.0.1 netmask 255.255.255.0 { }', 'x.conf:1: subnet 10.0.0.1 has host bits set'],
    [
      'subnet 10.0.0.0 netmask 255.255.255.0 {\n range 10.0.0.9 10.0.0.2;\n}',
      'x.conf:2: range 10.0.0.9 10.0.0.2 runs backwards',
    ],
    [
      'subnet 10.0.0.0 netmask 255.255.255.0 {\n range 10.0.1.2 10.0.1.9;\n}',
      'x.conf:2: range 10.0.1.2 10.0.1.9 is outside subnet',
    ],
    [
      'subnet 10.0.0.0 netmask 255.255.255.0 {\n range 10.0.0.2 10.0.0.9;\n',
      "x.conf:3: unexpected end of file, expected '}' closing the subnet opened on line 1",
    ],
    [
      'subnet 10.0.0.0 netmask 255.255.255.0 {\n host a {\n  hardware ethernet 00:11:22;\n }\n}',
      "x.conf:3: '00:11:22' is not a MAC address",
    ],
    [
      'subnet 10.0.0.0 netmask 255.255.255.0 {\n host a {\n  hardware ethernet 00:11:22:33:44:55;\n }\n}',
      "x.conf:2: host a has no 'fixed-address' line",
    ],
    [
      'subnet 10.0.0.0 netmask 255.255.255.0 {\n host a {\n  hardware token-ring 00:11:22:33:44:55;\n }\n}',
      "x.conf:3: only 'hardware ethernet' is supported",
    ],
    ['default-lease-time soon;', "x.conf:1: 'soon' is not a positive number of seconds"],
    ['subnet 10.0.0.0 255.255.255.0 { }', "x.conf:1: expected 'netmask' after 'subnet', found '255.255.255.0'"],
  ])('refuses %j with file:line', (text, message) => {
    expect(errorOf(text)).toContain(message);
  });
});
