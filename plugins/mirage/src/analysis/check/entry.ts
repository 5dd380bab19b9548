import * as path from 'node:path';
import { ts } from 'ts-morph';
import { UserError, type SourceLocation } from '../../configure/user-error';
import type { CheckProgram } from './program';

export interface StartParameter {
  readonly name: string;
  readonly type: ts.Type;
  readonly optional: boolean;
  readonly rest: boolean;
  readonly at: SourceLocation;
}

/** The function that receives the devices, whatever shape the entry has. */
export interface StartFunction {
  /** `Main.start`, or `Main` when the entry is itself the function. */
  readonly name: string;
  readonly at: SourceLocation;
  readonly parameters: readonly StartParameter[];
  readonly returnType: ts.Type;
  /** The return type's text as declared, for messages. */
  readonly returnText: string;
}

/**
 * Finds `start` of the entry `exportName` in `file`, in the shapes the
 * generated main.ts accepts (libs/mirage runtime `start`): a class whose
 * instances have `start`, a class or object with a static `start`, or a
 * function that is the start itself.
 */
export function findStart(
  program: CheckProgram,
  file: string,
  exportName: string,
  foreign: {
    /** As written: `Unikernel.Main`. */
    readonly entry: string;
    /** The export name inside its entry literal, where a typo is. */
    readonly entryAt: SourceLocation;
    /** `foreign('Unikernel.Main') at config.ts:3`, for messages. */
    readonly foreignRef: string;
  },
): StartFunction {
  const { foreignRef } = foreign;
  const checker = program.checker;
  const sf = program.sourceFile(file);
  const rel = path.relative(program.workspaceRoot, file);
  const symbol = program.exportedSymbol(sf, exportName);
  if (!symbol) {
    // The name is written in config.ts: that is where the user corrects a typo.
    const near = closestName(exportName, program.exportedNames(sf));
    const entry = foreign.entry;
    throw new UserError(`${path.basename(file)} does not export ${exportName}, which foreign('${entry}') names`, {
      at: foreign.entryAt,
      fix: near
        ? `correct the entry to '${entry.slice(0, entry.lastIndexOf('.') + 1)}${near}' (${path.basename(file)} exports ${near}), or export ${exportName} from ${rel}`
        : `export it from ${rel}: export class ${exportName} { async start(...) { ... } }, or correct the entry in foreign(...)`,
    });
  }
  const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
  const declAt = declaration ? program.location(nameOf(declaration)) : { file: rel };
  const valueType = checker.getTypeOfSymbolAtLocation(symbol, declaration ?? sf.compilerNode);

  let startSymbol: ts.Symbol | undefined;
  let name = `${exportName}.start`;
  const construct = valueType.getConstructSignatures();
  if (construct.length > 0) startSymbol = construct[0].getReturnType().getProperty('start');
  startSymbol ??= valueType.getProperty('start');
  if (!startSymbol && construct.length === 0 && valueType.getCallSignatures().length > 0) {
    name = exportName;
  } else if (!startSymbol) {
    throw new UserError(`${exportName} has no start method, so the unikernel has nothing to run`, {
      at: declAt,
      fix: `add one that takes the devices of ${foreignRef}: async start(...): Promise<void> { ... }`,
    });
  }

  const startDecl = startSymbol ? (startSymbol.valueDeclaration ?? startSymbol.declarations?.[0]) : declaration;
  const at = startDecl ? program.location(nameOf(startDecl)) : declAt;
  const startType = startSymbol
    ? checker.getTypeOfSymbolAtLocation(startSymbol, startDecl ?? sf.compilerNode)
    : valueType;
  const signature = startType.getCallSignatures()[0];
  if (!signature) {
    throw new UserError(`${name} is not a method`, {
      at,
      fix: `declare it as a method: async start(...): Promise<void> { ... }`,
    });
  }
  const parameters = signature.getParameters().map((p): StartParameter => {
    const decl = p.valueDeclaration;
    const param = decl && ts.isParameter(decl) ? decl : undefined;
    return {
      name: p.getName(),
      type: checker.getTypeOfSymbolAtLocation(p, decl ?? sf.compilerNode),
      optional: !!param && (!!param.questionToken || !!param.initializer),
      rest: !!param?.dotDotDotToken,
      at: param ? program.location(param.name) : at,
    };
  });
  const returnType = signature.getReturnType();
  return { name, at, parameters, returnType, returnText: checker.typeToString(returnType) };
}

/** Whether `type` can be awaited for the unikernel's end (a Promise, or any). */
export function isPromiseLike(type: ts.Type): boolean {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return true;
  if (type.isUnion()) return type.types.every(isPromiseLike);
  return type.getProperty('then') !== undefined;
}

function nameOf(node: ts.Node): ts.Node {
  const named = node as ts.Node & { name?: ts.Node };
  return named.name ?? node;
}

/** An exported name at most two edits from `name` (a typo), if exactly one is. */
function closestName(name: string, names: readonly string[]): string | undefined {
  const near = names.filter((n) => editDistance(n.toLowerCase(), name.toLowerCase()) <= 2);
  return near.length === 1 ? near[0] : undefined;
}

/**
 * Optimal string alignment distance, where a swap of two neighbouring letters
 * (Mian/Main) is one edit; a dozen lines, so not worth a runtime dependency
 * of the packaged plugin.
 */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
