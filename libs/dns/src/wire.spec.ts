import * as path from 'node:path';
import { Name } from './name';
import { rdataKey } from './rdata';
import { RRTYPES } from './types';
import { decodeMessage, encodeMessage, NO_FLAGS, type Message } from './wire';
import { parseZoneFile } from './zonefile';
import * as fs from 'node:fs';

const zone = parseZoneFile(fs.readFileSync(path.join(__dirname, '../../../apps/dns/data/test.zone'), 'utf8'));

function message(answers = zone): Message {
  return {
    id: 0xbeef,
    flags: { ...NO_FLAGS, qr: true, aa: true, rcode: 3 },
    questions: [{ name: Name.parse('D1.signpo.st.'), type: RRTYPES.MX, class: 1 }],
    answers,
    authorities: [],
    additionals: [],
  };
}

/** A small seeded generator, so a failing case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('the DNS wire format', () => {
  it('round-trips every record of test.zone', () => {
    const wire = encodeMessage(message());
    const back = decodeMessage(wire);
    if (!back.ok) throw new Error(back.error.message);
    expect(back.value.id).toBe(0xbeef);
    expect(back.value.flags).toEqual({ ...NO_FLAGS, qr: true, aa: true, rcode: 3 });
    expect(back.value.questions[0].name.toString()).toBe('D1.signpo.st.');
    expect(back.value.answers.map((r) => [r.name.key, r.type, r.ttl, rdataKey(r.rdata)])).toEqual(
      zone.map((r) => [r.name.key, r.type, r.ttl, rdataKey(r.rdata)]),
    );
  });

  it('compresses names, also inside RFC 1035 rdata, but not in later types', () => {
    const mx = zone.filter((r) => r.type === RRTYPES.MX && r.name.key === 'd1.signpo.st.');
    const wire = Buffer.from(encodeMessage(message(mx)));
    // The owner is a pointer to the question's name (offset 12), and d1.signpo.st appears once.
    expect(wire.indexOf(Buffer.from('\x02d1\x06signpo\x02st', 'latin1'))).toBe(-1);
    expect(wire.indexOf(Buffer.from('\x02D1\x06signpo\x02st\x00', 'latin1'))).toBe(12);
    expect(wire.length).toBeLessThan(120);
    const srv = zone.filter((r) => r.type === RRTYPES.SRV);
    const s = Buffer.from(encodeMessage(message(srv)));
    expect(s.indexOf(Buffer.from('\x0asrv-target\x02d1\x06signpo\x02st\x00', 'latin1'))).toBeGreaterThan(0);
  });

  it('sets TC and keeps whole RRsets when the answer does not fit', () => {
    const full = encodeMessage(message());
    const cut = encodeMessage(message(), { maxSize: 512 });
    expect(full.length).toBeGreaterThan(512);
    expect(cut.length).toBeLessThanOrEqual(512);
    const m = decodeMessage(cut);
    if (!m.ok) throw new Error(m.error.message);
    expect(m.value.flags.tc).toBe(true);
    const last = m.value.answers[m.value.answers.length - 1];
    const all = zone.filter((r) => r.name.equals(last.name) && r.type === last.type);
    expect(m.value.answers.filter((r) => r.name.equals(last.name) && r.type === last.type)).toHaveLength(all.length);
  });

  it.each([
    ['empty', ''],
    ['short header', '1234'],
    ['question cut', '123401000001000000000000036177'],
    ['pointer forward', '1234010000010000000000000c0000010001'],
    ['pointer to itself', '123401000001000000000000c00c00010001'],
    ['label type 0x40', '1234010000010000000000004100000100'],
    ['counts beyond the data', '123401000001000500000000000001000100'],
    ['rdata longer than the message', '12340100000000010000000000000100010000000000ff01020304'],
    ['A with 3 bytes', '123401000000000100000000000001000100000000000301020300'],
    ['trailing bytes', '1234010000000000000000000000'],
  ])('refuses a malformed message: %s', (_what, hex) => {
    const r = decodeMessage(Buffer.from(hex, 'hex'));
    expect(r.ok).toBe(false);
  });

  it('never throws on random or mutated messages', () => {
    const good = encodeMessage(message());
    const rand = rng(13);
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const buf = Uint8Array.from(i % 2 ? good : good.subarray(0, Math.floor(rand() * good.length)));
      for (let k = 0; k < 1 + Math.floor(rand() * 8); k++)
        buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      const r = decodeMessage(buf);
      if (!r.ok) refused++;
      else expect(() => encodeMessage(r.value)).not.toThrow();
    }
    expect(refused).toBeGreaterThan(100);
  });
});
