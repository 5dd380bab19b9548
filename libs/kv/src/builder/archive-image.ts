import * as fs from 'node:fs';
import * as path from 'node:path';
import { BLOCK, UstarHeaderError, writeHeader } from '../archive/ustar';

/** A folder that cannot go into a tar image as it is; the message names the file and the fix. */
export class ArchiveSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveSourceError';
  }
}

export interface ArchiveSummary {
  readonly files: number;
  readonly directories: number;
  readonly bytes: number;
}

/** Largest size an 11-digit octal field holds. */
const MAX_FILE_BYTES = 0o77777777777;

const byName = (a: string, b: string) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1);

/**
 * Writes the folder `dir` as a ustar image at `image` (MirageOS's
 * archive_of_files): entries in sorted order, no owners, modes 0644/0755,
 * so the same folder always gives the same bytes apart from file times.
 * Symbolic links are followed; loops and special files are refused.
 */
export function buildArchiveImage(dir: string, image: string): ArchiveSummary {
  if (!fs.statSync(dir).isDirectory()) throw new ArchiveSourceError(`${dir} is not a directory`);
  const parts: Uint8Array[] = [];
  let files = 0;
  let directories = 0;
  const header = (hostPath: string, fields: Parameters<typeof writeHeader>[0]) => {
    try {
      return writeHeader(fields);
    } catch (e) {
      if (e instanceof UstarHeaderError) throw new ArchiveSourceError(`${hostPath}: ${e.why}; shorten its path`);
      throw e;
    }
  };
  const walk = (hostDir: string, prefix: string, ancestors: readonly string[]) => {
    for (const name of fs.readdirSync(hostDir).sort(byName)) {
      const hostPath = path.join(hostDir, name);
      const key = prefix ? `${prefix}/${name}` : name;
      const s = fs.statSync(hostPath);
      const mtime = Math.floor(s.mtimeMs / 1000);
      if (s.isDirectory()) {
        const real = fs.realpathSync(hostPath);
        if (ancestors.includes(real))
          throw new ArchiveSourceError(`${hostPath} links back to a directory that contains it; remove the link`);
        parts.push(header(hostPath, { name: key, size: 0, mtime, directory: true }));
        directories++;
        walk(hostPath, key, [...ancestors, real]);
      } else if (s.isFile()) {
        if (s.size > MAX_FILE_BYTES)
          throw new ArchiveSourceError(`${hostPath} is ${s.size} bytes; a ustar entry holds at most 8 GiB - 1`);
        parts.push(header(hostPath, { name: key, size: s.size, mtime, directory: false }));
        const data = fs.readFileSync(hostPath);
        parts.push(data);
        if (data.length % BLOCK) parts.push(new Uint8Array(BLOCK - (data.length % BLOCK)));
        files++;
      } else {
        throw new ArchiveSourceError(`${hostPath} is neither a file nor a directory; a tar image holds only those`);
      }
    }
  };
  walk(dir, '', [fs.realpathSync(dir)]);
  parts.push(new Uint8Array(2 * BLOCK)); // end of archive
  const bytes = Buffer.concat(parts);
  const tmp = `${image}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, image);
  return { files, directories, bytes: bytes.length };
}
