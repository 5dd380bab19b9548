import type { Flow } from '@mirage-ts/types';
import { createHash } from 'node:crypto';

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Reads a flow to its end; the digest and length of what came, or the error that ended it. */
export async function drain(flow: Flow): Promise<{ bytes: number; sha256: string; error?: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  for (;;) {
    const r = await flow.read();
    if (!r.ok) return { bytes, sha256: h.digest('hex'), error: r.error.kind };
    if (r.value === 'eof') return { bytes, sha256: h.digest('hex') };
    bytes += r.value.length;
    h.update(r.value);
  }
}

/** Reads until `n` bytes came (or the flow ended first). */
export async function readBytes(flow: Flow, n: number): Promise<{ bytes: number; sha256: string; error?: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  while (bytes < n) {
    const r = await flow.read();
    if (!r.ok) return { bytes, sha256: h.digest('hex'), error: r.error.kind };
    if (r.value === 'eof') break;
    bytes += r.value.length;
    h.update(r.value);
  }
  return { bytes, sha256: h.digest('hex') };
}

/**
 * Writes `data` in `chunk`-sized writes, awaiting each (back-pressure), then
 * closes unless told not to (`close` ends reading too, so a side that still
 * reads keeps the flow open).
 */
export async function pour(
  flow: Flow,
  data: Uint8Array,
  options: { chunk?: number; close?: boolean } = {},
): Promise<void> {
  const chunk = options.chunk ?? 64 * 1024;
  for (let i = 0; i < data.length; i += chunk) {
    const w = await flow.write(data.subarray(i, i + chunk));
    if (!w.ok) throw new Error(`write at ${i}: ${w.error.message}`);
  }
  if (options.close ?? true) await flow.close();
}

/** Sends `data`, reads as many bytes back, closes: an echo server's client. */
export async function exchange(
  flow: Flow,
  data: Uint8Array,
): Promise<{ bytes: number; sha256: string; error?: string }> {
  const [back] = await Promise.all([readBytes(flow, data.length), pour(flow, data, { close: false })]);
  await flow.close();
  return back;
}

/** Echoes everything back until the peer closes, then closes. */
export async function echo(flow: Flow): Promise<void> {
  for (let r = await flow.read(); r.ok && r.value !== 'eof'; r = await flow.read()) {
    if (!(await flow.write(r.value)).ok) break;
  }
  await flow.close();
}

export async function until(
  what: string,
  cond: () => boolean,
  ms = 10_000,
  detail: () => unknown = () => '',
): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${JSON.stringify(detail())}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
