import * as path from 'node:path';
import type { Finished, Netns } from './netns';

const WORKSPACE = path.resolve(__dirname, '../../../..');
const CHILD = path.join(__dirname, 'responder-child.ts');

export interface Responder {
  /** Resolves once the child is connected and listening (or has already ended). */
  readonly listening: Promise<void>;
  readonly finished: Promise<Finished>;
}

/**
 * Starts responder-child.ts inside `ns`: a separate Node program on the
 * interface, as a unikernel would run there.
 */
export function startResponder(
  ns: Netns,
  kind: 'tap' | 'packet',
  name: string,
  ip: string,
  pings: number,
  datagrams: number,
): Responder {
  let ready: () => void = () => undefined;
  const listening = new Promise<void>((resolve) => (ready = resolve));
  const finished = ns.execAsync(
    [process.execPath, '-r', '@swc-node/register', CHILD, kind, name, ip, String(pings), String(datagrams)],
    {
      cwd: WORKSPACE,
      timeoutMs: 60_000,
      onStdout: (out) => out.includes('listening\n') && ready(),
    },
  );
  return { listening: Promise.race([listening, finished.then(() => undefined)]), finished };
}
