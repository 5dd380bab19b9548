import type { Readable, Writable } from 'node:stream';

/**
 * Copies the VM's console to `out` a line at a time. QEMU passes serial
 * output on in whatever pieces the guest's UART produced, and a consumer
 * that treats each piece as a line (Nx's task output does) would break
 * lines apart. A partial line (a prompt) still goes out after `idleMs`.
 */
export function forwardLines(from: Readable, out: Writable, idleMs = 150): Promise<void> {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (pending) out.write(pending);
    pending = '';
  };
  return new Promise((resolve) => {
    from.setEncoding('utf8');
    from.on('data', (chunk: string) => {
      pending += chunk;
      const end = pending.lastIndexOf('\n');
      if (end >= 0) {
        out.write(pending.slice(0, end + 1));
        pending = pending.slice(end + 1);
      }
      if (timer) clearTimeout(timer);
      if (pending) timer = setTimeout(flush, idleMs);
    });
    from.on('end', () => {
      if (timer) clearTimeout(timer);
      flush();
      resolve();
    });
  });
}
