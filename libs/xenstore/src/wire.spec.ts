import {
  encodeMessage,
  HEADER_BYTES,
  parseDirectory,
  parseError,
  parseOk,
  parseWatchEvent,
  pathPayload,
  watchPayload,
  writePayload,
  XsFrameReader,
  XsProtocolError,
  XsRequestError,
  XsType,
} from './wire';

const header = (type: number, reqId: number, len: number) => {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(reqId, 4);
  b.writeUInt32LE(0, 8);
  b.writeUInt32LE(len, 12);
  return b;
};

describe('xenstore wire format', () => {
  it('encodes struct xsd_sockmsg little-endian, then the payload', () => {
    const m = encodeMessage({ type: XsType.READ, reqId: 7, payload: pathPayload('domid') });
    expect([...m.subarray(0, 16)]).toEqual([2, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0]);
    expect(m.subarray(16).toString('latin1')).toBe('domid\0');
  });

  it('writes path NUL value, and watch path NUL token NUL', () => {
    expect(writePayload('data/x', 'v1').toString('latin1')).toBe('data/x\0v1');
    expect(watchPayload('control/shutdown', 't1').toString('latin1')).toBe('control/shutdown\0t1\0');
  });

  it('refuses requests the store could never take, before sending them', () => {
    expect(() => pathPayload('')).toThrow(XsRequestError);
    expect(() => pathPayload('a\0b')).toThrow(/contains a NUL byte/);
    expect(() => pathPayload('x'.repeat(3073))).toThrow(/more than 3072/);
    expect(() => watchPayload('a', 't\0')).toThrow(/token/);
    expect(() => encodeMessage({ type: XsType.WRITE, reqId: 1, payload: Buffer.alloc(4097) })).toThrow(
      /4097 bytes is longer than xenstore's 4096-byte limit/,
    );
  });

  it('splits a stream into messages whatever the read boundaries', () => {
    const a = Buffer.concat([header(XsType.READ, 1, 2), Buffer.from('42')]);
    const b = Buffer.concat([header(XsType.WATCH_EVENT, 0, 5), Buffer.from('a\0t1\0')]);
    const stream = Buffer.concat([a, b]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = new XsFrameReader();
      const got = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
      expect(got.map((m) => [m.type, m.reqId, m.payload.toString('latin1')])).toEqual([
        [XsType.READ, 1, '42'],
        [XsType.WATCH_EVENT, 0, 'a\0t1\0'],
      ]);
      expect(r.buffered).toBe(0);
    }
  });

  it('rejects a header announcing more than 4096 bytes instead of waiting for them', () => {
    expect(() => new XsFrameReader().push(header(XsType.READ, 1, 70000))).toThrow(
      /announces 70000 bytes of payload \(XS_READ\), more than the 4096 allowed/,
    );
  });

  it('parses replies and names what is wrong with malformed ones', () => {
    expect(parseError(Buffer.from('ENOENT\0'))).toBe('ENOENT');
    expect(() => parseError(Buffer.from('oops\0'))).toThrow(XsProtocolError);
    expect(() => parseOk(XsType.WRITE, Buffer.from('OK\0'))).not.toThrow();
    expect(() => parseOk(XsType.WRITE, Buffer.from('NO\0'))).toThrow(/XS_WRITE reply should be "OK", got "NO\\u0000"/);
    expect(parseDirectory(Buffer.from('a\0bb\0'))).toEqual(['a', 'bb']);
    expect(parseDirectory(Buffer.alloc(0))).toEqual([]);
    expect(() => parseDirectory(Buffer.from('a\0b'))).toThrow(/should end with a NUL/);
    expect(() => parseDirectory(Buffer.from('a\0\0'))).toThrow(/empty name/);
    expect(parseWatchEvent(Buffer.from('/local/domain/3/x\0tok\0'))).toEqual({
      path: '/local/domain/3/x',
      token: 'tok',
    });
    expect(() => parseWatchEvent(Buffer.from('onlypath\0'))).toThrow(/a path and a token/);
    expect(() => parseWatchEvent(Buffer.from('a\0b\0c\0'))).toThrow(XsProtocolError);
  });
});
