/**
 * The authoritative answer to one query (RFC 1034 §4.3.2, RFC 2308, RFC
 * 6891), as NSD gives it: AA for data of our zones, referrals (no AA, glue
 * in additional) below a delegation, CNAME chains followed inside our
 * zones, the SOA in authority for NXDOMAIN and NODATA, the zone's NS set in
 * authority for positive answers, REFUSED for names we are not authoritative for.
 */
import type { Name } from './name';
import { ADDITIONAL_TARGET, rdataNames } from './rdata';
import type { Rr } from './record';
import { RCODE, RRTYPES, TYPE } from './types';
import { decodeMessage, ednsOf, encodeMessage, optRecord, type Message, type Question } from './wire';
import type { Zone, ZoneSet } from './zone';

/** The EDNS0 payload we advertise and the most we send over UDP (NSD's and BIND's default, DNS flag day 2020). */
export const EDNS_PAYLOAD = 1232;
const MAX_CHAIN = 16;
const NO_AUTHORITY_NS = new Set([TYPE.ANY, RRTYPES.DNSKEY, TYPE.DS]);

interface Sections {
  rcode: number;
  aa: boolean;
  answers: Rr[];
  authorities: Rr[];
  additionals: Rr[];
}

const withOwner = (rrs: readonly Rr[], name: Name): Rr[] => rrs.map((r) => ({ ...r, name }));

/** The SOA as negative answers carry it: its TTL capped by its MINIMUM field (RFC 2308 §3). */
function negativeSoa(zone: Zone): Rr {
  const soa = zone.soa;
  const f = soa.rdata[2];
  const min = 'bytes' in f ? new DataView(f.bytes.buffer, f.bytes.byteOffset).getUint32(16) : soa.ttl;
  return { ...soa, ttl: Math.min(soa.ttl, min) };
}

/** The closest delegation (an NS set below the apex) on the way from the apex down to `name`. */
function findCut(zone: Zone, name: Name, qtype: number): Name | undefined {
  const depth = zone.apex.labels.length;
  for (let k = name.labels.length - depth - 1; k >= 0; k--) {
    const n = name.parent(k);
    if (zone.node(n)?.sets.has(TYPE.NS)) {
      // DS lives on the parent's side of the cut (RFC 4035 §3.1.4.1).
      if (k === 0 && qtype === TYPE.DS) return undefined;
      return n;
    }
  }
  return undefined;
}

/** Adds the in-zone addresses of NS, MX and SRV targets, skipping any RRset the reply already has. */
function addAddresses(zones: ZoneSet, rrs: readonly Rr[], out: Rr[], have: readonly Rr[] = []): void {
  for (const rr of rrs) {
    if (!ADDITIONAL_TARGET.has(rr.type)) continue;
    for (const target of rdataNames(rr.rdata)) {
      const node = zones.find(target)?.node(target);
      if (!node) continue;
      for (const t of [RRTYPES.A, RRTYPES.AAAA])
        for (const a of node.sets.get(t) ?? [])
          if (!out.some((o) => o === a) && !have.some((h) => h.type === t && h.name.equals(a.name))) out.push(a);
    }
  }
}

/** The sections of the answer to `q`, or null when no zone of ours holds the name. */
export function lookup(zones: ZoneSet, q: Question): Sections | null {
  const out: Sections = { rcode: RCODE.NOERROR, aa: true, answers: [], authorities: [], additionals: [] };
  const seen = new Set<string>();
  let name = q.name;
  for (let hop = 0; ; hop++) {
    const zone = zones.find(name);
    if (!zone) return hop === 0 ? null : out;
    seen.add(name.key);
    const cut = findCut(zone, name, q.type);
    if (cut) {
      const ns = zone.node(cut)!.sets.get(TYPE.NS)!;
      if (hop === 0) out.aa = false;
      out.authorities.push(...ns);
      addAddresses(zones, ns, out.additionals);
      return out;
    }
    const node = zone.node(name);
    const cname = node?.sets.get(TYPE.CNAME);
    if (cname && q.type !== TYPE.CNAME && q.type !== TYPE.ANY) {
      out.answers.push(...withOwner(cname, name));
      const target = rdataNames(cname[0].rdata)[0];
      if (seen.has(target.key) || hop >= MAX_CHAIN) return out;
      name = target;
      continue;
    }
    // ANY gets one RRset, the name's first (RFC 8482 §4.1, as NSD does), and no NS set in authority.
    const set = node && (q.type === TYPE.ANY ? node.sets.values().next().value : node.sets.get(q.type));
    if (set) {
      out.answers.push(...withOwner(set, name));
      const apexNs = name.equals(zone.apex) && set[0].type === TYPE.NS;
      // NSD keeps DNSKEY and DS answers small: no NS set in authority for them either.
      if (!apexNs && !NO_AUTHORITY_NS.has(q.type)) out.authorities.push(...zone.apexNs());
      addAddresses(zones, out.answers, out.additionals, out.answers);
      addAddresses(zones, out.authorities, out.additionals, out.answers);
      return out;
    }
    if (!zone.exists(name)) out.rcode = RCODE.NXDOMAIN;
    out.authorities.push(negativeSoa(zone));
    return out;
  }
}

const reply = (query: Message, rcode: number, rest: Partial<Message> = {}): Message => ({
  id: query.id,
  flags: { ...query.flags, qr: true, aa: false, tc: false, ra: false, ad: false, rcode },
  questions: query.questions,
  answers: [],
  authorities: [],
  additionals: [],
  ...rest,
});

export interface Transport {
  readonly kind: 'udp' | 'tcp';
}

/**
 * The reply to one received message, encoded, or null when nothing must be
 * sent (a response, or bytes too short to hold a header).
 */
export function handleQuery(zones: ZoneSet, packet: Uint8Array, transport: Transport): Uint8Array | null {
  if (packet.length < 12 || packet[2] & 0x80) return null;
  const decoded = decodeMessage(packet);
  if (!decoded.ok) {
    // FORMERR with the header's id and opcode, nothing else (RFC 1035 §4.1.1).
    return Uint8Array.from([packet[0], packet[1], 0x80 | (packet[2] & 0x79), RCODE.FORMERR, 0, 0, 0, 0, 0, 0, 0, 0]);
  }
  const query = decoded.value;
  const edns = ednsOf(query);
  if (!edns.ok) return encodeMessage(reply(query, RCODE.FORMERR));
  const opt = edns.value ? [optRecord(EDNS_PAYLOAD)] : [];
  const maxSize =
    transport.kind === 'tcp' ? 65535 : edns.value ? Math.min(Math.max(edns.value.payloadSize, 512), EDNS_PAYLOAD) : 512;
  const send = (m: Message) => encodeMessage(m, { maxSize });
  if (edns.value && edns.value.version > 0)
    return send(reply(query, 0, { additionals: [optRecord(EDNS_PAYLOAD, RCODE.BADVERS >> 4)] }));
  if (query.flags.opcode !== 0) return send(reply(query, RCODE.NOTIMP, { additionals: opt }));
  if (query.questions.length !== 1) return send(reply(query, RCODE.FORMERR, { additionals: opt }));
  const q = query.questions[0];
  if ((q.class !== 1 && q.class !== 255) || q.type === TYPE.AXFR || q.type === TYPE.IXFR || q.type === TYPE.OPT)
    return send(reply(query, RCODE.REFUSED, { additionals: opt }));
  const found = lookup(zones, q);
  if (!found) return send(reply(query, RCODE.REFUSED, { additionals: opt }));
  const m = reply(query, found.rcode, {
    answers: found.answers,
    authorities: found.authorities,
    additionals: [...found.additionals, ...opt],
  });
  return send({ ...m, flags: { ...m.flags, aa: found.aa } });
}
