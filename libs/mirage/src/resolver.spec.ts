import type { RawNode } from './graph';
import { console, defaultConsole, foreign, register, resolver, resolverDns, socketStackv4, stackv4 } from './index';

describe('resolverDns', () => {
  it('is a resolver device over the stack it is given, shared with the job, with its two run-time keys', () => {
    const main = foreign('Unikernel.Main', [console, stackv4, resolver]);
    const stack = socketStackv4(defaultConsole);
    const g = register('r', [main(defaultConsole, stack, resolverDns(stack))]).toGraph();
    const job = g.nodes[g.jobs[0]] as Extract<RawNode, { kind: 'job' }>;
    const dev = g.nodes[job.args[2]] as Extract<RawNode, { kind: 'device' }>;
    expect(dev).toMatchObject({
      typ: 'resolver',
      signature: 'Resolver',
      module: '@mirage-ts/dns/resolver',
      symbol: 'DnsResolver',
    });
    // The resolver's stack argument is the very node the job gets: connected once.
    expect(dev.args[0]).toEqual({ kind: 'device', node: job.args[1] });
    const keys = Object.fromEntries(g.keys.map((k) => [k.name, k]));
    expect(keys['resolver']).toMatchObject({ default: '8.8.8.8', stage: 'runtime' });
    expect(keys['resolver-port']).toMatchObject({ default: 53, stage: 'runtime' });
  });
});
