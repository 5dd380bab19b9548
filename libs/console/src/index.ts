// Backends are imported by their own path (e.g. '@mirage-ts/console/stdio') so
// that a bundle carries only the backend its target uses.
export {};
