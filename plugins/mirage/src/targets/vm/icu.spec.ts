import { findIcuBlob, isOtherLocale } from './icu';

describe('trimming ICU to English', () => {
  it('removes the locale data of other languages and keeps English, root and the shared tables', () => {
    for (const item of [
      'de.res',
      'coll/fr.res',
      'zone/ja_JP.res',
      'coll/de_.res',
      'curr/zh_Hant_HK.res',
      'lang/sr_Latn.res',
    ])
      expect([item, isOtherLocale(item)]).toEqual([item, true]);
    for (const item of [
      'en.res',
      'en_GB.res',
      'coll/root.res',
      'pool.res',
      'res_index.res',
      'supplementalData.res',
      'zoneinfo64.res',
      'metaZones.res',
      'brkitr/char.brk',
      'ibm-943_P15A-2003.cnv',
      'uts46.nrm',
      'cnvalias.icu',
    ])
      expect([item, isOtherLocale(item)]).toEqual([item, false]);
  });

  it('finds the common-data header (magic 0xda27, format CmnD) only where the whole package fits', () => {
    const header = Buffer.alloc(32);
    header.writeUInt16LE(32, 0);
    header[2] = 0xda;
    header[3] = 0x27;
    header.write('CmnD', 12, 'latin1');
    // A stray "CmnD" before the real header is skipped.
    const data = Buffer.concat([Buffer.from('xxxxxxxxxxxxxxxxCmnD'), Buffer.alloc(12), header, Buffer.alloc(100)]);
    expect(findIcuBlob(data, 132)).toBe(32);
    expect(findIcuBlob(data, 133)).toBe(-1);
  });
});
