import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import type { Tree } from '@nx/devkit';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unikernelGenerator } from './generator';
import { TEMPLATES } from './lib/templates';
import schema from './schema.json';

const WORKSPACE = path.resolve(__dirname, '../../../../..');

describe('nx g unikernel', () => {
  let tree: Tree;
  beforeEach(() => (tree = createTreeWithEmptyWorkspace()));

  it('scaffolds a new unikernel from the console template, registered under its own name', async () => {
    await unikernelGenerator(tree, { name: 'hello' });
    expect(tree.children('apps/hello').sort()).toEqual(['config.ts', 'tsconfig.json', 'unikernel.ts']);
    const config = tree.read('apps/hello/config.ts', 'utf8');
    expect(config).toContain("register('hello', [main(defaultConsole)])");
    expect(config).toContain("foreign('Unikernel.Main', [console])");
    expect(tree.read('apps/hello/unikernel.ts', 'utf8')).toContain('export class Main');
  });

  it('scaffolds an example when given its name, identical to the one in this repository', async () => {
    for (const example of Object.keys(TEMPLATES)) {
      const repoCopy = path.join(WORKSPACE, 'apps', example);
      if (!fs.existsSync(repoCopy)) continue;
      await unikernelGenerator(tree, { name: example });
      // Examples may carry data folders (kv_ro's t/): compare every file below the app.
      const files = (dir: string): string[] =>
        tree
          .children(`apps/${example}/${dir}`)
          .flatMap((c) => (tree.isFile(`apps/${example}/${dir}${c}`) ? [`${dir}${c}`] : files(`${dir}${c}/`)));
      // A generated TLS key pair is new each time (web-templates.spec.ts checks it).
      for (const file of files('').filter((f) => !f.startsWith('secrets/'))) {
        const generated = tree.read(`apps/${example}/${file}`, 'utf8');
        expect({ file, generated }).toEqual({ file, generated: fs.readFileSync(path.join(repoCopy, file), 'utf8') });
      }
    }
  });

  it('takes --template and --directory', async () => {
    await unikernelGenerator(tree, { name: 'greeter', template: 'console', directory: 'services/greeter/' });
    expect(tree.exists('services/greeter/config.ts')).toBe(true);
    expect(tree.read('services/greeter/config.ts', 'utf8')).toContain("register('greeter'");
  });

  it('refuses to overwrite an existing app and writes nothing', async () => {
    tree.write('apps/hello/unikernel.ts', '// mine\n');
    await expect(unikernelGenerator(tree, { name: 'hello' })).rejects.toThrow(
      'apps/hello already exists. Choose another name, or remove apps/hello first; nothing was written.',
    );
    expect(tree.read('apps/hello/unikernel.ts', 'utf8')).toBe('// mine\n');
    expect(tree.exists('apps/hello/config.ts')).toBe(false);
  });

  it('refuses an unknown template, listing the known ones', async () => {
    await expect(unikernelGenerator(tree, { name: 'x', template: 'vmware' })).rejects.toThrow(
      `Unknown template 'vmware'. Available templates: ${Object.keys(TEMPLATES).join(', ')}`,
    );
  });

  it('refuses a name that cannot be a project and binary name', async () => {
    await expect(unikernelGenerator(tree, { name: 'Hello World' })).rejects.toThrow(
      /'Hello World' is not a valid unikernel name/,
    );
  });

  it('gives the app a tsconfig.json on the workspace base config, at any depth', async () => {
    tree.write('tsconfig.base.json', '{ "compilerOptions": {} }\n');
    await unikernelGenerator(tree, { name: 'greeter', directory: 'services/edge/greeter' });
    const config = JSON.parse(tree.read('services/edge/greeter/tsconfig.json', 'utf8') as string);
    expect(config.extends).toBe('../../../tsconfig.base.json');
    expect(config.include).toEqual(['**/*.ts']);
  });

  it('writes a standalone tsconfig.json where the workspace has no base config', async () => {
    tree.delete('tsconfig.base.json');
    await unikernelGenerator(tree, { name: 'hello' });
    const config = JSON.parse(tree.read('apps/hello/tsconfig.json', 'utf8') as string);
    expect(config.extends).toBeUndefined();
    expect(config.compilerOptions).toMatchObject({ strict: true, noEmit: true });
  });
});

describe('nx g unikernel prompts', () => {
  it('asks for the name when none is given', () => {
    expect(schema.properties.name['x-prompt']).toEqual(expect.any(String));
    expect(schema.required).toContain('name');
  });

  it('offers every template, in the order of TEMPLATES, and nothing else', () => {
    const prompt = schema.properties.template['x-prompt'];
    expect(prompt.type).toBe('list');
    expect(prompt.items.map((i) => i.value)).toEqual(Object.keys(TEMPLATES));
    for (const item of prompt.items) expect(item.label.startsWith(`${item.value}: `)).toBe(true);
  });
});
