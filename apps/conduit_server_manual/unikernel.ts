// The one place a unikernel builds a device itself: this example shows the wiring
// that conduitDirect and httpServer in config.ts otherwise do (eslint.config.mjs allows it here).
import { ConduitDirect } from '@mirage-ts/conduit/direct';
import { HttpServer } from '@mirage-ts/http';
import { KeyGen } from '@mirage-ts/mirage/key-gen';
import type { Console, Stackv4 } from '@mirage-ts/types';

/**
 * conduit_server with the plumbing by hand, as the seed's
 * conduit_server_manual: it takes a bare stack, makes a TCP conduit over it
 * (Conduit_mirage.with_tcp), an HTTP server spec (H.make ~callback) and hands
 * the server's per-connection function to the conduit's listen
 * (Conduit_mirage.listen conduit (`TCP 80) (H.listen spec)).
 */
export class Main {
  async start(c: Console, s: Stackv4): Promise<void> {
    await c.log(`IP address: ${s.ipv4Addresses().join(', ')}\n`);
    const port = KeyGen.int('port');

    const conduit = await ConduitDirect.connect(s, false);
    const http = await HttpServer.connect(conduit);
    const { server, serve } = http.nodeServer({
      callback: async (_conn, req) => {
        await c.log(`Got request for ${req.path}\n`);
        return { status: 200, body: 'hello mirage world!\n' };
      },
    });
    try {
      const r = await conduit.listen({ kind: 'tcp', port }, serve);
      if (!r.ok) throw new Error(`${r.error.message} (--port=N)`);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  }
}
