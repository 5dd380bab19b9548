// Backends are imported by their own path ('@mirage-ts/xen-grant/device') so that a
// bundle carries only what its target uses.
export {};
