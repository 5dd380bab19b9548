import { randomBytes } from 'node:crypto';
import { PacketNetif } from './packet';
import { interfaceFds } from './testing/fds';
import { FrameLog, ethernet } from './testing/frames';
import { Netns, canManageNetwork, uniqueName } from './testing/netns';
import { startResponder } from './testing/responder';

const HOST_IP = '10.0.0.1';
const GUEST_IP = '10.0.0.2';

const namespaces: Netns[] = [];
const netifs: PacketNetif[] = [];

function namespace(prefix: string): Netns {
  const ns = Netns.create(prefix);
  namespaces.push(ns);
  return ns;
}

beforeAll(() => {
  // CI runs as root; packet sockets need it.
  expect(canManageNetwork()).toBe(true);
});

afterEach(async () => {
  for (const netif of netifs.splice(0)) await netif.disconnect();
  for (const ns of namespaces.splice(0)) ns.destroy();
});

describe('PacketNetif on a veth pair between two namespaces', () => {
  it("serves the guest's eth0 as a VM image does: Linux on the other end pings it and sends it UDP", async () => {
    // The guest namespace stands for the VM: its kernel has eth0 but no address.
    const guest = namespace('mtg');
    const host = namespace('mth');
    guest.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', host.name);
    guest.ip('link', 'set', 'eth0', 'up');
    host.ip('addr', 'add', `${HOST_IP}/24`, 'dev', 'veth0');
    host.ip('link', 'set', 'veth0', 'up');
    // The veth keeps its checksum offload on: Linux leaves the UDP checksum
    // for the "hardware" to fill in, and the packet socket must finish it.
    expect(host.exec('ethtool', '-k', 'veth0')).toMatch(/tx-checksum-ip-generic: on/);
    const guestMac = guest.mac('eth0');

    const responder = startResponder(guest, 'packet', 'eth0', GUEST_IP, 3, 1);
    await responder.listening;
    const ping = await host.execAsync(['ping', '-c', '3', '-i', '0.2', '-W', '5', GUEST_IP]);
    const udp = await host.execAsync(['bash', '-c', `echo -n hello udp world > /dev/udp/${GUEST_IP}/53`]);
    const ran = await responder.finished;

    expect(ran.stderr).toBe('');
    expect(ran.stdout.trim().split('\n')).toEqual([
      `Netif: plugging into eth0 with mac ${guestMac}`,
      'Netif: connect eth0',
      'listening',
      'answered 3 pings',
      'UDP to 53: "hello udp world", checksum ok',
      'interface fds: 1 while connected, 0 after disconnect',
    ]);
    expect(ran.status).toBe(0);
    expect(ping.stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
    expect(udp.status).toBe(0);
    expect(host.ip('neigh', 'show', GUEST_IP, 'dev', 'veth0')).toContain(guestMac);
  });
});

describe('PacketNetif', () => {
  it("uses the interface's own MAC and MTU, sees what arrives but not its own writes, and closes its fd", async () => {
    const before = interfaceFds();
    const lines: string[] = [];
    const netif = await PacketNetif.connect('lo', { log: (l) => lines.push(l) });
    netifs.push(netif);
    expect(lines).toEqual(['Netif: plugging into lo with mac 00:00:00:00:00:00', 'Netif: connect lo']);
    expect(netif.mac).toBe('00:00:00:00:00:00');
    expect(netif.mtu).toBe(65536);
    const marker = randomBytes(8);
    const ours = (f: Uint8Array) => f[12] === 0x88 && f[13] === 0xb5 && Buffer.from(f.subarray(14, 22)).equals(marker);
    const log = new FrameLog(netif);
    expect(interfaceFds()).toBe(before + 1);
    // Loopback hands every frame back as input: exactly one copy must arrive
    // (the outgoing copy is ignored, so a stack never hears itself).
    expect(
      await netif.write(
        ethernet('00:00:00:00:00:00', '00:00:00:00:00:00', 0x88b5, Uint8Array.from([...marker, ...new Uint8Array(38)])),
      ),
    ).toEqual({
      ok: true,
      value: undefined,
    });
    await log.waitFor(ours, 'the frame back from loopback');
    await new Promise((r) => setTimeout(r, 100));
    expect(log.frames.filter(ours)).toHaveLength(1);
    await netif.disconnect();
    expect(await log.done).toEqual({ ok: true, value: undefined });
    expect(interfaceFds()).toBe(before);
  });

  it('says why it cannot connect', async () => {
    const missing = uniqueName('nosuch');
    await expect(PacketNetif.connect(missing, { log: () => undefined })).rejects.toThrow(
      new RegExp(`cannot query interface ${missing}: .*there is no interface named ${missing} \\(see ip link\\)`),
    );
    await expect(PacketNetif.connect('eth0/1', { log: () => undefined })).rejects.toThrow(/is not an interface name/);
  });
});
