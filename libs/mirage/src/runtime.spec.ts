import type { KeyDecl } from './key-values';
import * as fs from 'node:fs';
import { HelpRequested, readRuntimeKeys, start, StartupError, traceBootMilestone, UsageError } from './runtime';

const keys: KeyDecl[] = [
  { name: 'ipv4', kind: 'ipv4-prefix', stage: 'runtime', doc: 'address', default: '10.0.0.2/24' },
  { name: 'verbose', kind: 'bool', stage: 'runtime', doc: 'chatty', default: false },
  { name: 'count', kind: 'int', stage: 'runtime', doc: 'loops', default: 10 },
];
const defaults = { ipv4: '10.0.0.2/24', verbose: false, count: 10 };

describe('run-time keys', () => {
  it('keeps the defaults when no flag is given', () => {
    expect(readRuntimeKeys('mir-x', keys, defaults, [])).toEqual(defaults);
  });

  it('reads --name=value, --name value and a bare boolean flag', () => {
    expect(readRuntimeKeys('mir-x', keys, defaults, ['--ipv4=10.0.0.9/16', '--count', '3', '--verbose'])).toEqual({
      ipv4: '10.0.0.9/16',
      count: 3,
      verbose: true,
    });
  });

  it('refuses unknown flags, stray words and values out of domain as usage errors', () => {
    expect(() => readRuntimeKeys('mir-x', keys, defaults, ['--ipv6=::1'])).toThrow(
      new UsageError('mir-x: unknown option --ipv6; run-time options: --ipv4, --verbose, --count'),
    );
    expect(() => readRuntimeKeys('mir-x', keys, defaults, ['-t', 'xen'])).toThrow(UsageError);
    expect(() => readRuntimeKeys('mir-x', keys, defaults, ['--count=many'])).toThrow(
      "mir-x: 'many' is not a valid value for --count: expected an integer",
    );
  });

  it('answers --help with the options and their defaults', () => {
    let help: unknown;
    try {
      readRuntimeKeys('mir-x', keys, { ...defaults, count: 4 }, ['--help']);
    } catch (e) {
      help = e;
    }
    expect(help).toBeInstanceOf(HelpRequested);
    expect((help as Error).message).toContain('--count=<an integer>  loops (default: 4)');
  });
});

describe('starting an entry', () => {
  it('calls start on a class instance, a static start, an object and a plain function', async () => {
    const seen: string[] = [];
    class Instance {
      async start(d: string) {
        seen.push(`instance ${d}`);
      }
    }
    class Static {
      static async start(d: string) {
        seen.push(`static ${d}`);
      }
    }
    await start('I', Instance, ['a']);
    await start('S', Static, ['b']);
    await start('O', { start: async (d: string) => void seen.push(`object ${d}`) }, ['c']);
    await start('F', async (d: string) => void seen.push(`function ${d}`), ['d']);
    expect(seen).toEqual(['instance a', 'static b', 'object c', 'function d']);
  });

  it('says so when the entry cannot be started', async () => {
    await expect(start('Unikernel.Main', 42, [])).rejects.toThrow(
      new StartupError('Unikernel.Main is not a class, object or function with a start method'),
    );
  });
});

describe('boot milestones', () => {
  it('writes one with the seconds since boot only when the VM was booted with mirage_trace', () => {
    const lines: string[] = [];
    traceBootMilestone('main', {}, (l) => lines.push(l));
    expect(lines).toEqual([]);
    traceBootMilestone('main', { mirage_trace: '1' }, (l) => lines.push(l));
    if (!fs.existsSync('/proc/uptime')) return expect(lines).toEqual([]);
    expect(lines).toHaveLength(1);
    const m = /^mirage-trace: main (\d+\.\d+)\n$/.exec(lines[0]);
    expect(m).not.toBeNull();
    const now = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    expect(Number(m?.[1])).toBeLessThanOrEqual(now);
    expect(Number(m?.[1])).toBeGreaterThan(0);
  });
});
