/**
 * The `nx-release-publish` target of each package (run by `nx release
 * publish`): `npm publish` of its folder under dist/packages/, which the
 * plugin's `package` target made. Nx passes --registry, --tag and --dryRun.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    registry: { type: 'string' },
    tag: { type: 'string' },
    dryRun: { type: 'string' },
    otp: { type: 'string' },
  },
  strict: false,
});
const dir = String(values.dir ?? '');
if (!dir || !fs.existsSync(path.join(dir, 'package.json'))) {
  process.stderr.write(`${dir || '--dir'} holds no package: run npx nx run @mirage-ts/nx-plugin:package first\n`);
  process.exit(1);
}
const registry = typeof values.registry === 'string' ? values.registry : undefined;
const args = ['publish', dir];
if (registry) {
  args.push('--registry', registry);
  // A local registry (npm run local-registry) takes anonymous publishes, but npm wants a token to send.
  if (/^https?:\/\/(localhost|127\.0\.0\.1)[:/]/.test(registry))
    args.push(`--${registry.replace(/^https?:/, '').replace(/\/?$/, '/')}:_authToken=local-registry`);
}
if (typeof values.tag === 'string') args.push('--tag', values.tag);
if (values.dryRun === 'true' || values.dryRun === true) args.push('--dry-run');
execFileSync('npm', args, { stdio: 'inherit' });
