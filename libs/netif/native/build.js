#!/usr/bin/env node
/**
 * Builds the netif addon with node-gyp. In this workspace the root
 * package.json runs it on `npm ci` (libs are not npm packages here); where
 * @mirage-ts/netif is installed from its tarball, the package's own install
 * script runs it. The headers come from the installed Node (Debian and
 * NodeSource put them under /usr/include/node), never from the network.
 *
 * binding.gyp has a second target, mirage_xen_grant.node (xen-grant.c), for
 * @mirage-ts/xen-grant: built by the same run, sharing no code.
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
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
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
  const problem = !gyp
    ? 'node-gyp was not found (it comes with npm)'
    : !dir
      ? `no Node headers under ${path.resolve(path.dirname(process.execPath), '..', 'include', 'node')}`
      : undefined;
  if (problem) return fail(problem);
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${dir}`, '--loglevel=warn'], {
    cwd: here,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) return fail(`node-gyp failed:\n${r.stdout}${r.stderr}`);
  process.stdout.write(
    `netif: built ${path.relative(process.cwd(), path.join(here, 'build', 'Release', 'mirage_netif.node'))}\n`,
  );
}

function fail(why) {
  process.stderr.write(
    `netif: the native addons for tap and packet interfaces and Xen grant tables were not built: ${why}\n` +
      `netif: install python3, make and a C compiler, then run \`${rebuildCommand()}\`\n`,
  );
}

/** The command that runs this script again, from the root of the workspace that has it. */
function rebuildCommand() {
  const parts = here.split(path.sep);
  const installedAt = parts.lastIndexOf('node_modules');
  return installedAt < 0 ? 'npm run build:netif' : `node ${path.posix.join(...parts.slice(installedAt), 'build.js')}`;
}

main();
