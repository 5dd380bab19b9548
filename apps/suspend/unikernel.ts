import { KeyGen } from '@mirage-ts/mirage/key-gen';
import type { Console, Flow, Stackv4, XenControl } from '@mirage-ts/types';

/** Sends back what it reads until the peer closes. */
async function echo(c: Console, flow: Flow): Promise<void> {
  const peer = `${flow.remote.address}.${flow.remote.port}`;
  await c.log(`echo: connection from ${peer}`);
  for (;;) {
    const r = await flow.read();
    if (!r.ok || r.value === 'eof') break;
    const w = await flow.write(r.value);
    if (!w.ok) break;
  }
  await flow.close();
  await c.log(`echo: ${peer} closed`);
}

/**
 * The 2015 guest agent: waits for the toolstack's requests and prints each
 * one; powers off or reboots as asked, and after `xl save` + `xl restore`
 * prints the domain's new id. An echo port shows connections surviving the
 * save.
 */
export class Main {
  async start(c: Console, control: XenControl, s: Stackv4): Promise<void> {
    await c.log('xs_watch ()');
    const port = KeyGen.int('echo-port');
    const tcp = await s.listenTcpv4(port, (flow) => echo(c, flow));
    if (!tcp.ok) throw new Error(`${tcp.error.message} (--echo-port=N)`);
    void s.listen();

    for (;;) {
      const m = await control.next();
      await c.log(`Got control message: ${m.message}`);
      if (m.message === 'suspend') {
        await c.log(`cancelled=${m.cancelled ? 1 : 0}`);
        await c.log('About to read domid');
        const id = await control.domid();
        await c.log(id.ok ? `We're back: domid=${id.value}` : `cannot read domid: ${id.error.message}`);
        continue;
      }
      // poweroff (xl shutdown) or reboot (xl reboot): the domain ends that way once start returns.
      await control.shutdown(m.message);
      return;
    }
  }
}
