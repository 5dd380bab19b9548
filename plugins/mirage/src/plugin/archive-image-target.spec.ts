import { contributedTargets } from './contributed-targets';

describe('the archive-image target', () => {
  const targetsOf = (configSource: string) =>
    contributedTargets({ name: 'www', root: 'apps/www', configSource })['archive-image'];

  it('is cached on config.ts and the data folders that genericKvRo/archiveOfFiles name, and outputs tar*.img', () => {
    const t = targetsOf("const fs = genericKvRo('htdocs');\nconst more = archiveOfFiles('./extra/');");
    expect(t).toMatchObject({ executor: '@mirage-ts/nx-plugin:archive-image', cache: true });
    expect(t.inputs).toEqual(['{projectRoot}/config.ts', '{projectRoot}/htdocs/**/*', '{projectRoot}/extra/**/*']);
    expect(t.outputs).toEqual(['{projectRoot}/tar*.img']);
    expect(t.metadata?.help?.command).toBe('npx nx run www:archive-image');
  });

  it('also outputs an image config.ts names itself', () => {
    expect(targetsOf("const fs = archiveOfFiles('htdocs', { image: 'site.img' });").outputs).toEqual([
      '{projectRoot}/tar*.img',
      '{projectRoot}/site.img',
    ]);
  });

  it('falls back to the whole app folder, images aside, when a folder is not a plain string', () => {
    expect(targetsOf('const fs = archiveOfFiles(dir);').inputs).toEqual([
      '{projectRoot}/config.ts',
      '{projectRoot}/**/*',
      '!{projectRoot}/**/*.img',
    ]);
  });

  it('is not offered to a unikernel that names no tar image', () => {
    expect(targetsOf("const fs = crunch('t');")).toBeUndefined();
  });
});
