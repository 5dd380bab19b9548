import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

function canOpenForWriting(file: string): boolean {
  try {
    fs.closeSync(fs.openSync(file, 'r+'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `file` one this process really cannot open for writing. Taking away
 * the write permission is enough for a user; root ignores permissions, so
 * there the file is also marked immutable (chattr +i), which root obeys.
 * Returns what undoes it, so the file can be removed.
 */
export function makeUnwritable(file: string): () => void {
  fs.chmodSync(file, 0o444);
  let immutable = false;
  if (canOpenForWriting(file)) {
    const r = spawnSync('chattr', ['+i', file], { encoding: 'utf8' });
    immutable = r.status === 0;
    if (!immutable || canOpenForWriting(file)) {
      throw new Error(
        `cannot make ${file} unwritable for this test: chattr +i said ${r.error?.message ?? r.stderr.trim()}`,
      );
    }
  }
  return () => {
    if (immutable) spawnSync('chattr', ['-i', file]);
    fs.chmodSync(file, 0o644);
  };
}
