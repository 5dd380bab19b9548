import * as fs from 'node:fs';
import * as path from 'node:path';
import { blockFilesNamedIn, diskImageInputExclusions } from './input-exclusions';

describe('disk images as build inputs', () => {
  it('finds the block files the block example names', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'apps', 'block', 'config.ts'), 'utf8');
    expect(blockFilesNamedIn(source)).toEqual(['xvda1', 'disk.img']);
    expect(diskImageInputExclusions(source)).toEqual(['!{projectRoot}/**/*.img', '!{projectRoot}/xvda1']);
  });

  it('reads only plain names, in any quotes', () => {
    expect(
      blockFilesNamedIn(`blockOfFile("a.raw") blockOfFile(\`./b/c\`, x) blockOfFile(name) blockOfFile('\${x}.img')`),
    ).toEqual(['a.raw', './b/c']);
    expect(diskImageInputExclusions(`blockOfFile('./b/c')`)).toEqual(['!{projectRoot}/**/*.img', '!{projectRoot}/b/c']);
  });
});
