import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostTools } from './host-tools';

export type IcuMode = 'en' | 'full';
export const ICU_MODES: readonly IcuMode[] = ['en', 'full'];

/**
 * Node built with full ICU carries every locale's data (≈ 33 MB of its
 * 86 MB). A unikernel prints to a console and speaks its protocols; with
 * the English-only data `Intl` formats, collates and segments as in
 * English whatever locale is asked for, and TextDecoder still knows the
 * encodings (converters are kept). The trimmed package is written back in
 * place of the original, zero-padded, and keeps its name (`icudtNNl`):
 * Node looks the data up by that name and aborts without it.
 *
 * Written by hand because no library edits an ICU blob inside an ELF
 * binary; `icupkg` (icu-devtools) does the ICU part.
 */
export async function trimIcu(
  original: string,
  binary: string,
  out: string,
  tools: HostTools,
  log: (line: string) => void,
): Promise<boolean> {
  const symbol = await icuSymbol(original, tools);
  if (!symbol) {
    log('node: ICU kept in full (no embedded icudt*_dat found with nm: Node built without full ICU?)');
    return false;
  }
  const data = fs.readFileSync(binary);
  const at = findIcuBlob(data, symbol.size);
  if (at < 0) {
    log('node: ICU kept in full (its data package was not found in the binary)');
    return false;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mirage-icu-'));
  try {
    const pkgName = `${symbol.name.replace(/_dat$/, '')}l`;
    const input = path.join(work, `${pkgName}.dat`);
    fs.writeFileSync(input, data.subarray(at, at + symbol.size));
    const listed = await tools.run('icupkg', ['-l', input]);
    if (listed.missing || listed.status !== 0) {
      log(
        `node: ICU kept in full (${listed.missing ? 'icupkg is not installed: apt-get install icu-devtools for a smaller image' : listed.stderr.trim()})`,
      );
      return false;
    }
    const remove = listed.stdout.toString('utf8').split('\n').filter(Boolean).filter(isOtherLocale);
    const list = path.join(work, 'remove.txt');
    fs.writeFileSync(list, `${remove.join('\n')}\n`);
    const outDir = path.join(work, 'out');
    fs.mkdirSync(outDir);
    const r = await tools.run('icupkg', ['-r', list, input, path.join(outDir, `${pkgName}.dat`)]);
    if (r.status !== 0) throw new Error(`icupkg failed: ${r.stderr}`);
    const trimmed = fs.readFileSync(path.join(outDir, `${pkgName}.dat`));
    if (trimmed.length > symbol.size) throw new Error('icupkg made the ICU data larger');
    data.fill(0, at, at + symbol.size);
    trimmed.copy(data, at);
    fs.writeFileSync(out, data, { mode: 0o755 });
    log(
      `node: ICU data trimmed to English (${mb(symbol.size)} -> ${mb(trimmed.length)}, ${remove.length} items removed)`,
    );
    return true;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Locale data of a language other than English (`de.res`, `coll/fr.res`, `zone/ja_JP.res`); root and shared tables stay. */
export function isOtherLocale(item: string): boolean {
  const m = /(?:^|\/)([a-z]{2,3}(?:_[A-Za-z0-9]*)*)\.res$/.exec(item);
  if (!m) return false;
  const locale = m[1];
  if (locale === 'root' || locale === 'pool' || locale === 'en' || locale.startsWith('en_')) return false;
  // Tables named like locales but shared by all of them.
  return !['res_index', 'supplementalData', 'metaZones', 'timezoneTypes', 'windowsZones', 'zoneinfo64'].includes(
    locale,
  );
}

/** Name and size of the embedded ICU data from the unstripped binary's symbol table. */
async function icuSymbol(binary: string, tools: HostTools): Promise<{ name: string; size: number } | undefined> {
  const r = await tools.run('nm', ['-S', '--defined-only', binary]);
  if (r.missing || r.status !== 0) return undefined;
  const m = /^[0-9a-f]+ ([0-9a-f]+) [Rr] (icudt\d+_dat)$/m.exec(r.stdout.toString('utf8'));
  return m ? { name: m[2], size: parseInt(m[1], 16) } : undefined;
}

/** Offset of ICU's common data header ("CmnD" format, magic 0xda27) followed by the whole package. */
export function findIcuBlob(data: Buffer, size: number): number {
  const format = Buffer.from('CmnD');
  for (let i = data.indexOf(format); i >= 0; i = data.indexOf(format, i + 1)) {
    const start = i - 12;
    if (start >= 0 && data[start + 2] === 0xda && data[start + 3] === 0x27 && start + size <= data.length) return start;
  }
  return -1;
}

const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
