import { ts } from 'ts-morph';
import type { CheckProgram } from './program';

export const SIGNATURES_MODULE = '@mirage-ts/types';

/**
 * The device signatures of @mirage-ts/types, as the workspace resolves it
 * from config.ts (source here, the installed package elsewhere).
 */
export class Signatures {
  private readonly cache = new Map<string, ts.Type | undefined>();

  /** `file`: where @mirage-ts/types resolved to (loaded by CheckProgram.load). */
  constructor(
    private readonly program: CheckProgram,
    private readonly file: string,
  ) {}

  /** The interface named `name` (`Console`, `Block`...), or undefined when @mirage-ts/types has none. */
  type(name: string): ts.Type | undefined {
    if (this.cache.has(name)) return this.cache.get(name);
    let found: ts.Type | undefined;
    const symbol = this.program.exportedSymbol(this.program.sourceFile(this.file), name);
    if (symbol && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Class)) {
      found = this.program.checker.getDeclaredTypeOfSymbol(symbol);
    }
    this.cache.set(name, found);
    return found;
  }
}
