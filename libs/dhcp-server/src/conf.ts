import { parseIpv4, parseMac } from '@mirage-ts/tcpip/wire/address';

/**
 * A reader for the subset of ISC dhcpd.conf(5) that the skeleton's example
 * uses. No npm package reads dhcpd.conf, so this is a small tokenizer and a
 * recursive descent over statements; whatever it does not know is an error
 * naming the file and line, never silently skipped.
 */

export interface DhcpConfOptions {
  domainName?: string;
  routers?: number[];
  domainNameServers?: number[];
}

export interface DhcpHost {
  readonly name: string;
  readonly mac: number;
  readonly fixedAddress: number;
}

export interface DhcpSubnet {
  readonly network: number;
  readonly netmask: number;
  /** Inclusive bounds; absent when the subnet only serves fixed addresses. */
  readonly range?: { readonly start: number; readonly end: number };
  readonly options: DhcpConfOptions;
  readonly hosts: DhcpHost[];
}

export interface DhcpConf {
  readonly options: DhcpConfOptions;
  readonly subnets: DhcpSubnet[];
  /** Seconds. */
  readonly defaultLeaseTime: number;
  readonly maxLeaseTime: number;
}

export class DhcpConfError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'DhcpConfError';
  }
}

type Token = { readonly text: string; readonly line: number; readonly quoted: boolean };

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';' || c === ',') {
      tokens.push({ text: c, line, quoted: false });
      i++;
    } else if (c === '"') {
      const start = line;
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\n')
          throw new DhcpConfError(file, start, 'unterminated string: close it with " on the same line');
        j++;
      }
      if (j >= text.length) throw new DhcpConfError(file, start, 'unterminated string: close it with "');
      tokens.push({ text: text.slice(i + 1, j), line, quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};,"#]/.test(text[j])) j++;
      tokens.push({ text: text.slice(i, j), line, quoted: false });
      i = j;
    }
  }
  return tokens;
}

const STATEMENTS = 'option, subnet, range, host, default-lease-time, max-lease-time';

class Reader {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
    private readonly lastLine: number,
  ) {}

  fail(line: number, detail: string): never {
    throw new DhcpConfError(this.file, line, detail);
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  next(what: string): Token {
    const t = this.tokens[this.pos++];
    if (!t) this.fail(this.lastLine, `unexpected end of file, expected ${what}`);
    return t;
  }

  expect(text: string, after: Token): Token {
    const t = this.tokens[this.pos];
    if (!t || t.quoted || t.text !== text)
      this.fail(t?.line ?? after.line, `expected '${text}' after '${after.text}'${t ? `, found '${t.text}'` : ''}`);
    this.pos++;
    return t;
  }

  ip(what: string): number {
    const t = this.next(what);
    const ip = t.quoted ? null : parseIpv4(t.text);
    if (ip === null) this.fail(t.line, `'${t.text}' is not an IPv4 address (${what}); write it as a dotted quad`);
    return ip;
  }

  ipList(what: string, after: Token): number[] {
    const ips = [this.ip(what)];
    while (this.peek()?.text === ',' && !this.peek()?.quoted) {
      this.pos++;
      ips.push(this.ip(what));
    }
    this.expect(';', after);
    return ips;
  }

  seconds(after: Token): number {
    const t = this.next('a number of seconds');
    if (t.quoted || !/^\d{1,9}$/.test(t.text) || Number(t.text) === 0)
      this.fail(t.line, `'${t.text}' is not a positive number of seconds for ${after.text}`);
    this.expect(';', after);
    return Number(t.text);
  }

  option(into: DhcpConfOptions, kw: Token): void {
    const name = this.next('an option name');
    switch (name.text) {
      case 'domain-name': {
        const v = this.next('a quoted domain name');
        if (!v.quoted) this.fail(v.line, `option domain-name takes a quoted string, e.g. "example.org"`);
        into.domainName = v.text;
        this.expect(';', v);
        return;
      }
      case 'routers':
        into.routers = this.ipList('a router', name);
        return;
      case 'domain-name-servers':
        into.domainNameServers = this.ipList('a name server', name);
        return;
      default:
        this.fail(
          name.line,
          `unsupported option '${name.text}' after '${kw.text}' (supported: domain-name, routers, domain-name-servers)`,
        );
    }
  }

  host(kw: Token): DhcpHost {
    const name = this.next('a host name');
    const open = this.expect('{', name);
    let mac: number | undefined;
    let fixedAddress: number | undefined;
    for (;;) {
      const t = this.next(`'}' closing host ${name.text} opened on line ${open.line}`);
      if (t.text === '}' && !t.quoted) break;
      if (t.text === 'hardware') {
        const kind = this.next('ethernet');
        if (kind.text !== 'ethernet')
          this.fail(kind.line, `only 'hardware ethernet' is supported, found '${kind.text}'`);
        const m = this.next('a MAC address');
        const parsed = m.quoted ? null : parseMac(m.text);
        if (parsed === null) this.fail(m.line, `'${m.text}' is not a MAC address; write it as 00:1d:72:80:e9:10`);
        mac = parsed;
        this.expect(';', m);
      } else if (t.text === 'fixed-address') {
        fixedAddress = this.ip('the fixed address');
        this.expect(';', t);
      } else
        this.fail(
          t.line,
          `unsupported statement '${t.text}' in host ${name.text} (supported: hardware ethernet, fixed-address)`,
        );
    }
    if (mac === undefined) this.fail(kw.line, `host ${name.text} has no 'hardware ethernet' line`);
    if (fixedAddress === undefined) this.fail(kw.line, `host ${name.text} has no 'fixed-address' line`);
    return { name: name.text, mac, fixedAddress };
  }

  subnet(kw: Token, conf: { defaultLeaseTime?: number; maxLeaseTime?: number }): DhcpSubnet {
    const network = this.ip('the subnet number');
    this.expect('netmask', kw);
    const netmask = this.ip('the netmask');
    if (!isContiguous(netmask)) this.fail(kw.line, `netmask ${fmt(netmask)} is not contiguous`);
    if ((network & netmask) >>> 0 !== network)
      this.fail(kw.line, `subnet ${fmt(network)} has host bits set for netmask ${fmt(netmask)}`);
    const open = this.expect('{', kw);
    const options: DhcpConfOptions = {};
    const hosts: DhcpHost[] = [];
    let range: DhcpSubnet['range'];
    const inside = (ip: number) => (ip & netmask) >>> 0 === network;
    for (;;) {
      const t = this.next(`'}' closing the subnet opened on line ${open.line}`);
      if (t.text === '}' && !t.quoted) break;
      if (t.text === 'option') this.option(options, t);
      else if (t.text === 'range') {
        if (range) this.fail(t.line, 'only one range per subnet is supported');
        const start = this.ip('the first address of the range');
        const end = this.ip('the last address of the range');
        this.expect(';', t);
        if (start > end)
          this.fail(t.line, `range ${fmt(start)} ${fmt(end)} runs backwards: put the lower address first`);
        if (!inside(start) || !inside(end))
          this.fail(t.line, `range ${fmt(start)} ${fmt(end)} is outside subnet ${fmt(network)}/${fmt(netmask)}`);
        range = { start, end };
      } else if (t.text === 'host') {
        const h = this.host(t);
        if (!inside(h.fixedAddress))
          this.fail(t.line, `fixed-address ${fmt(h.fixedAddress)} of host ${h.name} is outside the subnet`);
        hosts.push(h);
      } else if (t.text === 'default-lease-time') conf.defaultLeaseTime = this.seconds(t);
      else if (t.text === 'max-lease-time') conf.maxLeaseTime = this.seconds(t);
      else this.fail(t.line, `unsupported statement '${t.text}' in a subnet (supported: ${STATEMENTS})`);
    }
    return { network, netmask, range, options, hosts };
  }

  read(): DhcpConf {
    const options: DhcpConfOptions = {};
    const subnets: DhcpSubnet[] = [];
    const times: { defaultLeaseTime?: number; maxLeaseTime?: number } = {};
    while (this.peek()) {
      const t = this.next('a statement');
      if (t.text === 'option') this.option(options, t);
      else if (t.text === 'subnet') subnets.push(this.subnet(t, times));
      else if (t.text === 'default-lease-time') times.defaultLeaseTime = this.seconds(t);
      else if (t.text === 'max-lease-time') times.maxLeaseTime = this.seconds(t);
      else this.fail(t.line, `unsupported statement '${t.text}' (supported: ${STATEMENTS})`);
    }
    const defaultLeaseTime = times.defaultLeaseTime ?? 3600;
    return { options, subnets, defaultLeaseTime, maxLeaseTime: Math.max(times.maxLeaseTime ?? 7200, defaultLeaseTime) };
  }
}

function isContiguous(mask: number): boolean {
  const inv = ~mask >>> 0;
  return ((inv + 1) & inv) >>> 0 === 0;
}

function fmt(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Parses `text`, naming `file` in errors; throws DhcpConfError with `file:line: message`. */
export function parseDhcpdConf(text: string, file = 'dhcpd.conf'): DhcpConf {
  const lastLine = text.split('\n').length;
  return new Reader(tokenize(text, file), file, lastLine).read();
}
