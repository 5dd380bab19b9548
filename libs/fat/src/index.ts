// The device classes are imported by their own path ('@mirage-ts/fat/fs', '@mirage-ts/fat/kv');
// the image builder is a build-time tool ('@mirage-ts/fat/builder/build-image').
export { FatFormatError, FatDeviceError } from './errors';
export { parseBootSector, type FatType, type Geometry } from './boot-sector';
export { FatVolume } from './reader/volume';
export { FatFs } from './fs';
export { FsKvRo } from './kv';
export { buildFatImage, type BuildFatImageOptions, type FatImageSummary } from './builder/build-image';
export { SourceTreeError } from './builder/source-tree';
