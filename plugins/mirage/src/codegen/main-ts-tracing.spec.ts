import { console, defaultConsole, foreign, register } from '@mirage-ts/mirage';
import { resolveGraph } from '../configure/resolve';
import { generateMainTs } from './main-ts';

const main = foreign('Unikernel.Main', [console]);

function mainTs(registration: ReturnType<typeof register>): string {
  const graph = resolveGraph({
    graph: registration.toGraph(),
    locations: new Map(),
    configFile: 'apps/t/config.ts',
    registerAt: { file: 'apps/t/config.ts' },
    project: 't',
    target: 'unix',
    options: {},
  });
  return generateMainTs({
    graph,
    entryImports: new Map([['Unikernel.Main', '../unikernel']]),
    resourceExpression: (r) => JSON.stringify(r),
  });
}

describe('main.ts of a traced unikernel', () => {
  it('starts tracing with the ring size and --trace-file, and hands every device through the tracer', () => {
    const code = mainTs(register('t', [main(defaultConsole)], { tracing: { size: 5000 } }));
    expect(code).toContain(`import { startTracing } from '@mirage-ts/tracing';`);
    expect(code).toContain('startTracing({ size: 5000, file: String(keys["trace-file"]), program: PROGRAM })');
    expect(code).toMatch(/const console0 = tracing\.device\("console", await Runtime\.connect\(/);
    expect(code).toContain('"name":"trace-file"');
  });

  it('is untouched without tracing', () => {
    const code = mainTs(register('t', [main(defaultConsole)]));
    expect(code).not.toMatch(/tracing|trace-file/);
  });

  it('refuses a ring size that is not a whole number of events, saying how to write it', () => {
    expect(() => register('t', [main(defaultConsole)], { tracing: { size: 0 } })).toThrow(
      "register('t'): tracing.size is how many events the trace keeps; give a whole number of at least 1, e.g. { tracing: { size: 1000000 } }",
    );
  });
});
