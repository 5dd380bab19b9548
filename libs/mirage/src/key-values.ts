/**
 * Key declarations as data, and the parsing of a raw value (from a
 * command-line flag, an Nx option or the kernel command line) into a typed
 * value. Shared by the plugin at configure time and by the generated main.ts
 * at run time, so both accept and refuse exactly the same values.
 */
export type KeyKind = 'enum' | 'bool' | 'string' | 'int' | 'ipv4' | 'ipv4-prefix';
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
    case 'string':
      return 'any text';
  }
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Key names as users type them after `--`. */
export const KEY_NAME = /^[a-z][a-z0-9_-]*$/;
