import * as fs from 'node:fs';

/**
 * How many of this process's fds are tap devices or packet sockets: the
 * ones a netif opens. (Counting all fds would also count whatever Node and
 * Jest open and close meanwhile.)
 */
export function interfaceFds(): number {
  const packetInodes = new Set(
    fs
      .readFileSync('/proc/net/packet', 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/).pop()),
  );
  let count = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed while we looked (the readdir's own fd, for one)
    }
    const socket = /^socket:\[(\d+)\]$/.exec(target);
    if (target === '/dev/net/tun' || (socket && packetInodes.has(socket[1]))) count++;
  }
  return count;
}
