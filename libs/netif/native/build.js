#!/usr/bin/env node
/**
 * Builds the netif addon with node-gyp; the root package.json runs this on
 * `npm ci` (npm runs the project's own install script, not its
 * dependencies'). The headers come from the installed Node (Debian and
 * NodeSource put them under /usr/include/node), never from the network.
 *
 * A failed build does not fail the install: only the tap and packet
 * interfaces need the addon, and they say how to build it when it is missing.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && fs.existsSync(c));
}

function nodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function main() {
  const gyp = nodeGyp();
  const dir = nodeDir();
  const problem = !gyp ? 'node-gyp was not found (it comes with npm)' : !dir ? `no Node headers under ${path.resolve(path.dirname(process.execPath), '..', 'include', 'node')}` : undefined;
  if (problem) return fail(problem);
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${dir}`, '--loglevel=warn'], { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) return fail(`node-gyp failed:\n${r.stdout}${r.stderr}`);
  process.stdout.write(`netif: built ${path.relative(process.cwd(), path.join(here, 'build', 'Release', 'mirage_netif.node'))}\n`);
}

function fail(why) {
  process.stderr.write(
    `netif: the native addon for tap and packet interfaces was not built: ${why}\n` +
      'netif: install python3, make and a C compiler, then run `npm run build:netif`\n',
  );
}

main();
