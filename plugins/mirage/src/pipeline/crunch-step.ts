import * as fs from 'node:fs';
import * as path from 'node:path';
import { crunchModule } from '../crunch/crunch-module';
import { readDataDir } from '../crunch/read-data-dir';
import { UserError } from '../configure/user-error';
import { registerBuildStep } from './build-steps';
import { dataDirOf } from './data-dir';

/**
 * `crunch('t')`: writes the directory as a module (static1.ts) beside
 * main.ts, which imports it under the impl's `module` (`./static1`).
 */
registerBuildStep(
  'crunch',
  async (device, options, ctx) => {
    const { abs, rel } = dataDirOf(device, options.dir, ctx.workspaceRoot, ctx.projectRoot);
    const moduleName = String(options.module);
    if (!/^[A-Za-z][\w-]*$/.test(moduleName)) throw new Error(`crunch: bad module name ${moduleName}`);
    let entries;
    try {
      entries = readDataDir(abs);
    } catch (e) {
      throw new UserError(`${device.label}: ${(e as Error).message}`, {
        at: device.at,
        fix: 'keep only files and folders with plain names in the data folder',
      });
    }
    const text = crunchModule({ symbol: device.symbol, source: rel, project: ctx.project, entries });
    fs.mkdirSync(ctx.stagingDir, { recursive: true });
    fs.writeFileSync(path.join(ctx.stagingDir, `${moduleName}.ts`), text);
  },
  { imports: ['@mirage-ts/kv/crunch'] },
);
