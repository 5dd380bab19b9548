import * as fs from 'node:fs';
import * as path from 'node:path';
import { Name } from './name';
import { rdataKey } from './rdata';
import { typeName } from './types';
import { parseZoneFile, ZoneFileError } from './zonefile';

// The skeleton's zone, as the dns example carries it.
const TEST_ZONE = path.join(__dirname, '../../../apps/dns/data/test.zone');
const zoneText = () => fs.readFileSync(TEST_ZONE, 'utf8');

describe('parseZoneFile on the skeleton test.zone', () => {
  const records = parseZoneFile(zoneText(), { file: 'test.zone' });
  const at = (name: string, type: string) =>
    records.filter((r) => r.name.equals(Name.parse(name)) && typeName(r.type) === type);

  it('reads every record of the file', () => {
    expect(records).toHaveLength(63);
    const types = new Set(records.map((r) => typeName(r.type)));
    for (const t of ['SOA', 'MX', 'NS', 'A', 'CNAME', 'TXT', 'MD', 'MF', 'MB', 'MG', 'MR', 'WKS', 'PTR', 'HINFO'])
      expect(types).toContain(t);
    for (const t of ['MINFO', 'RP', 'AFSDB', 'X25', 'ISDN', 'RT', 'SRV', 'AAAA', 'DNSKEY', 'RRSIG'])
      expect(types).toContain(t);
  });

  it('joins the SOA across parentheses, skips its comment, and unescapes \\.', () => {
    const [soa] = at('d1.signpo.st.', 'SOA');
    expect(soa.line).toBe(8);
    expect(soa.rdata[1]).toEqual({ name: Name.of(['john.doe', 'd1', 'signpo', 'st']) });
    expect(rdataKey(soa.rdata)).toBe(
      'ns0.d1.signpo.st. john\\.doe.d1.signpo.st. ' +
        Buffer.from([0x43, 0xc4, 0xdc, 0xfd, 0, 0, 0x0e, 0x10, 0, 0, 7, 8, 0, 0x2e, 0x24, 0x80, 0, 0, 7, 8]).toString(
          'hex',
        ),
    );
  });

  it('resolves \\DDD, @, relative names, omitted owners and TTL/class in either order', () => {
    const ns = at('d1.signpo.st.', 'NS');
    expect(ns.map((r) => rdataKey(r.rdata))).toEqual([
      'ns0.d1.signpo.st.',
      'ns.isp.net.',
      'ns2.isp.net.',
      'ns3.isp.net.',
      'ns4.isp.net.',
    ]);
    expect(ns.every((r) => r.ttl === 604800 && r.class === 1)).toBe(true);
    expect(at('d1.signpo.st.', 'MX')).toHaveLength(3);
    expect(at('three.two.one.d1.signpo.st.', 'A')[0].ttl).toBe(604800); // $TTL, not the last explicit 172800
    expect(at('uk.', 'NS')[0].ttl).toBe(1000);
  });

  it('reads the obscure types as their RFCs lay them out', () => {
    const hex = (name: string, type: string) => at(name, type).map((r) => rdataKey(r.rdata));
    expect(hex('types.d1.signpo.st.', 'HINFO')).toEqual([Buffer.from('\x03CPU\x12Operating "System"').toString('hex')]);
    expect(hex('types.d1.signpo.st.', 'WKS')[1]).toBe('7f0000010600001240'); // tcp 22 25 chargen(19)
    expect(hex('types.d1.signpo.st.', 'AAAA')).toContain('0000000000000000000000000d014403'); // ::13.1.68.3
    expect(hex('types.d1.signpo.st.', 'AAAA')).toContain('00000000000000000000ffff81903426');
    expect(hex('types.d1.signpo.st.', 'ISDN')[1]).toBe(Buffer.from('\x0f150862028003217\x03004').toString('hex'));
    const [sig] = at('types.d1.signpo.st.', 'RRSIG');
    // type A, alg 8, 4 labels, 7200, 1351598296, 1351698296, key tag 20331
    expect(Buffer.from((sig.rdata[0] as { bytes: Uint8Array }).bytes).toString('hex')).toBe(
      '0001080400001c20508fc0d8509147784f6b',
    );
  });
});

describe('parseZoneFile errors name the file and line', () => {
  const bad = (text: string) => {
    try {
      parseZoneFile(text, { file: 'z.zone' });
    } catch (e) {
      expect(e).toBeInstanceOf(ZoneFileError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  const head = '$ORIGIN example.\n$TTL 60\n';
  it.each([
    [`${head}www IN A 300.1.1.1\n`, /^z\.zone:3: A: "300\.1\.1\.1" is not an IPv4 address/],
    [`${head}\nwww IN FOO bar\n`, /^z\.zone:4: unknown type "FOO"/],
    [`${head}www IN TXT "open\n`, /^z\.zone:3: a quoted string runs past/],
    [`${head}@ SOA ( a b 1 2 3\n 4 5\n`, /^z\.zone:3: "\(" is never closed/],
    [`${head}www IN MX 10\n`, /^z\.zone:3: MX: expected 2 fields, found 1/],
    [`${head}www IN TYPE999 1 2\n`, /^z\.zone:3: TYPE999: .*\\# <length> <hex>/],
    [`${head}www IN TYPE999 \\# 2 0a\n`, /^z\.zone:3: TYPE999: \\# says 2 bytes but has 1/],
    [`www A 1.2.3.4\n`, /^z\.zone:1: owner name: relative name "www" without an \$ORIGIN/],
    [`$INCLUDE other\n`, /^z\.zone:1: \$INCLUDE is not supported/],
    [`${head} A 1.2.3.4\n`, /^z\.zone:3: the first record has no owner name/],
    [`${head}a\\300 A 1.2.3.4\n`, /^z\.zone:3: owner name: escape \\300 is above 255/],
  ])('%j', (text, message) => {
    expect(bad(text)).toMatch(message);
  });

  it('reads RFC 3597 generic data for any type', () => {
    const [r] = parseZoneFile(`${head}x TYPE65280 \\# 3 ab ( CD\n ef )\n`);
    expect(r.type).toBe(65280);
    expect(rdataKey(r.rdata)).toBe('abcdef');
  });
});
