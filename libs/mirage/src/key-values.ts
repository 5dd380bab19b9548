/**
 * Key declarations as data, and the parsing of a raw value (from a
 * command-line flag, an Nx option or the kernel command line) into a typed
 * value. Shared by the plugin at configure time and by the generated main.ts
 * at run time, so both accept and refuse exactly the same values.
 */
export type KeyKind = 'enum' | 'bool' | 'string' | 'int' | 'ipv4' | 'ipv4-prefix' | 'ipv6' | 'ipv6-list';
export type KeyStage = 'configure' | 'runtime';
export type KeyValue = string | number | boolean;

export interface KeyDecl {
  readonly name: string;
  readonly kind: KeyKind;
  readonly stage: KeyStage;
  readonly doc: string;
  readonly default: KeyValue;
  /** The allowed values of an `enum` key. */
  readonly values?: readonly string[];
}

export type ParsedKeyValue =
  { readonly ok: true; readonly value: KeyValue } | { readonly ok: false; readonly message: string };

const TRUE_WORDS = ['true', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'no', 'off', '0'];

/** `raw` arrives as text from a command line, or already typed from Nx's option parser. */
export function parseKeyValue(decl: KeyDecl, raw: unknown): ParsedKeyValue {
  const text =
    typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined;
  if (text === undefined) {
    return { ok: false, message: `--${decl.name} needs a value (${describeDomain(decl)})` };
  }
  const bad = (): ParsedKeyValue => ({
    ok: false,
    message: `'${text}' is not a valid value for --${decl.name}: expected ${describeDomain(decl)}`,
  });
  switch (decl.kind) {
    case 'enum':
      return decl.values?.includes(text) ? { ok: true, value: text } : bad();
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE_WORDS.includes(lower)) return { ok: true, value: true };
      if (FALSE_WORDS.includes(lower)) return { ok: true, value: false };
      return bad();
    }
    case 'int':
      return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? { ok: true, value: Number(text) } : bad();
    case 'ipv4':
      return isIpv4(text) ? { ok: true, value: text } : bad();
    case 'ipv4-prefix': {
      const [address, bits, ...rest] = text.split('/');
      const prefix = Number(bits);
      return rest.length === 0 && isIpv4(address) && /^\d{1,2}$/.test(bits ?? '') && prefix <= 32
        ? { ok: true, value: text }
        : bad();
    }
    case 'ipv6': {
      const [address, bits, ...rest] = text.split('/');
      return rest.length === 0 &&
        isIpv6(address) &&
        (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= 128))
        ? { ok: true, value: text }
        : bad();
    }
    case 'ipv6-list':
      return text.split(',').every((a) => a === '' || isIpv6(a)) ? { ok: true, value: text } : bad();
    case 'string':
      return { ok: true, value: text };
  }
}

export function describeDomain(decl: KeyDecl): string {
  switch (decl.kind) {
    case 'enum':
      return `one of ${(decl.values ?? []).join(', ')}`;
    case 'bool':
      return 'true or false';
    case 'int':
      return 'an integer';
    case 'ipv4':
      return 'an IPv4 address such as 10.0.0.2';
    case 'ipv4-prefix':
      return 'an IPv4 address with a prefix length such as 10.0.0.2/24';
    case 'ipv6':
      return 'an IPv6 address such as fc00::2, with a prefix length if not /64 (fc00::2/112)';
    case 'ipv6-list':
      return 'IPv6 addresses separated by commas, such as fc00::1,fc00::fe';
    case 'string':
      return 'any text';
  }
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** RFC 4291 2.2 text: eight hex words, one `::` for a run of zeros, or a dotted quad at the end. */
function isIpv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  let words = 0;
  for (const [h, half] of halves.entries()) {
    if (half === '') continue;
    const parts = half.split(':');
    for (const [k, part] of parts.entries()) {
      if (h === halves.length - 1 && k === parts.length - 1 && isIpv4(part)) words += 2;
      else if (/^[0-9a-f]{1,4}$/i.test(part)) words += 1;
      else return false;
    }
  }
  return halves.length === 2 ? words <= 7 : words === 8;
}

/** Key names as users type them after `--`. */
export const KEY_NAME = /^[a-z][a-z0-9_-]*$/;
