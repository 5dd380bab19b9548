/**
 * Block files named in config.ts, read from its text (Nx builds its project
 * graph without running config.ts). Only plain names count: a name built at
 * run time cannot be known here, and *.img covers the usual ones anyway.
 */
export function blockFilesNamedIn(configSource: string): string[] {
  const names = new Set<string>();
  for (const m of configSource.matchAll(/\bblockOfFile\(\s*(['"`])([\w./-]+)\1\s*[,)]/g)) names.add(m[2]);
  return [...names];
}

/**
 * Build inputs that leave disk images out. A unikernel rewrites its image
 * on every run; counted as a source, it would make every build a cache miss
 * and be hashed again each time (see disk-images.ts for where images live).
 */
export function diskImageInputExclusions(configSource: string): string[] {
  return [
    '!{projectRoot}/**/*.img',
    ...blockFilesNamedIn(configSource)
      .filter((f) => !f.endsWith('.img'))
      .map((f) => `!{projectRoot}/${f.replace(/^\.\//, '')}`),
  ];
}
