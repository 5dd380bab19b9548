import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Deterministic bytes (xorshift), so a failing comparison can be reproduced. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * The tree both directions of the FAT tests use: nested folders, long and
 * non-ASCII names, an 8.3 name, a multi-megabyte file, an empty file, an
 * empty folder, and a folder with enough long names to span several clusters.
 */
export function writeTestTree(root: string): void {
  const files: Record<string, Buffer> = {
    a: Buffer.from('foo\n'),
    b: Buffer.from('bar\n'),
    'README.TXT': Buffer.from('an 8.3 name\n'),
    'empty.txt': Buffer.alloc(0),
    'A rather long file name, with spaces and (punctuation).text': Buffer.from('long\n'),
    'ünïcode näme — ok.md': Buffer.from('unicode\n'),
    'nested/deeper/deepest/leaf.txt': Buffer.from('leaf\n'),
    'nested/big.bin': pseudoRandomBytes(3 * 1024 * 1024 + 123, 42),
    'nested/exactly-one-cluster-4096.bin': pseudoRandomBytes(4096, 7),
  };
  for (let i = 0; i < 60; i++)
    files[`many/file number ${String(i).padStart(3, '0')} with a long name.dat`] = Buffer.from(`file ${i}\n`);
  for (const [rel, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), bytes);
  }
  fs.mkdirSync(path.join(root, 'empty-dir'));
}

/** Every file (path -> bytes) and folder (path -> null) under `root`. */
export function readTree(root: string): Map<string, Buffer | null> {
  const out = new Map<string, Buffer | null>();
  const walk = (dir: string, prefix: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const rel = prefix ? `${prefix}/${name}` : name;
      const abs = path.join(dir, name);
      if (fs.statSync(abs).isDirectory()) {
        out.set(rel, null);
        walk(abs, rel);
      } else {
        out.set(rel, fs.readFileSync(abs));
      }
    }
  };
  walk(root, '');
  return out;
}

/** The same tree with each file's bytes replaced by its SHA-256 and length: cheap to compare, exact all the same. */
export function digests(tree: ReadonlyMap<string, Buffer | null>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of tree) out[k] = v === null ? null : `${v.length}:${createHash('sha256').update(v).digest('hex')}`;
  return out;
}
