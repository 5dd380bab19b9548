import { isUserError } from '../configure/user-error';
import { describeSize, imageSize } from './image-size';

function userErrorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isUserError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('imageSize', () => {
  it("defaults to the seed's dd count=100000 of 512-byte blocks", () => {
    expect(imageSize({})).toEqual({ sectors: 100000n, sectorSize: 512, bytes: 51_200_000n });
    expect(describeSize(imageSize({}))).toBe('100000 sectors of 512 bytes (51.2 MB)');
  });

  it('takes sectors, sector size, or a size with units', () => {
    expect(imageSize({ sectors: 2048, sectorSize: 4096 })).toEqual({
      sectors: 2048n,
      sectorSize: 4096,
      bytes: 8_388_608n,
    });
    expect(imageSize({ size: '64M' }).sectors).toBe(131072n);
    expect(imageSize({ size: '1GiB', sectorSize: 4096 }).sectors).toBe(262144n);
    expect(imageSize({ size: 1024 }).sectors).toBe(2n);
    expect(imageSize({ sectors: 2n ** 33n }).bytes).toBe(2n ** 42n);
  });

  it('says which option is wrong and how to fix it', () => {
    expect(userErrorOf(() => imageSize({ sectors: 10, size: '1M' }))).toBe(
      "error: --sectors=10 and --size=1M both give the image's size\n  fix: remove one of them and try again",
    );
    expect(userErrorOf(() => imageSize({ sectors: 0 }))).toMatch(
      /--sectors=0 is not a number of sectors\n {2}fix: give a positive whole number/,
    );
    expect(userErrorOf(() => imageSize({ sectors: 'lots' }))).toMatch(/--sectors=lots is not a number of sectors/);
    expect(userErrorOf(() => imageSize({ size: '12Q' }))).toMatch(/--size=12Q is not a size\n {2}fix: .*--size=64M/);
    expect(userErrorOf(() => imageSize({ size: '1000' }))).toMatch(
      /1000 bytes\) is not a whole number of 512-byte sectors\n {2}fix: .*--size=1024/,
    );
    expect(userErrorOf(() => imageSize({ sectorSize: 520 }))).toMatch(/--sectorSize=520 is not a sector size/);
    expect(imageSize({ size: '64T' }).sectors).toBe(2n ** 37n); // 64 TiB is addressable
    expect(userErrorOf(() => imageSize({ sectors: 2n ** 50n }))).toMatch(/larger than a block device can address/);
  });
});
