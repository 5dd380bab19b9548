import { Key } from '../key';
import { ifImpl, impl, matchImpl, resource, value, type Impl } from '../impl';
import { typ } from '../typ';
import { blockOfFile } from './block';

/** The read-only key/value store type (MirageOS `kv_ro`). */
export const kv_ro = typ('kv_ro', 'KvRo');
export const kvRo = kv_ro;

/**
 * A read-only filesystem (MirageOS `fs`). Ours serve the same operations as
 * a key/value store; `kvRoOfFs` makes one usable where a `kv_ro` is due.
 */
export const fs = typ('fs', 'KvRo');

// config.ts is evaluated afresh for each configure, so these count per configuration,
// as MirageOS numbers static1.ml, static2.ml and fat1.img.
let crunched = 0;
let fatImages = 0;
let archives = 0;

/**
 * The directory `dir` (relative to the app folder) turned into a TypeScript
 * module at configure time and embedded in the unikernel (MirageOS
 * `crunch`). The module is `static<N>.ts` beside main.ts in
 * dist/apps/<app>/<target>/. Each call is its own device.
 */
export function crunch(dir: string): Impl<'kv_ro'> {
  const n = ++crunched;
  return impl(kv_ro, {
    label: `crunched ${dir} (static${n}.ts)`,
    module: `./static${n}`,
    symbol: `Static${n}`,
    build: { step: 'crunch', options: { dir, module: `static${n}` } },
  });
}

/** The host directory `dir` (relative to the app folder), read when asked (MirageOS `direct_kv_ro`); unix only. */
export function directKvRo(dir: string): Impl<'kv_ro'> {
  return impl(kv_ro, {
    label: `host directory ${dir}`,
    module: '@mirage-ts/kv/direct',
    symbol: 'DirectKvRo',
    args: [resource({ kind: 'data-dir', dir })],
    targets: ['unix'],
  });
}

/** A FAT filesystem on a block device (MirageOS `fat`). */
export function fat(device: Impl<'block'>): Impl<'fs'> {
  return impl(fs, { label: 'FAT filesystem', module: '@mirage-ts/fat/fs', symbol: 'FatFs', args: [device] });
}

/**
 * A FAT filesystem holding the directory `dir` (MirageOS `fat_of_files`):
 * the image `fat<N>.img` in the app folder, made by
 * `npx nx run <app>:fat-image` (the seed's make-fat1-image.sh), read
 * through `blockOfFile` (a host file on unix, an attached disk in a VM).
 */
export function fatOfFiles(dir: string, options: { readonly image?: string } = {}): Impl<'fs'> {
  const image = options.image ?? `fat${++fatImages}.img`;
  return impl(fs, {
    label: `FAT image ${image} of ${dir}`,
    module: '@mirage-ts/fat/fs',
    symbol: 'FatFs',
    args: [blockOfFile(image)],
    build: { step: 'fat-image', options: { dir, image } },
  });
}

/** The key/value store view of a filesystem (MirageOS `kv_ro_of_fs`). */
export function kvRoOfFs(filesystem: Impl<'fs'>): Impl<'kv_ro'> {
  return impl(kv_ro, {
    label: 'key/value store over a filesystem',
    module: '@mirage-ts/fat/kv',
    symbol: 'FsKvRo',
    args: [filesystem],
  });
}

/**
 * A tar (ustar) image of the directory `dir` on a block device, read as a
 * key/value store (MirageOS `archive_of_files`): the image `tar<N>.img` in
 * the app folder, made by `npx nx run <app>:archive-image`, read through
 * `blockOfFile` (a host file on unix, an attached disk in a VM).
 */
export function archiveOfFiles(dir: string, options: { readonly image?: string } = {}): Impl<'kv_ro'> {
  const image = options.image ?? `tar${++archives}.img`;
  return impl(kv_ro, {
    label: `tar image ${image} of ${dir}`,
    module: '@mirage-ts/kv/archive',
    symbol: 'ArchiveKvRo',
    args: [blockOfFile(image), value(image)],
    build: { step: 'archive-image', options: { dir, image } },
  });
}

/** `--kv_ro=crunch|fat|archive|direct`, decided at configure time. */
export const kvRoKey = Key.create('kv_ro', {
  values: ['crunch', 'fat', 'archive', 'direct'],
  default: 'crunch',
  doc: 'Where the key/value store comes from: crunch (built into the unikernel), fat (a FAT image), archive (a tar image), direct (the host directory; unix only).',
});

/**
 * MirageOS's `generic_kv_ro`: `--kv_ro=crunch` embeds the directory,
 * `--kv_ro=fat` reads it from a FAT image, `--kv_ro=archive` from a tar
 * image, `--kv_ro=direct` passes through
 * to the host directory on unix and embeds it where there is no host
 * filesystem (xen, qemu).
 */
export function genericKvRo(dir: string, key: Key<'crunch' | 'fat' | 'archive' | 'direct'> = kvRoKey): Impl<'kv_ro'> {
  const embedded = crunch(dir);
  return matchImpl(key, {
    crunch: embedded,
    fat: kvRoOfFs(fatOfFiles(dir)),
    archive: archiveOfFiles(dir),
    direct: ifImpl(Key.isUnix, directKvRo(dir), embedded),
  });
}
