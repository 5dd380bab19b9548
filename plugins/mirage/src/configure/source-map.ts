import { SourceMap } from 'node:module';
import * as path from 'node:path';
import type { SourceLocation } from './user-error';

/**
 * Maps positions in the bundled config.ts back to the user's files, so that
 * call sites and thrown errors name `apps/x/config.ts:7`, not the bundle.
 */
export class BundlePositions {
  private readonly map: SourceMap;

  constructor(
    private readonly bundleFile: string,
    mapJson: string,
    private readonly workspaceRoot: string,
  ) {
    this.map = new SourceMap(JSON.parse(mapJson));
  }

  /** The user's location for the first stack frame that lies in `wantedFile` (absolute). */
  locate(stack: string, wantedFile: string): SourceLocation | undefined {
    for (const frame of this.frames(stack)) {
      // A bundler helper (esbuild's __require, which loads an installed CommonJS
      // package) between the call and config.ts means config.ts only imported
      // the module that made the device: its frame is an import line, not a call.
      if (frame.source === undefined) return undefined;
      if (frame.source === wantedFile) {
        return { file: path.relative(this.workspaceRoot, frame.source), line: frame.line, column: frame.column };
      }
    }
    return undefined;
  }

  private *frames(stack: string): Generator<{ source: string | undefined; line: number; column: number }> {
    const escaped = this.bundleFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g');
    for (const m of stack.matchAll(re)) {
      const entry = this.map.findEntry(Number(m[1]) - 1, Number(m[2]) - 1) as {
        originalSource?: string;
        originalLine?: number;
        originalColumn?: number;
      };
      if (entry.originalSource === undefined || entry.originalLine === undefined) {
        yield { source: undefined, line: 0, column: 0 };
        continue;
      }
      const source = entry.originalSource.startsWith('file://')
        ? new URL(entry.originalSource).pathname
        : path.resolve(path.dirname(this.bundleFile), entry.originalSource);
      yield { source, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
    }
  }
}
