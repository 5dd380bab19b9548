import { TEMPLATES } from './templates';
import type { UnikernelGeneratorSchema } from '../schema';

export interface NormalizedOptions {
  readonly name: string;
  readonly template: string;
  readonly directory: string;
  readonly registerName: string;
}

const NAME = /^[a-z][a-z0-9_-]*$/;

export function normalizeOptions(options: UnikernelGeneratorSchema): NormalizedOptions {
  const name = options.name?.trim();
  if (!name || !NAME.test(name)) {
    throw new Error(
      `'${options.name ?? ''}' is not a valid unikernel name: use lower-case letters, digits, '_' and '-', starting with a letter`,
    );
  }
  const template = options.template ?? (name in TEMPLATES ? name : 'console');
  const example = TEMPLATES[template];
  if (!example) {
    throw new Error(`Unknown template '${template}'. Available templates: ${Object.keys(TEMPLATES).join(', ')}`);
  }
  return {
    name,
    template,
    directory: (options.directory ?? `apps/${name}`).replace(/\/+$/, ''),
    registerName: name === template ? example.registerName : name,
  };
}
