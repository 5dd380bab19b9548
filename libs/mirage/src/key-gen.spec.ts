import { KeyGen, publishKeys } from './key-gen';

describe('KeyGen', () => {
  it('reads what main.ts published, typed, and says how to declare a missing key', () => {
    expect(() => KeyGen.int('udp-port')).toThrow('read before main.ts published the keys');
    publishKeys({ 'udp-port': 5353, name: 'x', verbose: true });
    expect(KeyGen.int('udp-port')).toBe(5353);
    expect(KeyGen.string('name')).toBe('x');
    expect(KeyGen.bool('verbose')).toBe(true);
    expect(() => KeyGen.string('udp-port')).toThrow('run-time key --udp-port is a number, not a string');
    expect(() => KeyGen.int('tcp-port')).toThrow(
      'run-time key --tcp-port is not declared: add it to register(..., { keys: [...] }) in config.ts',
    );
  });
});
