// Backends are imported by their own path ('@mirage-ts/kv/crunch', '@mirage-ts/kv/direct')
// so that a bundle carries only the store it uses. Key rules are shared by every store.
export { parseKey } from './key';
