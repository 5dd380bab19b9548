import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostTools } from './host-tools';
import { trimIcu, type IcuMode } from './icu';
import { cacheDir } from './kernel';

/**
 * The Node binary to put in the image, without its symbol tables and debug information when
 * `strip` is available: Debian's node carries ~13 MB of them (N-API's dynamic symbols stay), which the guest
 * would otherwise unpack into RAM at every boot. The stripped copy is kept
 * in the cache, named by the original's hash, so builds stay reproducible
 * and only the first one pays.
 */
export async function guestNodeBinary(
  node: string,
  tools: HostTools,
  log: (line: string) => void,
  icu: IcuMode = 'full',
): Promise<string> {
  const hash = createHash('sha256').update(fs.readFileSync(node)).digest('hex').slice(0, 16);
  const stripped = await strippedNode(node, hash, tools, log);
  if (icu === 'full') return stripped;
  // The version suffix names the trimming rule: a change to it makes a new file.
  const trimmed = path.join(cacheDir(), 'node', `node-${hash}-icu-en-1`);
  if (fs.existsSync(trimmed)) return trimmed;
  const partial = `${trimmed}.partial-${process.pid}`;
  if (!(await trimIcu(node, stripped, partial, tools, log))) return stripped;
  fs.renameSync(partial, trimmed);
  return trimmed;
}

async function strippedNode(
  node: string,
  hash: string,
  tools: HostTools,
  log: (line: string) => void,
): Promise<string> {
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
