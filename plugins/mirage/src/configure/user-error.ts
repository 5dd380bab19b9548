/**
 * A mistake in the user's own files (config.ts, unikernel.ts, flags). It is
 * printed like a compiler diagnostic, with the fix, and never with a stack
 * trace from the plugin: the plugin's internals are not where the user has
 * to look.
 */
export interface SourceLocation {
  /** Workspace-relative path. */
  readonly file: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
}

export class UserError extends Error {
  constructor(
    readonly problem: string,
    readonly details: { readonly at?: SourceLocation; readonly fix?: string } = {},
  ) {
    super(formatDiagnostic(problem, details.at, details.fix));
    this.name = 'UserError';
  }
}

export function formatLocation(at: SourceLocation): string {
  return at.line === undefined ? at.file : `${at.file}:${at.line}${at.column === undefined ? '' : `:${at.column}`}`;
}

export function formatDiagnostic(problem: string, at?: SourceLocation, fix?: string): string {
  const head = at ? `${formatLocation(at)} - error: ${problem}` : `error: ${problem}`;
  return fix ? `${head}\n  fix: ${fix}` : head;
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError || (e instanceof Error && e.name === 'UserError' && 'problem' in e);
}
