/** Resource record types, classes and codes (IANA DNS parameters) that the project knows by name. */
export const RRTYPES: Readonly<Record<string, number>> = {
  A: 1,
  NS: 2,
  MD: 3,
  MF: 4,
  CNAME: 5,
  SOA: 6,
  MB: 7,
  MG: 8,
  MR: 9,
  NULL: 10,
  WKS: 11,
  PTR: 12,
  HINFO: 13,
  MINFO: 14,
  MX: 15,
  TXT: 16,
  RP: 17,
  AFSDB: 18,
  X25: 19,
  ISDN: 20,
  RT: 21,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
};

export const TYPE = RRTYPES as {
  readonly [
    K in 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA' | 'SRV' | 'OPT' | 'DS' | 'IXFR' | 'AXFR' | 'ANY'
  ]: number;
};

const TYPE_NAMES = new Map(Object.entries(RRTYPES).map(([k, v]) => [v, k]));

/** `A`, `MX`, ... or `TYPE1234` (RFC 3597) for a type without a mnemonic. */
export function typeName(t: number): string {
  return TYPE_NAMES.get(t) ?? `TYPE${t}`;
}

/** The number of a type mnemonic or `TYPEnnn`, or undefined. */
export function typeNumber(text: string): number | undefined {
  const up = text.toUpperCase();
  if (up in RRTYPES) return RRTYPES[up];
  const m = /^TYPE([0-9]{1,5})$/.exec(up);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  return undefined;
}

export const CLASSES: Readonly<Record<string, number>> = { IN: 1, CS: 2, CH: 3, HS: 4, NONE: 254, ANY: 255 };

export function classNumber(text: string): number | undefined {
  const up = text.toUpperCase();
  if (up in CLASSES) return CLASSES[up];
  const m = /^CLASS([0-9]{1,5})$/.exec(up);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  return undefined;
}

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;
