import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EvaluatedConfig } from '../../configure/evaluate';
import { UserError } from '../../configure/user-error';
import type { UnikernelProject } from '../../pipeline/configure-step';

export interface DataImageJob {
  readonly dir: { readonly abs: string; readonly rel: string };
  readonly image: { readonly abs: string; readonly rel: string };
}

/** Which images a step makes, and how messages name them. */
export interface DataImageKind {
  /** The impl's build step: `fat-image`, `archive-image`. */
  readonly step: string;
  /** `FAT`, `tar`. */
  readonly what: string;
  /** The DSL function that names one: `fatOfFiles`. */
  readonly dsl: string;
  /** The --kv_ro value that picks it: `fat`. */
  readonly kvRo: string;
}

export const FAT_IMAGES: DataImageKind = { step: 'fat-image', what: 'FAT', dsl: 'fatOfFiles', kvRo: 'fat' };
export const TAR_IMAGES: DataImageKind = { step: 'archive-image', what: 'tar', dsl: 'archiveOfFiles', kvRo: 'archive' };

/**
 * The images of one kind named anywhere in config.ts (in every branch of
 * ifImpl and matchImpl: the image must exist before --kv_ro=fat or archive
 * is chosen), each once, with its data folder checked to lie inside the app folder.
 */
export function dataImagesOf(
  evaluated: EvaluatedConfig,
  project: UnikernelProject,
  kind: DataImageKind,
): DataImageJob[] {
  const appDir = path.join(project.workspaceRoot, project.projectRoot);
  const jobs = new Map<string, DataImageJob>();
  for (const node of evaluated.graph.nodes) {
    if (node.kind !== 'device' || node.build?.step !== kind.step) continue;
    const at = evaluated.locations.get(node.id) ?? { file: evaluated.configFile };
    const { dir, image } = node.build.options as { dir?: unknown; image?: unknown };
    const inApp = (name: unknown, what: string) => {
      const abs = typeof name === 'string' && name !== '' ? path.resolve(appDir, name) : '';
      const rel = path.relative(appDir, abs);
      if (!abs || rel.startsWith('..') || path.isAbsolute(rel)) {
        throw new UserError(`${node.label}: the ${what} '${String(name)}' is not inside ${project.projectRoot}`, {
          at,
          fix: `name a ${what} inside ${project.projectRoot}, relative to it`,
        });
      }
      return { abs, rel: path.join(project.projectRoot, rel).split(path.sep).join('/') };
    };
    const d = inApp(dir, 'folder');
    const i = inApp(image, 'image');
    if (!fs.existsSync(d.abs) || !fs.statSync(d.abs).isDirectory()) {
      throw new UserError(`${node.label}: the folder ${d.rel} does not exist`, {
        at,
        fix: `create ${d.rel} with the files the image should hold`,
      });
    }
    const known = jobs.get(i.abs);
    if (known && known.dir.abs !== d.abs) {
      throw new UserError(`${i.rel} is named for both ${known.dir.rel} and ${d.rel}`, {
        at,
        fix: `give each ${kind.dsl} its own image: ${kind.dsl}(dir, { image: ... })`,
      });
    }
    jobs.set(i.abs, { dir: d, image: i });
  }
  if (jobs.size === 0) {
    throw new UserError(`${evaluated.configFile} names no ${kind.what} image`, {
      at: { file: evaluated.configFile },
      fix: `use ${kind.dsl}('t') or genericKvRo('t')`,
    });
  }
  return [...jobs.values()];
}
