import { logger, type Tree } from '@nx/devkit';
import { createFiles } from './lib/create-files';
import { normalizeOptions } from './lib/normalize-options';
import type { UnikernelGeneratorSchema } from './schema';

/** `nx g unikernel NAME [--template=console|...]` */
export async function unikernelGenerator(tree: Tree, schema: UnikernelGeneratorSchema): Promise<() => void> {
  const options = normalizeOptions(schema);
  createFiles(tree, options);
  return () => {
    logger.info(`Created ${options.directory} from the ${options.template} template.`);
    logger.info(`Build and run it with: npx nx run ${options.name}:run --target=unix`);
  };
}

export default unikernelGenerator;
