/**
 * `npm run cache-server -- --dir <folder> [--port 3030] [--host 127.0.0.1]`:
 * serves <folder> as Nx's remote cache. Point Nx at it with
 * NX_SELF_HOSTED_REMOTE_CACHE_SERVER=<the printed url>; a token in
 * NX_CACHE_SERVER_TOKEN is then required as NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN.
 */
import { parseArgs } from 'node:util';
import { startCacheServer } from './server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      port: { type: 'string', default: '3030' },
      host: { type: 'string', default: '127.0.0.1' },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (!values.dir) {
    process.stderr.write('usage: npm run cache-server -- --dir <folder> [--port 3030] [--host 127.0.0.1]\n');
    process.exit(2);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port ${values.port} is not a port number (0 picks a free one)\n`);
    process.exit(2);
  }
  const server = await startCacheServer({
    dir: values.dir,
    port,
    host: values.host,
    token: process.env.NX_CACHE_SERVER_TOKEN || undefined,
    log: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`Nx remote cache on ${server.url} (folder ${values.dir})\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
