import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostTools } from './host-tools';
import { cacheDir } from './kernel';

/**
 * The Node binary to put in the image, without its symbol tables and debug information when
 * `strip` is available: Debian's node carries ~13 MB of them (N-API's dynamic symbols stay), which the guest
 * would otherwise unpack into RAM at every boot. The stripped copy is kept
 * in the cache, named by the original's hash, so builds stay reproducible
 * and only the first one pays.
 */
export async function guestNodeBinary(node: string, tools: HostTools, log: (line: string) => void): Promise<string> {
  const hash = createHash('sha256').update(fs.readFileSync(node)).digest('hex').slice(0, 16);
  const stripped = path.join(cacheDir(), 'node', `node-${hash}-stripped`);
  if (fs.existsSync(stripped)) return stripped;
  fs.mkdirSync(path.dirname(stripped), { recursive: true });
  const partial = `${stripped}.partial-${process.pid}`;
  const r = await tools.run('strip', ['--strip-all', '-o', partial, node]);
  if (r.missing || r.status !== 0) {
    fs.rmSync(partial, { force: true });
    log(
      `node: kept unstripped (${r.missing ? 'strip is not installed: apt-get install binutils for a smaller image' : r.stderr.trim()})`,
    );
    return node;
  }
  fs.renameSync(partial, stripped);
  return stripped;
}
