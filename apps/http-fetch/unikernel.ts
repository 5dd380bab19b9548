import { HttpClient, resolveUri, type HttpClientResponse } from '@mirage-ts/http';
import { KeyGen } from '@mirage-ts/mirage/key-gen';
import type { Conduit, ConduitClient, Console, Resolver } from '@mirage-ts/types';

/** An atom of an s-expression, quoted when it must be (as Sexplib prints). */
function atom(s: string): string {
  return /^[^\s()";\\]+$/.test(s) ? s : `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Cohttp's name for a status: `OK`, `Not_found`, `Moved_permanently`; `(Code n)` for one it would not know. */
function statusName(code: number, message: string): string {
  if (message === 'OK') return 'OK';
  if (!/^[A-Za-z][A-Za-z -]*$/.test(message)) return `(Code ${code})`;
  const name = message.toLowerCase().replace(/[ -]/g, '_');
  return name[0].toUpperCase() + name.slice(1);
}

/** The response as the seed prints it (`Cohttp.Response.sexp_of_t`, human-readable). */
function responseSexp(r: HttpClientResponse): string {
  const encoding =
    r.encoding.kind === 'fixed'
      ? `(Fixed ${r.encoding.length})`
      : r.encoding.kind === 'chunked'
        ? 'Chunked'
        : 'Unknown';
  const headers = r.rawHeaders.map(([k, v]) => `(${atom(k.toLowerCase())} ${atom(v)})`).join('\n   ');
  return (
    `((encoding ${encoding})\n (headers\n  (${headers}))\n` +
    ` (version HTTP_${r.httpVersion.replace('.', '_')}) (status ${statusName(r.status, r.statusMessage)}) (flush false))`
  );
}

/** `Conduit.sexp_of_endp`: `(TCP (address port))`. */
function endpointSexp(e: ConduitClient): string {
  return e.kind === 'tcp'
    ? `(TCP (${e.address} ${e.port}))`
    : `(TLS (${atom(e.servername ?? e.address)} (TCP (${e.address} ${e.port}))))`;
}

/**
 * The seed's http-fetch: resolves the host of --uri through the DNS server
 * --resolver, fetches the page with the HTTP client and prints the response
 * and body length, then sends a GET by hand over a conduit flow and prints
 * the first bytes that come back.
 */
export class Client {
  async start(c: Console, res: Resolver, ctx: Conduit): Promise<void> {
    const uri = KeyGen.string('uri');
    await c.log(`Resolving in 1s using DNS server ${KeyGen.string('resolver')}`);
    await new Promise((r) => setTimeout(r, 1000));
    await this.httpFetch(c, res, ctx, uri);
    await this.manualHttpFetch(c, res, ctx, uri);
  }

  private async httpFetch(c: Console, res: Resolver, ctx: Conduit, uri: string): Promise<void> {
    await c.log(`Fetching ${uri} with the HTTP client:`);
    const client = await HttpClient.connect(res, ctx);
    const r = await client.get(uri);
    if (!r.ok) throw new Error(`fetching ${uri}: ${r.error.message} (check --uri and --resolver)`);
    await c.log(responseSexp(r.value));
    await c.log(`Received body length: ${r.value.body.length}`);
    await c.log('HTTP client fetch done\n------------\n');
  }

  private async manualHttpFetch(c: Console, res: Resolver, ctx: Conduit, uri: string): Promise<void> {
    const endp = await resolveUri(res, uri);
    if (!endp.ok) throw new Error(`resolving ${uri}: ${endp.error.message} (check --uri and --resolver)`);
    await c.log(endpointSexp(endp.value));
    const flow = await ctx.connect(endp.value);
    if (!flow.ok) throw new Error(`connecting to ${uri}: ${flow.error.message}`);
    const url = new URL(uri);
    const get = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`;
    try {
      const w = await flow.value.write(new TextEncoder().encode(get));
      if (!w.ok) {
        await c.log(w.error.kind === 'closed' ? 'EOF on write' : 'ERR on write');
        return;
      }
      // One read, as the seed: whatever the first segment holds.
      const r = await flow.value.read();
      if (!r.ok) await c.log('ERR');
      else if (r.value === 'eof') await c.log('EOF');
      else await c.log(`OK\n${new TextDecoder().decode(r.value)}\n`);
    } finally {
      await flow.value.close();
    }
  }
}
