/**
 * The comparison server for the web benchmark: Node's own http (or https)
 * serving a folder from memory with the same content types, one process.
 * Usage: web-node-server.ts <folder> <port> [cert.pem key.pem]
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';

const [folder, port, cert, key] = process.argv.slice(2);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const files = new Map<string, Buffer>();
const walk = (dir: string, prefix: string) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(path.join(dir, e.name), `${prefix}${e.name}/`);
    else files.set(`${prefix}${e.name}`, fs.readFileSync(path.join(dir, e.name)));
  }
};
walk(folder, '/');

const handler: http.RequestListener = (req, res) => {
  let p = (req.url ?? '/').split('?')[0];
  if (p.endsWith('/')) p += 'index.html';
  const body = files.get(p);
  if (!body) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(p)] ?? 'application/octet-stream' }).end(body);
};
const server = cert
  ? https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, handler)
  : http.createServer(handler);
server.listen(Number(port), '0.0.0.0', () => process.stdout.write('listening\n'));
