import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/**
 * A wrong device in config.ts must be a TypeScript error in the editor:
 * typing.test-d.ts marks each wrong line with @ts-expect-error. Compiled as
 * is, it must be clean (every marked line is an error, else TS2578 fires);
 * compiled with the markers removed, each marked line must fail.
 */
const FILE = path.join(__dirname, 'typing.test-d.ts');
const root = path.resolve(__dirname, '..', '..', '..');

function diagnostics(file: string): readonly ts.Diagnostic[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.base.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('cannot read tsconfig.base.json');
  // Only this file is checked, without @types/node: fast, and all it needs.
  const program = ts.createProgram([file], { ...config.options, noEmit: true, types: [] });
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file));
}

describe('DSL typing', () => {
  it('accepts the seed configurations, and every marked mistake is an error', () => {
    const found = diagnostics(FILE).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(found).toEqual([]);
  });

  it('fails each marked line, and only those, once the markers are gone', () => {
    const source = fs.readFileSync(FILE, 'utf8');
    const lines = source.split('\n');
    const expected = new Set<number>();
    lines.forEach((l, i) => {
      if (l.startsWith('// @ts-expect-error')) expected.add(i + 2); // the line after the marker, 1-based
    });
    const dir = fs.mkdtempSync(path.join(root, 'libs', 'mirage', 'src', '.typing-'));
    const stripped = path.join(dir, 'typing.test-d.ts');
    try {
      fs.writeFileSync(
        stripped,
        source.replace(/^\/\/ @ts-expect-error/gm, '// expected error').replace("from './index'", "from '../index'"),
      );
      const failing = new Set(
        diagnostics(stripped).map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line + 1),
      );
      expect([...failing].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
      expect(expected.size).toBeGreaterThanOrEqual(9);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
