import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes an artifact folder all at once: the work happens in a sibling
 * folder that replaces `dir` only when `work` succeeds. A failed build leaves
 * the previous artifact whole and no half-written one. The sibling sits at
 * the same depth, so relative paths computed for `dir` hold inside it.
 */
export async function replaceDirWhenDone<T>(dir: string, work: (stagingDir: string) => Promise<T>): Promise<T> {
  const parent = path.dirname(dir);
  const staging = path.join(parent, `.${path.basename(dir)}.staging-${process.pid}`);
  // The first folder this creates, if any: removed again when the work fails.
  const created = fs.mkdirSync(parent, { recursive: true });
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging);
  let done = false;
  try {
    const result = await work(staging);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
    done = true;
    return result;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    if (!done && created) fs.rmSync(created, { recursive: true, force: true });
  }
}
