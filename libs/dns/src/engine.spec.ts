import * as path from 'node:path';
import * as fs from 'node:fs';
import { EDNS_PAYLOAD, handleQuery } from './engine';
import { Name } from './name';
import { rdataKey } from './rdata';
import { RCODE, RRTYPES, typeName } from './types';
import { decodeMessage, encodeMessage, NO_FLAGS, optRecord, type Message } from './wire';
import { ZoneSet } from './zone';
import { parseZoneFile } from './zonefile';

const loaded = ZoneSet.load(
  parseZoneFile(fs.readFileSync(path.join(__dirname, '../../../apps/dns/data/test.zone'), 'utf8')),
);
const zones = loaded.zones;

function ask(name: string, type: string, opts: { edns?: number; tcp?: boolean; zs?: ZoneSet } = {}): Message {
  const q: Message = {
    id: 7,
    flags: { ...NO_FLAGS, rd: true },
    questions: [{ name: Name.parse(name), type: RRTYPES[type] ?? Number(type), class: 1 }],
    answers: [],
    authorities: [],
    additionals: opts.edns ? [optRecord(opts.edns)] : [],
  };
  const out = handleQuery(opts.zs ?? zones, encodeMessage(q), { kind: opts.tcp ? 'tcp' : 'udp' });
  if (!out) throw new Error('no reply');
  const m = decodeMessage(out);
  if (!m.ok) throw new Error(m.error.message);
  return m.value;
}
const show = (rrs: Message['answers']) => rrs.map((r) => `${r.name.key} ${typeName(r.type)} ${rdataKey(r.rdata)}`);

describe('the authoritative engine on test.zone', () => {
  it('loads two zones and leaves out uk.', () => {
    expect(zones.zones.map((z) => z.apex.key)).toEqual(['d1.signpo.st.', 'types.d1.signpo.st.']);
    expect(loaded.warnings).toEqual(['line 27: uk. is outside every zone of the file; left out']);
  });

  it('answers with AA, the NS set in authority and addresses in additional', () => {
    const m = ask('d1.signpo.st.', 'MX');
    expect(m.flags).toMatchObject({ qr: true, aa: true, rd: true, ra: false, rcode: 0 });
    expect(m.answers).toHaveLength(3);
    expect(m.authorities.map((r) => typeName(r.type))).toEqual(['NS', 'NS', 'NS', 'NS', 'NS']);
    expect(show(m.additionals)).toEqual(['mail.d1.signpo.st. A 7f00005e', 'ns0.d1.signpo.st. A 7f00005e']);
  });

  it('keeps the case of the query in the question and the answer owner', () => {
    const m = ask('MaIl.D1.SignPo.st.', 'A');
    expect(m.questions[0].name.toString()).toBe('MaIl.D1.SignPo.st.');
    expect(m.answers[0].name.toString()).toBe('MaIl.D1.SignPo.st.');
  });

  it('gives NXDOMAIN and NODATA with the SOA, its TTL capped by MINIMUM', () => {
    const nx = ask('nope.d1.signpo.st.', 'A');
    expect(nx.flags.rcode).toBe(RCODE.NXDOMAIN);
    expect(nx.flags.aa).toBe(true);
    expect(nx.authorities.map((r) => [typeName(r.type), r.ttl])).toEqual([['SOA', 1800]]);
    for (const [name, type] of [
      ['www.d1.signpo.st.', 'AAAA'],
      ['two.one.d1.signpo.st.', 'A'], // an empty non-terminal exists
    ]) {
      const m = ask(name, type);
      expect([m.flags.rcode, m.answers.length, typeName(m.authorities[0].type)]).toEqual([0, 0, 'SOA']);
    }
  });

  it('refers below a delegation without AA', () => {
    const m = ask('host.delegated.d1.signpo.st.', 'A');
    expect(m.flags.aa).toBe(false);
    expect(m.answers).toEqual([]);
    expect(show(m.authorities)).toHaveLength(3);
    expect(m.authorities.every((r) => r.name.key === 'delegated.d1.signpo.st.' && r.type === RRTYPES.NS)).toBe(true);
  });

  it('follows CNAME chains and stops at a loop', () => {
    const m = ask('alias.d1.signpo.st.', 'TXT');
    expect(show(m.answers)).toEqual([
      'alias.d1.signpo.st. CNAME real.d1.signpo.st.',
      `real.d1.signpo.st. TXT ${Buffer.from('\x0dHello, world!').toString('hex')}`,
    ]);
    const loop = ask('one.loop.d1.signpo.st.', 'A');
    expect(loop.answers.map((r) => r.name.labels[0])).toEqual(['one', 'two', 'three', 'four']);
    expect(ask('alias.d1.signpo.st.', 'CNAME').answers).toHaveLength(1);
  });

  it('refuses names outside its zones', () => {
    const m = ask('uk.', 'NS');
    expect([m.flags.rcode, m.flags.aa, m.answers.length]).toEqual([RCODE.REFUSED, false, 0]);
  });

  it('answers ANY with the first RRset of the name', () => {
    expect(show(ask('types.d1.signpo.st.', 'ANY').answers)).toEqual(['types.d1.signpo.st. A 7f000001']);
  });

  it('serves types.d1.signpo.st as its own zone', () => {
    const m = ask('nothing.types.d1.signpo.st.', 'A');
    expect(m.authorities[0].name.key).toBe('types.d1.signpo.st.');
  });

  it('echoes EDNS0 with its own payload size and refuses unknown versions', () => {
    const m = ask('www.d1.signpo.st.', 'A', { edns: 4096 });
    expect(m.additionals.filter((r) => r.type === RRTYPES.OPT).map((r) => r.class)).toEqual([EDNS_PAYLOAD]);
    expect(ask('www.d1.signpo.st.', 'A').additionals.some((r) => r.type === RRTYPES.OPT)).toBe(false);
    const v1 = encodeMessage({
      ...m,
      flags: NO_FLAGS,
      answers: [],
      authorities: [],
      additionals: [{ ...optRecord(4096), ttl: 1 << 16 }],
    });
    const bad = decodeMessage(handleQuery(zones, v1, { kind: 'udp' })!);
    if (!bad.ok) throw new Error(bad.error.message);
    expect(bad.value.answers).toEqual([]);
    expect(bad.value.additionals[0].ttl >>> 24).toBe(RCODE.BADVERS >> 4);
  });
});

describe('truncation', () => {
  // 40 TXT records of 100 bytes: about 4.5 KB, more than any UDP limit here.
  const big = ZoneSet.load(
    parseZoneFile(
      '$ORIGIN big.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 10.0.0.1\n' +
        Array.from({ length: 40 }, (_, i) => `t TXT "${String(i).padStart(100, 'x')}"\n`).join(''),
    ),
  ).zones;
  it('sets TC over UDP below 512 bytes or the EDNS0 size, never over TCP', () => {
    const plain = ask('t.big.', 'TXT', { zs: big });
    expect(plain.flags.tc).toBe(true);
    expect(plain.answers).toEqual([]);
    expect(ask('t.big.', 'TXT', { zs: big, edns: 4096 }).flags.tc).toBe(true);
    const tcp = ask('t.big.', 'TXT', { zs: big, tcp: true });
    expect([tcp.flags.tc, tcp.answers.length]).toEqual([false, 40]);
    expect(ask('ns.big.', 'A', { zs: big }).flags.tc).toBe(false);
  });
});

describe('bad queries', () => {
  const raw = (hex: string) => handleQuery(zones, Buffer.from(hex, 'hex'), { kind: 'udp' });
  it('drops responses and runts, answers FORMERR to garbage with a header', () => {
    expect(raw('1234')).toBeNull();
    expect(raw('12348000000100000000000000000100')).toBeNull();
    const f = raw('12340000000100000000000003777777');
    expect(f && Buffer.from(f).toString('hex')).toBe('123480010000000000000000');
  });
  it('answers NOTIMP to other opcodes', () => {
    const q = encodeMessage({
      ...ask('www.d1.signpo.st.', 'A'),
      flags: { ...NO_FLAGS, opcode: 2 },
      answers: [],
      authorities: [],
    });
    const m = decodeMessage(handleQuery(zones, q, { kind: 'udp' })!);
    expect(m.ok && m.value.flags.rcode).toBe(RCODE.NOTIMP);
  });
});

describe('the engine on hostile input', () => {
  it('never throws on mutated queries, and answers only with well-formed messages', () => {
    let s = 2015;
    const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const seeds = [
      'www.d1.signpo.st.',
      'x.delegated.d1.signpo.st.',
      'one.loop.d1.signpo.st.',
      'types.d1.signpo.st.',
    ].map((n, i) =>
      encodeMessage({
        id: i,
        flags: NO_FLAGS,
        questions: [{ name: Name.parse(n), type: [1, 255, 5, 28][i], class: 1 }],
        answers: [],
        authorities: [],
        additionals: [optRecord(4096)],
      }),
    );
    let answered = 0;
    for (let i = 0; i < 4000; i++) {
      const buf = Uint8Array.from(seeds[i % seeds.length]);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++)
        buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      const out = handleQuery(zones, buf.subarray(0, buf.length - Math.floor(rand() * 3)), {
        kind: i % 2 ? 'udp' : 'tcp',
      });
      if (!out) continue;
      answered++;
      if (out.length > 12) expect(decodeMessage(out).ok).toBe(true);
      expect(out.length).toBeLessThanOrEqual(i % 2 ? EDNS_PAYLOAD : 65535);
    }
    expect(answered).toBeGreaterThan(1000);
  });
});
