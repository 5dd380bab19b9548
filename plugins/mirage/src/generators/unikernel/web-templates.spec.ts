import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unikernelGenerator } from './generator';

const APPS = path.resolve(__dirname, '../../../../../apps');

describe('the web templates', () => {
  it.each([
    ['static_website', ['config.ts', 'dispatch.ts', 'htdocs/index.html', 'htdocs/docs/index.html']],
    ['static_website_tls', ['config.ts', 'dispatch.ts', 'htdocs/style.css']],
    ['conduit_server', ['config.ts', 'unikernel.ts']],
    ['static_website_ip', ['config.ts', 'dispatch.ts', 'htdocs/index.html']],
    ['conduit_server_manual', ['config.ts', 'unikernel.ts']],
    ['http-fetch', ['config.ts', 'unikernel.ts']],
  ])('scaffolds %s as it is in apps/', async (name, files) => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name });
    for (const file of files)
      expect(tree.read(`apps/${name}/${file}`, 'utf8')).toBe(fs.readFileSync(path.join(APPS, name, file), 'utf8'));
  });

  it('gives a new HTTPS app its own self-signed certificate and matching key', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await unikernelGenerator(tree, { name: 'shop', template: 'static_website_tls' });
    expect(tree.read('apps/shop/config.ts', 'utf8')).toContain("register('shop'");
    const cert = new crypto.X509Certificate(tree.read('apps/shop/secrets/tls/server.pem', 'utf8') ?? '');
    const key = crypto.createPrivateKey(tree.read('apps/shop/secrets/tls/server.key', 'utf8') ?? '');
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:localhost');
    // Not the example's committed pair.
    const example = fs.readFileSync(path.join(APPS, 'static_website_tls/secrets/tls/server.pem'), 'utf8');
    expect(cert.fingerprint256).not.toBe(new crypto.X509Certificate(example).fingerprint256);
  });
});
