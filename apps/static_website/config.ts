import {
  conduitDirect,
  console,
  defaultConsole,
  foreign,
  genericKvRo,
  genericStackv4,
  http,
  httpServer,
  Key,
  kv_ro,
  register,
  tap0,
} from '@mirage-ts/mirage';

// The seed's FS environment variable is the key --kv_ro: crunch (the default) embeds
// htdocs/, fat reads it from fat1.img (npx nx run static_website:fat-image), archive
// from the tar image tar1.img (npx nx run static_website:archive-image), direct
// reads the host folder on unix.
const fs = genericKvRo('htdocs');

// The host's sockets with --net=socket, our own TCP/IP over tap0 with --net=direct.
const stack = genericStackv4(defaultConsole, tap0);

const httpSrv = httpServer(conduitDirect(stack, { tls: true }));

// console @-> kv_ro @-> http @-> job
const main = foreign('Dispatch.Main', [console, kv_ro, http]);

const port = Key.int('port', { default: 8080, stage: 'runtime', doc: 'The HTTP port.' });

export default register('www', [main(defaultConsole, fs, httpSrv)], { keys: [port] });
