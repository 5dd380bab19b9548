// The stack is imported by its own path ('@mirage-ts/socket-stack/stack'), as
// every device backend is, so a bundle carries only what its target uses.
export {};
