import {
  $,
  blockOfFile,
  block,
  console,
  defaultConsole,
  foreign,
  ifImpl,
  impl,
  Key,
  matchImpl,
  register,
  resource,
  value,
} from './index';
import type { RawNode } from './graph';

const node = <K extends RawNode['kind']>(nodes: readonly RawNode[], id: number, kind: K) => {
  const n = nodes[id];
  if (n.kind !== kind) throw new Error(`node ${id} is ${n.kind}, not ${kind}`);
  return n as Extract<RawNode, { kind: K }>;
};

describe('register', () => {
  it('serializes the seed console example as a job over the default console', () => {
    const main = foreign('Unikernel.Main', [console]);
    const g = register('console', [main(defaultConsole)]).toGraph();
    expect(g.name).toBe('console');
    expect(g.jobs).toEqual([0]);
    const job = node(g.nodes, 0, 'job');
    expect(job.entry).toBe('Unikernel.Main');
    const dev = node(g.nodes, job.args[0], 'device');
    expect(dev).toMatchObject({
      typ: 'console',
      signature: 'Console',
      module: '@mirage-ts/console/stdio',
      symbol: 'StdioConsole',
    });
    expect(g.keys.map((k) => k.name)).toEqual(['target']);
  });

  it('numbers a device used twice once, and two equal-looking devices twice', () => {
    const kv = { ...block }; // any typ works for the sharing rule
    const main = foreign('Unikernel.Main', [kv, kv, kv]);
    const mk = () => impl(kv, { label: 'store', module: 'm', symbol: 'S' });
    const shared = mk();
    const g = register('x', [main(shared, shared, mk())]).toGraph();
    const job = node(g.nodes, g.jobs[0], 'job');
    expect(job.args[0]).toBe(job.args[1]);
    expect(job.args[2]).not.toBe(job.args[0]);
    expect(g.nodes).toHaveLength(3);
  });

  it('shares a device between two jobs', () => {
    const a = foreign('A.Main', [console]);
    const b = foreign('B.Main', [console]);
    const g = register('two', [a(defaultConsole), b(defaultConsole)]).toGraph();
    const [ja, jb] = g.jobs.map((j) => node(g.nodes, j, 'job'));
    expect(ja.args).toEqual(jb.args);
  });

  it('keeps ifImpl and matchImpl as graph nodes with their keys declared', () => {
    const kvKey = Key.create('kv_ro', { values: ['crunch', 'fat'] as const, default: 'crunch' });
    const a = impl(block, { label: 'a', module: 'a', symbol: 'A' });
    const b = impl(block, { label: 'b', module: 'b', symbol: 'B' });
    const main = foreign('Unikernel.Main', [block, block]);
    const g = register('k', [main(ifImpl(Key.isXen, a, b), matchImpl(kvKey, { crunch: a, fat: b }))]).toGraph();
    const job = node(g.nodes, g.jobs[0], 'job');
    const choice = node(g.nodes, job.args[0], 'if');
    expect(choice.cond).toEqual({ kind: 'is', key: 'target', value: 'xen' });
    const match = node(g.nodes, job.args[1], 'match');
    expect(Object.keys(match.cases)).toEqual(['crunch', 'fat']);
    expect(match.cases.crunch).toBe(choice.then); // `a` is one node wherever it appears
    expect(g.keys.map((k) => k.name).sort()).toEqual(['kv_ro', 'target']);
  });

  it('serializes connect arguments: devices, keys, values and resources', () => {
    const port = Key.int('port', { default: 53, stage: 'runtime' });
    const dev = impl(block, {
      label: 'd',
      module: 'm',
      symbol: 'D',
      args: [defaultConsole, port, value({ a: 1 }), resource({ kind: 'block', file: 'x.img' })],
    });
    const g = register('args', [foreign('U.Main', [block])(dev)]).toGraph();
    const d = node(g.nodes, node(g.nodes, g.jobs[0], 'job').args[0], 'device');
    expect(d.args).toEqual([
      { kind: 'device', node: expect.any(Number) },
      { kind: 'key', key: 'port' },
      { kind: 'value', value: { a: 1 } },
      { kind: 'resource', resource: { kind: 'block', file: 'x.img' } },
    ]);
    expect(g.keys.find((k) => k.name === 'port')).toMatchObject({ kind: 'int', stage: 'runtime', default: 53 });
  });

  it('applies one device at a time with $, as main $ c $ b', () => {
    const main = foreign('Unikernel.Main', [console, block]);
    const img = blockOfFile('disk.img');
    const job = $($(main, defaultConsole), img);
    const g = register('block_test', [job]).toGraph();
    const j = node(g.nodes, g.jobs[0], 'job');
    expect(j.args.map((a) => g.nodes[a].typ)).toEqual(['console', 'block']);
  });

  it('refuses what TypeScript would refuse, for config.ts files bundled without type checking', () => {
    const main = foreign('Unikernel.Main', [console, block]) as unknown as (...a: unknown[]) => unknown;
    expect(() => main(defaultConsole)).toThrow('Unikernel.Main takes 2 devices but was given 1');
    expect(() => main(blockOfFile('d'), defaultConsole)).toThrow('device 1 should be a console, but a block was given');
    expect(() => main(defaultConsole, 'disk.img')).toThrow('device 2 is not a device implementation');
  });

  it('refuses registrations that cannot become a program', () => {
    const main = foreign('Unikernel.Main', [console]);
    expect(() => register('has space', [main(defaultConsole)])).toThrow(/mir-has space/);
    expect(() => register('nojob', [])).toThrow(/needs at least one job/);
    expect(() => register('bad', [defaultConsole as never])).toThrow(/job 1 is not an applied foreign/);
    expect(() => foreign('Main', [console])).toThrow(/'Unikernel.Main'/);
  });

  it('refuses one key name declared twice with different domains', () => {
    const k1 = Key.create('net', { values: ['socket', 'direct'] as const, default: 'socket' });
    const k2 = Key.create('net', { values: ['a', 'b'] as const, default: 'a' });
    const a = impl(block, { label: 'a', module: 'a', symbol: 'A' });
    const main = foreign('U.Main', [block, block]);
    const reg = register('dup', [main(matchImpl(k1, { socket: a }, a), matchImpl(k2, { a }, a))]);
    expect(() => reg.toGraph()).toThrow("Key 'net' is declared twice with different definitions");
  });

  it('records where each combinator was called', () => {
    const main = foreign('Unikernel.Main', [console]);
    const g = register('site', [main(defaultConsole)]).toGraph();
    expect(node(g.nodes, g.jobs[0], 'job').site).toContain('register.spec.ts');
  });
});
