/**
 * Page-sized buffers (MirageOS's Io_page) and the Cstruct-style hex dump.
 * Pure helpers: a unikernel may import them directly.
 */
export { PAGE_SIZE, get, isPageAligned, pages, stringBlit, toString } from './page';
export { hexdump } from './hexdump';
