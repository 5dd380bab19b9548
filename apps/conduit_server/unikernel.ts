import { HttpServer } from '@mirage-ts/http';
import { KeyGen } from '@mirage-ts/mirage/key-gen';
import type { Conduit, Console } from '@mirage-ts/types';

/**
 * Answers every HTTP request with `hello mirage world!` and logs its path.
 * The HTTP server is applied to the conduit here, as the seed applies
 * Cohttp_mirage.Server to Conduit_mirage.Flow: one handler per stack.
 */
export class Main {
  async start(c: Console, con: Conduit): Promise<void> {
    const port = KeyGen.int('port');
    const http = await HttpServer.connect(con);
    const r = await http.listen(
      { kind: 'tcp', port },
      {
        callback: async (_conn, req) => {
          await c.log(`Got request for ${req.path}\n`);
          return { status: 200, body: 'hello mirage world!\n' };
        },
      },
    );
    if (!r.ok) throw new Error(`${r.error.message} (--port=N)`);
  }
}
