import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SourceFile {
  readonly kind: 'file';
  readonly name: string;
  readonly hostPath: string;
  readonly size: number;
  readonly modified: number;
}

export interface SourceDir {
  readonly kind: 'dir';
  readonly name: string;
  readonly hostPath: string;
  readonly modified: number;
  readonly children: readonly (SourceFile | SourceDir)[];
}

/** A directory the builder cannot put on a FAT volume as it is; the message names the file and the fix. */
export class SourceTreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceTreeError';
  }
}

/** Characters a long FAT name may not hold. */
const FORBIDDEN = /["*/:<>?\\|\x00-\x1f]/;
const MAX_FILE_BYTES = 0xffffffff;

/**
 * Reads the directory to put on the volume, in a stable (sorted) order so
 * the same directory always gives the same image. Symbolic links are
 * followed; a link loop, a special file or a name FAT cannot hold is an
 * error rather than a silently different image.
 */
export function readSourceTree(root: string): SourceDir {
  const stat = statOrThrow(root);
  if (!stat.isDirectory()) throw new SourceTreeError(`${root} is not a directory`);
  return readDir(root, path.basename(root), stat, [fs.realpathSync(root)]);
}

function readDir(hostPath: string, name: string, stat: fs.Stats, ancestors: readonly string[]): SourceDir {
  const names = fs.readdirSync(hostPath).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
  const seen = new Map<string, string>();
  const children: (SourceFile | SourceDir)[] = [];
  for (const child of names) {
    const childPath = path.join(hostPath, child);
    checkName(child, childPath);
    const folded = child.toUpperCase();
    const clash = seen.get(folded);
    if (clash !== undefined) {
      throw new SourceTreeError(
        `${childPath}: FAT names ignore case, so '${child}' and '${clash}' would be the same name; rename one of them`,
      );
    }
    seen.set(folded, child);
    const s = statOrThrow(childPath);
    if (s.isDirectory()) {
      const real = fs.realpathSync(childPath);
      if (ancestors.includes(real))
        throw new SourceTreeError(`${childPath} links back to a directory that contains it; remove the link`);
      children.push(readDir(childPath, child, s, [...ancestors, real]));
    } else if (s.isFile()) {
      if (s.size > MAX_FILE_BYTES)
        throw new SourceTreeError(`${childPath} is ${s.size} bytes; a FAT file holds at most 4 GiB - 1`);
      children.push({ kind: 'file', name: child, hostPath: childPath, size: s.size, modified: Math.floor(s.mtimeMs) });
    } else {
      throw new SourceTreeError(`${childPath} is neither a file nor a directory; FAT can hold only those`);
    }
  }
  return { kind: 'dir', name, hostPath, modified: Math.floor(stat.mtimeMs), children };
}

function checkName(name: string, hostPath: string): void {
  const bad = FORBIDDEN.exec(name);
  if (bad) {
    throw new SourceTreeError(`${hostPath}: a FAT name cannot contain ${JSON.stringify(bad[0])}; rename the file`);
  }
  if (name.length > 255)
    throw new SourceTreeError(`${hostPath}: the name is ${name.length} characters; FAT allows 255`);
  if (/[. ]$/.test(name))
    throw new SourceTreeError(`${hostPath}: a FAT name cannot end with '.' or a space; rename the file`);
}

function statOrThrow(p: string): fs.Stats {
  try {
    return fs.statSync(p);
  } catch (e) {
    throw new SourceTreeError(`${p} cannot be read: ${(e as Error).message}`);
  }
}
