import {
  conduitDirect,
  console,
  crunch,
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

// The site (--kv_ro=crunch|fat|archive|direct, as static_website) and the TLS
// certificate and key, tls/server.pem and tls/server.key, built in from secrets/.
const fs = genericKvRo('htdocs');
const secrets = crunch('secrets');

const stack = genericStackv4(defaultConsole, tap0);
const httpSrv = httpServer(conduitDirect(stack, { tls: true }));

// console @-> kv_ro @-> kv_ro @-> http @-> job
const main = foreign('Dispatch.Main', [console, kv_ro, kv_ro, http]);

const port = Key.int('port', { default: 443, stage: 'runtime', doc: 'The HTTPS port.' });

export default register('www', [main(defaultConsole, fs, secrets, httpSrv)], { keys: [port] });
