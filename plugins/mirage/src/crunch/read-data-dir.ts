import { parseKey } from '@mirage-ts/kv/key';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CrunchInput } from './crunch-module';

/**
 * Reads a data directory into the entries of a crunched store, sorted so the
 * same directory always gives the same module. Symbolic links are followed
 * (a link loop is refused); a name no key can reach or a special file is
 * refused with the path, so nothing is silently left out.
 */
export function readDataDir(root: string): CrunchInput[] {
  const out: CrunchInput[] = [];
  const walk = (dir: string, prefix: string, ancestors: readonly string[]) => {
    for (const name of fs.readdirSync(dir).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1))) {
      const host = path.join(dir, name);
      const key = prefix ? `${prefix}/${name}` : name;
      const parsed = parseKey(key);
      if (!parsed.ok) throw new Error(`${host} cannot be a key: ${parsed.error.message}; rename it`);
      const stat = fs.statSync(host);
      if (stat.isDirectory()) {
        const real = fs.realpathSync(host);
        if (ancestors.includes(real))
          throw new Error(`${host} links back to a directory that contains it; remove the link`);
        out.push({ key, kind: 'dictionary', modified: Math.floor(stat.mtimeMs) });
        walk(host, key, [...ancestors, real]);
      } else if (stat.isFile()) {
        out.push({ key, kind: 'value', modified: Math.floor(stat.mtimeMs), bytes: fs.readFileSync(host) });
      } else {
        throw new Error(`${host} is neither a file nor a directory; only those can be crunched`);
      }
    }
  };
  walk(root, '', [fs.realpathSync(root)]);
  return out;
}
