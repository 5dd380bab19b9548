// Backends are imported by their own path so that a bundle carries only the
// one its target uses: '@mirage-ts/block/file' (a host file, unix),
// '@mirage-ts/block/raw' (a raw device or file, inside VM images),
// '@mirage-ts/block/memory' (in memory, for tests).
export {};
