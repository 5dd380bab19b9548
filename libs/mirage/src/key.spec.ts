import { Key } from './key';
import { parseKeyValue, type KeyDecl } from './key-values';

const decl = (over: Partial<KeyDecl>): KeyDecl => ({
  name: 'k',
  kind: 'string',
  stage: 'configure',
  doc: '',
  default: '',
  ...over,
});

describe('key values', () => {
  it("accepts only an enum key's values and lists them otherwise", () => {
    const d = decl({ kind: 'enum', values: ['crunch', 'fat', 'direct'], default: 'crunch' });
    expect(parseKeyValue(d, 'fat')).toEqual({ ok: true, value: 'fat' });
    expect(parseKeyValue(d, 'ntfs')).toEqual({
      ok: false,
      message: "'ntfs' is not a valid value for --k: expected one of crunch, fat, direct",
    });
  });

  it("reads booleans from words and from Nx's parsed booleans", () => {
    const d = decl({ kind: 'bool', default: false });
    for (const t of ['true', 'yes', 'on', '1', true]) expect(parseKeyValue(d, t)).toEqual({ ok: true, value: true });
    for (const f of ['false', 'NO', 'off', '0', false]) expect(parseKeyValue(d, f)).toEqual({ ok: true, value: false });
    expect(parseKeyValue(d, 'maybe').ok).toBe(false);
  });

  it('checks integers, addresses and prefixes', () => {
    expect(parseKeyValue(decl({ kind: 'int', default: 0 }), '8080')).toEqual({ ok: true, value: 8080 });
    expect(parseKeyValue(decl({ kind: 'int', default: 0 }), 8080)).toEqual({ ok: true, value: 8080 });
    expect(parseKeyValue(decl({ kind: 'int', default: 0 }), '80.5').ok).toBe(false);
    expect(parseKeyValue(decl({ kind: 'ipv4' }), '10.0.0.1').ok).toBe(true);
    expect(parseKeyValue(decl({ kind: 'ipv4' }), '10.0.0.256').ok).toBe(false);
    expect(parseKeyValue(decl({ kind: 'ipv4' }), '10.0.0').ok).toBe(false);
    expect(parseKeyValue(decl({ kind: 'ipv4-prefix' }), '10.0.0.2/24').ok).toBe(true);
    expect(parseKeyValue(decl({ kind: 'ipv4-prefix' }), '10.0.0.2/33').ok).toBe(false);
    expect(parseKeyValue(decl({ kind: 'ipv4-prefix' }), '10.0.0.2').ok).toBe(false);
    for (const good of ['fc00::2', 'fc00::2/112', '::', '::1', '1:2:3:4:5:6:7:8', '::ffff:10.0.0.1', 'FE80::1'])
      expect([good, parseKeyValue(decl({ kind: 'ipv6' }), good).ok]).toEqual([good, true]);
    for (const bad of ['fc00::2/129', '1::2::3', '1:2:3:4:5:6:7', 'g::1', '10.0.0.1', 'fc00::2/'])
      expect([bad, parseKeyValue(decl({ kind: 'ipv6' }), bad).ok]).toEqual([bad, false]);
    expect(parseKeyValue(decl({ kind: 'ipv6-list' }), 'fc00::1,fe80::1')).toEqual({
      ok: true,
      value: 'fc00::1,fe80::1',
    });
    expect(parseKeyValue(decl({ kind: 'ipv6-list' }), 'fc00::1,zz')).toEqual({
      ok: false,
      message:
        "'fc00::1,zz' is not a valid value for --k: expected IPv6 addresses separated by commas, such as fc00::1,fc00::fe",
    });
    expect(parseKeyValue(decl({ kind: 'string' }), undefined)).toEqual({
      ok: false,
      message: '--k needs a value (any text)',
    });
  });

  it('refuses a key whose default lies outside its domain, or whose name cannot be a flag', () => {
    expect(() => Key.create('m', { values: ['a', 'b'] as const, default: 'c' as 'a' })).toThrow(
      "The default of key 'm' is not in its domain: expected one of a, b",
    );
    expect(() => Key.bool('Bad Name', { default: true })).toThrow(/Key name 'Bad Name' is not valid/);
  });

  it('declares keys at configure time unless told otherwise', () => {
    expect(Key.bool('dhcp', { default: false }).decl.stage).toBe('configure');
    expect(Key.ipv4Prefix('ipv4', { default: '10.0.0.2/24', stage: 'runtime' }).decl).toMatchObject({
      kind: 'ipv4-prefix',
      stage: 'runtime',
    });
    expect(Key.isXen).toEqual({ kind: 'is', key: Key.target, value: 'xen' });
    expect(Key.not(Key.bool('x', { default: true }))).toMatchObject({ kind: 'not', cond: { kind: 'is', value: true } });
  });
});
