import { spawnSync } from 'node:child_process';
import { TapNetif } from './tap';
import { interfaceFds } from './testing/fds';
import { ETHERTYPE_ARP, FrameLog, ethernet, parseArp, parseIcmpEcho, pingResponder } from './testing/frames';
import { Netns, canManageNetwork, run, uniqueName } from './testing/netns';
import { startResponder } from './testing/responder';

const HOST_IP = '10.0.0.1';
const UNIKERNEL_IP = '10.0.0.2';

const namespaces: Netns[] = [];
const netifs: TapNetif[] = [];

async function connect(name: string, lines: string[] = []): Promise<TapNetif> {
  const netif = await TapNetif.connect(name, { log: (l) => lines.push(l) });
  netifs.push(netif);
  return netif;
}

function namespace(): Netns {
  const ns = Netns.create();
  namespaces.push(ns);
  return ns;
}

/** Moves the tap into `ns` as the host's side, at 10.0.0.1/24, as the seed sets up tap0. */
function plugIntoNamespace(tap: string, ns: Netns): void {
  run('ip', ['link', 'set', tap, 'netns', ns.name]);
  ns.ip('addr', 'add', `${HOST_IP}/24`, 'dev', tap);
  ns.ip('link', 'set', tap, 'up');
}

const linkExists = (name: string) => spawnSync('ip', ['link', 'show', 'dev', name]).status === 0;

beforeAll(() => {
  // CI runs as root; without root there is no tap to test.
  expect(canManageNetwork()).toBe(true);
});

afterEach(async () => {
  for (const netif of netifs.splice(0)) await netif.disconnect();
  for (const ns of namespaces.splice(0)) ns.destroy();
});

describe('TapNetif with the Linux kernel as the peer', () => {
  it('answers Linux: sees its ARP request, replies, then sees and answers its pings', async () => {
    const ns = namespace();
    const name = uniqueName('mtap');
    const lines: string[] = [];
    const netif = await connect(name, lines);
    expect(lines).toEqual([`Netif: plugging into ${name} with mac ${netif.mac}`, `Netif: connect ${name}`]);
    expect(netif.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(parseInt(netif.mac.slice(0, 2), 16) & 0b11).toBe(0b10);
    expect(netif.mtu).toBe(1500);
    plugIntoNamespace(name, ns);
    const hostMac = ns.mac(name);
    const log = pingResponder(netif, UNIKERNEL_IP);

    const ping = await ns.execAsync(['ping', '-c', '3', '-i', '0.2', '-W', '5', UNIKERNEL_IP]);
    expect(ping.stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
    expect(ping.status).toBe(0);

    const request = log.frames.map(parseArp).find((a) => a?.op === 1 && a.targetIp === UNIKERNEL_IP);
    expect(request).toEqual({
      op: 1,
      senderMac: hostMac,
      senderIp: HOST_IP,
      targetMac: '00:00:00:00:00:00',
      targetIp: UNIKERNEL_IP,
    });
    const echoes = log.frames.map(parseIcmpEcho).filter((e) => e?.type === 8);
    expect(echoes.map((e) => e!.seq)).toEqual([1, 2, 3]);
    expect(echoes.every((e) => e!.srcIp === HOST_IP && e!.dstIp === UNIKERNEL_IP)).toBe(true);
    // Linux learned our MAC from the ARP reply we wrote.
    expect(ns.ip('neigh', 'show', UNIKERNEL_IP, 'dev', name)).toContain(netif.mac);
    expect(netif.stats()).toMatchObject({ txFrames: 4, dropped: 0 });
    expect(netif.stats().rxFrames).toBe(log.frames.length);
    expect(netif.stats().rxBytes).toBe(log.frames.reduce((n, f) => n + f.length, 0));
  });

  it('takes a burst of frames from Linux without losing any', async () => {
    const ns = namespace();
    const name = uniqueName('mtap');
    const netif = await connect(name);
    plugIntoNamespace(name, ns);
    const log = new FrameLog(netif);
    // A raw socket on the host side writes 300 frames as fast as it can.
    const script = [
      'import socket, sys',
      's = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)',
      `s.bind(("${name}", 0))`,
      `dst = bytes.fromhex("${netif.mac.replace(/:/g, '')}")`,
      'for i in range(300):',
      '    s.send(dst + bytes(6) + b"\\x88\\xb5" + i.to_bytes(4, "big") + bytes(42))',
    ].join('\n');
    const sent = await ns.execAsync(['python3', '-c', script]);
    expect(sent.stderr).toBe('');
    const burst = (f: Uint8Array) => f[12] === 0x88 && f[13] === 0xb5;
    await log.waitUntil(() => log.frames.filter(burst).length >= 300, 'burst of 300 frames');
    const seqs = log.frames.filter(burst).map((f) => new DataView(f.buffer, f.byteOffset).getUint32(14));
    expect(seqs).toEqual([...Array(300).keys()]);
  });

  it('writes frames that Linux receives intact', async () => {
    const ns = namespace();
    const name = uniqueName('mtap');
    const netif = await connect(name);
    plugIntoNamespace(name, ns);
    const hostMac = ns.mac(name);
    const capture = ns.execAsync(['tcpdump', '-i', name, '-nn', '-e', '-c', '3', '-l', 'arp'], { timeoutMs: 20_000 });
    // tcpdump needs a moment to open the interface; keep announcing until it has seen three.
    let done = false;
    void capture.then(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) {
      const arp = Uint8Array.from([
        0, 1, 8, 0, 6, 4, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1,
      ]);
      arp.set(Buffer.from(netif.mac.replace(/:/g, ''), 'hex'), 8);
      expect(await netif.write(ethernet(hostMac, netif.mac, ETHERTYPE_ARP, arp))).toEqual({
        ok: true,
        value: undefined,
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    const seen = await capture;
    expect(seen.status).toBe(0);
    expect(seen.stdout).toContain(
      `${netif.mac} > ${hostMac}, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.1 tell 10.0.0.2`,
    );
  });

  it('refuses frames it cannot send, and reports them as values', async () => {
    const netif = await connect(uniqueName('mtap'));
    const big = new Uint8Array(14 + 1501);
    expect(await netif.write(big)).toMatchObject({ ok: false, error: { kind: 'too-big' } });
    expect(await netif.write(new Uint8Array(13))).toMatchObject({ ok: false, error: { kind: 'io' } });
    expect(netif.stats().dropped).toBe(2);
    await netif.disconnect();
    expect(await netif.write(new Uint8Array(60))).toMatchObject({ ok: false, error: { kind: 'disconnected' } });
    expect(await netif.listen(() => undefined)).toMatchObject({ ok: false, error: { kind: 'disconnected' } });
  });
});

describe('TapNetif devices', () => {
  it('attaches to an existing tap by name and leaves it in place', async () => {
    const name = uniqueName('mtap');
    run('ip', ['tuntap', 'add', 'name', name, 'mode', 'tap']);
    try {
      const netif = await connect(name);
      expect(netif.name).toBe(name);
      await netif.disconnect();
      expect(linkExists(name)).toBe(true);
    } finally {
      spawnSync('ip', ['tuntap', 'del', 'name', name, 'mode', 'tap']);
    }
  });

  it('creates a missing tap, which goes away on disconnect with every fd it used', async () => {
    const before = interfaceFds();
    const name = uniqueName('mtap');
    const netif = await connect(name);
    expect(linkExists(name)).toBe(true);
    const listening = netif.listen(() => undefined);
    expect(interfaceFds()).toBe(before + 1);
    await netif.disconnect();
    expect(await listening).toEqual({ ok: true, value: undefined });
    expect(linkExists(name)).toBe(false);
    expect(interfaceFds()).toBe(before);
  });

  it('carries plain frames until a stack accepts the offloads, and never when opened without them', async () => {
    const offloads = (netif: TapNetif) => ({
      segmentOffload: netif.segmentOffload,
      // What the kernel now sends the tap: TCP super-segments only with TSO on.
      tso: /tcp-segmentation-offload: on/.test(spawnSync('ethtool', ['-k', netif.name], { encoding: 'utf8' }).stdout),
    });
    const byDefault = await connect(uniqueName('mtap'));
    expect(offloads(byDefault)).toEqual({ segmentOffload: undefined, tso: false });
    byDefault.acceptOffloads();
    expect(offloads(byDefault)).toEqual({ segmentOffload: 65535, tso: true });
    byDefault.acceptOffloads();
    expect(offloads(byDefault)).toEqual({ segmentOffload: 65535, tso: true });

    const never = await TapNetif.connect(uniqueName('mtap'), { log: () => undefined, offloads: false });
    netifs.push(never);
    never.acceptOffloads();
    expect(offloads(never)).toEqual({ segmentOffload: undefined, tso: false });
  });

  it('leaves a persistent tap plain, and starts plain on one that a program left with the offloads on', async () => {
    const name = uniqueName('mtap');
    run('ip', ['tuntap', 'add', 'name', name, 'mode', 'tap']);
    const tso = () =>
      /tcp-segmentation-offload: on/.test(spawnSync('ethtool', ['-k', name], { encoding: 'utf8' }).stdout);
    try {
      const first = await TapNetif.connect(name, { log: () => undefined, offloads: true });
      expect(tso()).toBe(true);
      await first.disconnect();
      // The next program to open it may not be one of ours.
      expect(tso()).toBe(false);

      // A program that ends without disconnecting leaves them on (Linux keeps them on a persistent tap).
      const addon = require.resolve('../native/build/Release/mirage_netif.node');
      const died = spawnSync(process.execPath, [
        '-e',
        `require(${JSON.stringify(addon)}).openTap(${JSON.stringify(name)}, 1); process.exit(0);`,
      ]);
      expect(died.status).toBe(0);
      expect(tso()).toBe(true);
      for (const offloads of [undefined, false]) {
        const next = await TapNetif.connect(name, { log: () => undefined, offloads });
        // Else Linux would send super-segments to a reader that asked for plain frames.
        expect({ offloads, tso: tso(), segmentOffload: next.segmentOffload }).toEqual({
          offloads,
          tso: false,
          segmentOffload: undefined,
        });
        await next.disconnect();
      }
    } finally {
      spawnSync('ip', ['tuntap', 'del', 'name', name, 'mode', 'tap']);
    }
  });

  it('says why it cannot connect: not a tap, in use, or not a name', async () => {
    await expect(TapNetif.connect('lo', { log: () => undefined })).rejects.toThrow(
      /cannot attach to tap lo: .*lo exists but is not a tap device/,
    );
    const name = uniqueName('mtap');
    await connect(name);
    await expect(TapNetif.connect(name, { log: () => undefined })).rejects.toThrow(
      new RegExp(`another program has ${name} open`),
    );
    await expect(TapNetif.connect('a-name-far-too-long', { log: () => undefined })).rejects.toThrow(
      /is not an interface name/,
    );
    await expect(TapNetif.connect(name, { mac: 'nonsense', log: () => undefined })).rejects.toThrow(
      /not a MAC address/,
    );
  });

  it("opens the seed's tap0 inside a namespace, prints the seed's lines and lets the program exit", async () => {
    const ns = namespace();
    ns.ip('tuntap', 'add', 'name', 'tap0', 'mode', 'tap');
    ns.ip('addr', 'add', `${HOST_IP}/24`, 'dev', 'tap0');
    ns.ip('link', 'set', 'tap0', 'up');
    const responder = startResponder(ns, 'tap', 'tap0', UNIKERNEL_IP, 2, 0);
    await responder.listening;
    const ping = await ns.execAsync(['ping', '-c', '2', '-i', '0.2', '-W', '5', UNIKERNEL_IP]);
    const ran = await responder.finished;
    expect(ran.stderr).toBe('');
    const lines = ran.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Netif: plugging into tap0 with mac [0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(lines.slice(1)).toEqual([
      'Netif: connect tap0',
      'listening',
      'answered 2 pings',
      'interface fds: 1 while connected, 0 after disconnect',
    ]);
    expect(ran.status).toBe(0);
    expect(ping.stdout).toContain('2 received');
  });
});
