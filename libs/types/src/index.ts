/**
 * Device signatures: what a unikernel may ask of its devices. Unikernels
 * import only these types; the generated main.ts supplies implementations.
 */
export * from './result';
export * from './console';
export * from './time';
export * from './block';
export * from './kv';
export * from './network';
export * from './stack';
export * from './net-layers';
export * from './resolver';
export * from './conduit';
export * from './http';
export * from './xen-control';
export * from './xenstore';
export * from './grant';
