import { spawn } from 'node:child_process';

/**
 * Renders a DOT file to SVG with Graphviz's `dot`. Resolves false when
 * Graphviz is not installed (the DOT file is still there to render).
 */
export function renderSvg(dotFile: string, svgFile: string, dotProgram = 'dot'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(dotProgram, ['-Tsvg', '-o', svgFile, dotFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(false) : reject(e)));
    child.on('close', (code) =>
      code === 0 ? resolve(true) : reject(new Error(`${dotProgram} -Tsvg failed (${code}): ${stderr.trim()}`)),
    );
  });
}
