import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unikernelGenerator } from './generator';

const APP = path.resolve(__dirname, '../../../../../apps/dhcp');

describe('the dhcp template', () => {
  it('scaffolds the dhcp example as it is in apps/dhcp, dhcpd.conf included', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name: 'dhcp' });
    for (const file of ['config.ts', 'unikernel.ts', 'files/dhcpd.conf']) {
      expect(tree.read(`apps/dhcp/${file}`, 'utf8')).toBe(fs.readFileSync(path.join(APP, file), 'utf8'));
    }
  });

  it('registers an app scaffolded under another name by that name, with the --ipaddr key', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name: 'lan-dhcp', template: 'dhcp' });
    const config = tree.read('apps/lan-dhcp/config.ts', 'utf8') ?? '';
    expect(config).toContain(
      "register('lan-dhcp', [main(defaultConsole, disk, tap0, defaultClock)], { keys: [ipaddr] })",
    );
    expect(config).toContain("crunch('files')");
    expect(tree.read('apps/lan-dhcp/files/dhcpd.conf', 'utf8')).toContain('range 192.168.1.70 192.168.1.100;');
  });
});
