import { logger, type Tree } from '@nx/devkit';
import { selfSignedPair } from '@mirage-ts/conduit/builder/self-signed';
import { createFiles } from './lib/create-files';
import { normalizeOptions } from './lib/normalize-options';
import type { UnikernelGeneratorSchema } from './schema';

/** `nx g unikernel NAME [--template=console|...]` */
export async function unikernelGenerator(tree: Tree, schema: UnikernelGeneratorSchema): Promise<() => void> {
  const options = normalizeOptions(schema);
  createFiles(tree, options);
  if (options.template === 'static_website_tls') {
    // Each new HTTPS app gets its own key pair; nobody else holds its private key.
    const pair = await selfSignedPair({ ipAddresses: ['127.0.0.1', '10.0.0.2'] });
    tree.write(`${options.directory}/secrets/tls/server.pem`, pair.cert);
    tree.write(`${options.directory}/secrets/tls/server.key`, pair.key);
  }
  return () => {
    logger.info(`Created ${options.directory} from the ${options.template} template.`);
    logger.info(`Build and run it with: npx nx run ${options.name}:run --target=unix`);
  };
}

export default unikernelGenerator;
