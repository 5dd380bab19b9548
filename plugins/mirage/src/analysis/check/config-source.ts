import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { SourceLocation } from '../../configure/user-error';

/** An expression in config.ts as the user wrote it. */
export interface WrittenExpression {
  readonly text: string;
  readonly at: SourceLocation;
}

/**
 * config.ts parsed (not type-checked) to point messages at what the user
 * wrote: the arguments of `main(defaultConsole, disk)`, the `foreign` and
 * `register` calls, key declarations. Devices created in config.ts carry
 * their own call site; shared ones (defaultConsole) are found here.
 */
export class ConfigSource {
  private readonly sf: ts.SourceFile;

  constructor(
    readonly workspaceRoot: string,
    /** Workspace-relative. */
    readonly configFile: string,
    text = fs.readFileSync(path.join(workspaceRoot, configFile), 'utf8'),
  ) {
    this.sf = ts.createSourceFile(path.join(workspaceRoot, configFile), text, ts.ScriptTarget.Latest, true);
  }

  location(node: ts.Node): SourceLocation {
    const { line, character } = this.sf.getLineAndCharacterOfPosition(node.getStart(this.sf));
    return { file: this.configFile, line: line + 1, column: character + 1 };
  }

  /** `config.ts:7`, the way messages refer to a line of the unikernel's own config. */
  shortRef(at: SourceLocation | undefined): string {
    const name = path.basename(this.configFile);
    return at?.line === undefined ? name : `${name}:${at.line}`;
  }

  /**
   * The device arguments of the job applied at `at` (where `main(...)` or
   * the outer `$(...)` was called), in parameter order.
   */
  jobArguments(at: SourceLocation | undefined): WrittenExpression[] | undefined {
    const call = at ? this.callAt(at) : undefined;
    if (!call) return undefined;
    const args: ts.Expression[] = [];
    const collect = (c: ts.CallExpression): void => {
      if (ts.isIdentifier(c.expression) && c.expression.text === '$' && c.arguments.length === 2) {
        const inner = unwrap(c.arguments[0]);
        if (ts.isCallExpression(inner)) collect(inner);
        args.push(c.arguments[1]);
        return;
      }
      args.push(...c.arguments);
    };
    collect(call);
    return args.map((a) => ({ text: a.getText(this.sf), at: this.location(a) }));
  }

  /** Where `foreign('<entry>', ...)` is written. */
  foreignCall(entry: string): SourceLocation | undefined {
    const call = this.findCall((c) => calleeName(c) === 'foreign' && stringArg(c, 0) === entry);
    return call ? this.location(call) : undefined;
  }

  /**
   * Where the export name of `foreign('<Module>.<Export>', ...)` is written:
   * the column of `Export` inside the literal, so a typo there is one click away.
   */
  foreignExportName(entry: string): SourceLocation | undefined {
    const call = this.findCall((c) => calleeName(c) === 'foreign' && stringArg(c, 0) === entry);
    if (!call) return undefined;
    const literal = this.location(call.arguments[0]);
    const raw = call.arguments[0].getText(this.sf);
    const dot = raw.lastIndexOf('.');
    // Escapes in the literal would shift the column: then point at the literal itself.
    if (dot < 0 || raw.slice(1, -1) !== entry) return literal;
    return { ...literal, column: (literal.column ?? 1) + dot + 1 };
  }

  /**
   * Every call of the DSL's `register` (imported under any name, or through
   * a namespace import), with its name when it is a literal.
   */
  registerCalls(): { name: string | undefined; at: SourceLocation }[] {
    const direct = new Set<string>();
    const namespaces = new Set<string>();
    for (const stmt of this.sf.statements) {
      if (!ts.isImportDeclaration(stmt) || !stmt.importClause || stmt.importClause.isTypeOnly) continue;
      const bindings = stmt.importClause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const e of bindings.elements)
          if ((e.propertyName ?? e.name).text === 'register' && !e.isTypeOnly) direct.add(e.name.text);
      }
    }
    const calls: { name: string | undefined; at: SourceLocation }[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) {
        const c = n.expression;
        const isRegister =
          (ts.isIdentifier(c) && direct.has(c.text)) ||
          (ts.isPropertyAccessExpression(c) &&
            ts.isIdentifier(c.expression) &&
            namespaces.has(c.expression.text) &&
            c.name.text === 'register');
        if (isRegister) calls.push({ name: stringArg(n, 0), at: this.location(n) });
      }
      n.forEachChild(visit);
    };
    visit(this.sf);
    return calls;
  }

  /** The name literal of `Key.create('<name>', ...)` (or Key.bool, Key.int...). */
  keyDeclaration(name: string): SourceLocation | undefined {
    const call = this.findCall((c) => {
      const callee = c.expression;
      return (
        ts.isPropertyAccessExpression(callee) &&
        /^(create|bool|int|string|ipv4|ipv4Prefix)$/.test(callee.name.text) &&
        stringArg(c, 0) === name
      );
    });
    return call ? this.location(call.arguments[0]) : undefined;
  }

  /** The smallest call whose callee starts at, or whose span holds, the position. */
  private callAt(at: SourceLocation): ts.CallExpression | undefined {
    if (at.line === undefined) return undefined;
    const pos = this.sf.getPositionOfLineAndCharacter(at.line - 1, Math.max(0, (at.column ?? 1) - 1));
    let best: ts.CallExpression | undefined;
    const visit = (n: ts.Node): void => {
      if (pos < n.getStart(this.sf) || pos >= n.getEnd()) return;
      if (ts.isCallExpression(n)) {
        const callee = n.expression;
        const head = ts.isPropertyAccessExpression(callee) ? callee.name : callee;
        if (pos >= head.getStart(this.sf) && pos < head.getEnd()) best = n;
      }
      n.forEachChild(visit);
    };
    visit(this.sf);
    return best;
  }

  private findCall(test: (c: ts.CallExpression) => boolean): ts.CallExpression | undefined {
    let found: ts.CallExpression | undefined;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isCallExpression(n) && test(n)) found = n;
      else n.forEachChild(visit);
    };
    visit(this.sf);
    return found;
  }
}

function unwrap(e: ts.Expression): ts.Expression {
  let x = e;
  while (
    ts.isParenthesizedExpression(x) ||
    ts.isAsExpression(x) ||
    ts.isSatisfiesExpression(x) ||
    ts.isNonNullExpression(x)
  )
    x = x.expression;
  return x;
}

function calleeName(c: ts.CallExpression): string | undefined {
  const callee = c.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

function stringArg(c: ts.CallExpression, i: number): string | undefined {
  const a = c.arguments[i];
  return a && (ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a)) ? a.text : undefined;
}
