import { checkRequest, checkSectorSize } from './request';

const info = { readWrite: true, sectorSize: 512, sizeSectors: 10n };

describe('checkRequest', () => {
  it('places a valid request in bytes', () => {
    expect(checkRequest(info, 'read', 3n, [new Uint8Array(512), new Uint8Array(1024)])).toEqual({
      ok: true,
      value: { sector: 3n, sectors: 3n, position: 1536, length: 1536 },
    });
  });

  it('names the sectors a request would reach past the end', () => {
    const r = checkRequest(info, 'write', 8n, [new Uint8Array(1536)]);
    expect(r).toEqual({
      ok: false,
      error: {
        kind: 'out-of-range',
        message: 'write of 3 sectors at sector 8 is outside the device (sectors 0 to 9)',
        sector: 8n,
        sectors: 3n,
        sizeSectors: 10n,
      },
    });
  });

  it('refuses writes to a read-only device before anything else', () => {
    const r = checkRequest({ ...info, readWrite: false }, 'write', 99n, [new Uint8Array(3)]);
    expect(r.ok || r.error.kind).toBe('read-only');
    expect(checkRequest({ ...info, readWrite: false }, 'read', 0n, [new Uint8Array(512)]).ok).toBe(true);
  });

  it('takes whole-number sectors given as numbers, and refuses anything else', () => {
    expect(checkRequest(info, 'read', 2, [new Uint8Array(512)]).ok).toBe(true);
    for (const bad of [1.5, '1', null, Number.MAX_SAFE_INTEGER + 2]) {
      const r = checkRequest(info, 'read', bad, [new Uint8Array(512)]);
      expect(r.ok || r.error.kind).toBe('unaligned');
    }
    const notArray = checkRequest(info, 'read', 0n, new Uint8Array(512));
    expect(notArray.ok || notArray.error.message).toBe('read needs an array of buffers');
    const notBuffer = checkRequest(info, 'read', 0n, [[1, 2]]);
    expect(notBuffer.ok || notBuffer.error.message).toBe('buffer 0 of the read is not a Uint8Array');
  });

  it('describes a device with no sectors', () => {
    const r = checkRequest({ ...info, sizeSectors: 0n }, 'read', 0n, [new Uint8Array(512)]);
    expect(r.ok || r.error.message).toBe('read of 1 sector at sector 0 is outside the device (it has no sectors)');
  });
});

describe('checkSectorSize', () => {
  it('accepts powers of two from 512 to 65536', () => {
    for (const s of [512, 1024, 4096, 65536]) expect(checkSectorSize(s, 'd')).toBe(s);
    for (const s of [0, 256, 513, 3072, 131072, '512']) expect(() => checkSectorSize(s, 'd')).toThrow(/d: sector size/);
  });
});
