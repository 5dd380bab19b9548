import { parseKey } from './key';

describe('parseKey', () => {
  it.each([
    ['', []],
    ['a', ['a']],
    ['dir/b.txt', ['dir', 'b.txt']],
    ['a b/ü ñ', ['a b', 'ü ñ']],
    ['..a/b..', ['..a', 'b..']],
    ['100%', ['100%']],
  ])('accepts %j', (key, segments) => {
    expect(parseKey(key)).toEqual({ ok: true, value: segments });
  });

  it.each([
    ['/etc/passwd', /keys are relative to the store: write "etc\/passwd"/],
    ['..', /'\.\.' segments are not allowed/],
    ['a/../../b', /'\.\.' segments are not allowed/],
    ['./a', /'\.' segments are not allowed/],
    ['a//b', /empty path segment/],
    ['a/', /empty path segment/],
    ['a\0b', /NUL byte/],
    ['a\\..\\b', /'\\' is not a separator/],
    ['..%2fetc', /percent-encoded/],
    ['%2e%2e/x', /percent-encoded/],
    ['a%5Cb', /percent-encoded/],
    ['a%00', /percent-encoded/],
    ['%c0%af', /percent-encoded/],
    ['x'.repeat(256), /longer than 255 bytes/],
  ])('refuses %j', (key, why) => {
    const r = parseKey(key);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('invalid-key');
      expect(r.error.message).toMatch(why);
    }
  });
});
