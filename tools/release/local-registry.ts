/**
 * A local npm registry (verdaccio) for the workspace's packages: `npm run
 * local-registry` keeps one running on 127.0.0.1:4873 with its storage in
 * tmp/local-registry; tests start their own on a free port with a scratch
 * storage. @mirage-ts/* packages live only there; others are proxied from npmjs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface LocalRegistry {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startLocalRegistry(options: { storage: string; port: number }): Promise<LocalRegistry> {
  fs.mkdirSync(options.storage, { recursive: true });
  // The checked-in config, with its storage folders moved to this registry's own.
  const config = fs
    .readFileSync(path.join(__dirname, 'verdaccio.yaml'), 'utf8')
    .replace(/^storage: .*$/m, `storage: ${JSON.stringify(path.join(options.storage, 'storage'))}`)
    .replace(/^(\s+file: ).*htpasswd$/m, `$1${JSON.stringify(path.join(options.storage, 'htpasswd'))}`);
  const configFile = path.join(options.storage, 'verdaccio.yaml');
  fs.writeFileSync(configFile, config);
  const url = `http://127.0.0.1:${options.port}`;
  const child: ChildProcess = spawn(
    path.join(ROOT, 'node_modules', '.bin', 'verdaccio'),
    ['--config', configFile, '--listen', `127.0.0.1:${options.port}`],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode}) before it answered on ${url}`);
    const ok = await fetch(`${url}/-/ping`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`verdaccio did not answer on ${url} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) child.kill();
      await exited;
    },
  };
}

/**
 * Drops what npm's cache holds from `url` (packuments of an earlier registry
 * on the same port), so an install with `prefer-offline` asks this registry
 * for the @mirage-ts packages instead of reusing another run's.
 */
export function forgetInNpmCache(url: string, env: NodeJS.ProcessEnv = process.env): void {
  const ls = spawnSync('npm', ['cache', 'ls'], { env, encoding: 'utf8' });
  if (ls.status !== 0) throw new Error(`npm cache ls failed:\n${ls.stderr}`);
  const keys = ls.stdout.split('\n').filter((key) => key.includes(`:${url}/`));
  if (keys.length === 0) return;
  const clean = spawnSync('npm', ['cache', 'clean', ...keys], { env, encoding: 'utf8' });
  if (clean.status !== 0) throw new Error(`npm cache clean failed:\n${clean.stderr}`);
}

if (require.main === module) {
  const port = Number(process.env.LOCAL_REGISTRY_PORT ?? 4873);
  void startLocalRegistry({ storage: path.join(ROOT, 'tmp', 'local-registry'), port }).then((registry) => {
    process.stdout.write(
      `Local registry on ${registry.url}\n` +
        `Publish to it: npx nx release publish --registry=${registry.url}\n` +
        `Install from it: npm install --@mirage-ts:registry=${registry.url} @mirage-ts/nx-plugin\n`,
    );
    const stop = () => void registry.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
