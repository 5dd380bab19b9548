import { MemorySwitch } from '@mirage-ts/netif/memory';
import { arpv4, ethif, ipv4, tcp, udp, type Ipv4Packet } from './layers';
import { DirectStackv4 } from './stack';
import { RecordingConsole } from './testing/recording-console';

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

/** A peer stack at 10.0.0.3 and layers composed by hand at 10.0.0.2, as the 2015 ping/ethifv4 do. */
async function setup() {
  const sw = new MemorySwitch({ seed: 3 });
  const peer = await DirectStackv4.connect(
    new RecordingConsole(),
    sw.connect('02:00:00:00:00:0b'),
    false,
    '10.0.0.3/24',
    '10.0.0.1',
  );
  const lines: string[] = [];
  const e = ethif(sw.connect('02:00:00:00:00:0a'), { log: (l) => lines.push(l) });
  const a = arpv4(e);
  const i = ipv4(e, a);
  i.setIp('10.0.0.2', '255.255.255.0', '10.0.0.1');
  const listening = e.listen({ ipv6: (p) => void lines.push(`IP6 ${p.length}`) });
  return {
    sw,
    peer,
    e,
    i,
    lines,
    close: async () => {
      await peer.disconnect();
      await i.disconnect();
      await a.disconnect();
      await e.disconnect();
      await listening;
      await sw.close();
    },
  };
}

describe('layers composed by hand', () => {
  it('route TCP, UDP and other protocols to typed handlers while ICMP echo is still answered', async () => {
    const s = await setup();
    try {
      const seen: Ipv4Packet[] = [];
      s.i.input({
        tcp: (p) => void seen.push(p),
        udp: (p) => void seen.push(p),
        default: (p) => void seen.push(p),
      });
      const echo = await s.peer.icmp.echo('10.0.0.2', { data: Buffer.from('ping!') });
      expect(echo.ok).toBe(true);
      await s.peer.udpv4().write({ address: '10.0.0.2', port: 7 }, Buffer.from('hello'), { srcPort: 1234 });
      await s.peer.ip.write('10.0.0.2', 99, Buffer.from('raw'));
      void s.peer.tcpv4().connect({ address: '10.0.0.2', port: 80 });
      await until(() => seen.length >= 3);
      const byProto = new Map(seen.map((p) => [p.protocol, p]));
      expect(byProto.get(17)).toMatchObject({ src: '10.0.0.3', dst: '10.0.0.2' });
      // The UDP payload: 8 header bytes, then the data.
      expect(Buffer.from(byProto.get(17)!.data.subarray(8)).toString()).toBe('hello');
      expect(Buffer.from(byProto.get(99)!.data).toString()).toBe('raw');
      expect(byProto.get(6)).toMatchObject({ src: '10.0.0.3', dst: '10.0.0.2', protocol: 6 });
    } finally {
      await s.close();
    }
  });

  it('pass packets on to the UDP and TCP layers built over them', async () => {
    const s = await setup();
    try {
      const u = udp(s.i);
      const t = tcp(s.i);
      const logged: string[] = [];
      s.i.input({
        tcp: (p) => {
          logged.push(`${p.src} > ${p.dst} TCP`);
          t.input(p);
        },
        udp: (p) => {
          logged.push(`${p.src} > ${p.dst} UDP`);
          u.input(p);
        },
      });
      const got: string[] = [];
      expect(u.listen(7, (d) => void got.push(Buffer.from(d.data).toString())).ok).toBe(true);
      expect(
        t.listen(80, async (flow) => {
          const r = await flow.read();
          if (r.ok && r.value !== 'eof') got.push(`tcp:${Buffer.from(r.value).toString()}`);
          await flow.close();
        }).ok,
      ).toBe(true);
      await s.peer.udpv4().write({ address: '10.0.0.2', port: 7 }, Buffer.from('over udp'), { srcPort: 1234 });
      const c = await s.peer.tcpv4().connect({ address: '10.0.0.2', port: 80 });
      if (!c.ok) throw new Error(c.error.message);
      await c.value.write(Buffer.from('over tcp'));
      await until(() => got.length >= 2);
      expect(got.sort()).toEqual(['over udp', 'tcp:over tcp']);
      expect(logged).toContain('10.0.0.3 > 10.0.0.2 UDP');
      expect(logged).toContain('10.0.0.3 > 10.0.0.2 TCP');
      await c.value.close();
    } finally {
      await s.close();
    }
  });

  it('count a handler that throws and keep serving', async () => {
    const s = await setup();
    try {
      let calls = 0;
      s.i.input({
        udp: () => {
          calls++;
          throw new Error('boom');
        },
      });
      for (let n = 0; n < 3; n++)
        await s.peer.udpv4().write({ address: '10.0.0.2', port: 7 }, Buffer.from('x'), { srcPort: 1234 });
      await until(() => calls === 3);
      expect(s.e.drops.get('layers.handler-error')).toBe(3);
      expect(s.lines.filter((l) => l.includes('boom'))).toHaveLength(1);
      expect((await s.peer.icmp.echo('10.0.0.2')).ok).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('refuse a malformed address with the fix', async () => {
    const s = await setup();
    try {
      expect(() => s.i.setIp('10.0.0', '255.255.255.0')).toThrow(/write dotted quads/);
    } finally {
      await s.close();
    }
  });
});
