// Backends are imported by their own path ('@mirage-ts/xenstore/xenbus') so that a
// bundle carries only what its target uses.
export {};
