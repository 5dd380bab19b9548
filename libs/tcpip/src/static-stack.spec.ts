import { MemorySwitch } from '@mirage-ts/netif/memory';
import { RecordingConsole } from '@mirage-ts/socket-stack/testing';
import { prefixLength, StaticDirectStackv4 } from './static-stack';

describe('StaticDirectStackv4', () => {
  it.each([
    ['255.255.255.0', 24],
    ['255.255.255.255', 32],
    ['255.255.240.0', 20],
    ['128.0.0.0', 1],
    ['0.0.0.0', 0],
  ])('reads the netmask %s as /%i', (mask, bits) => {
    expect(prefixLength(mask)).toBe(bits);
  });

  it.each(['255.0.255.0', '0.255.255.255', '255.255.255.1', '255.255.256.0', '24', ''])(
    'refuses %j as a netmask',
    (mask) => {
      expect(prefixLength(mask)).toBeNull();
    },
  );

  it('configures the stack from an address, netmask and gateway given apart, and names the key of a bad one', async () => {
    const hub = new MemorySwitch({ seed: 3 });
    const log = new RecordingConsole();
    const stack = await StaticDirectStackv4.connect(log, hub.connect(), '10.1.2.3', '255.255.0.0', '10.1.0.1');
    expect(stack.ipv4Addresses()).toEqual(['10.1.2.3']);
    expect(log.lines.join('\n')).toMatch(/Interface to 10\.1\.2\.3 nm 255\.255\.0\.0 gw \[10\.1\.0\.1\]/);
    await stack.disconnect();
    await expect(StaticDirectStackv4.connect(log, hub.connect(), '10.1.2.3', '255.0.255.0', '')).rejects.toThrow(
      '--netmask=255.0.255.0 is not a netmask (contiguous ones, then zeros); write it like 255.255.255.0',
    );
    await expect(StaticDirectStackv4.connect(log, hub.connect(), '10.1.2', '255.255.255.0', '')).rejects.toThrow(
      '--ip=10.1.2 is not an IPv4 address',
    );
    await hub.close();
  });
});
