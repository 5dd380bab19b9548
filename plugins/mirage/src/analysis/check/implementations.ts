import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { ResolvedDevice, ResolvedGraph } from '../../configure/resolved-graph';
import { formatLocation, UserError, type SourceLocation } from '../../configure/user-error';
import type { CheckProgram } from './program';
import type { Signatures } from './signatures';

/**
 * Every implementation the resolved graph chose for this target (whose
 * module resolved): it exports the class, the class has a static `connect` that takes
 * the arguments config.ts gives it (devices of the signatures it expects),
 * and what `connect` resolves to satisfies the signature the device is
 * plugged in as.
 */
export function checkImplementations(
  program: CheckProgram,
  signatures: Signatures,
  graph: ResolvedGraph,
  /** Where each device's module resolved to (by device id), and from where it was looked up. */
  moduleFiles: ReadonlyMap<number, { readonly from: string; readonly file: string | undefined }>,
  /** Where config.ts mentions each device, when it was not created there (defaultConsole passed to main). */
  writtenAt: ReadonlyMap<number, SourceLocation>,
): void {
  const checker = program.checker;
  for (const device of graph.devices) {
    const at = device.at ?? writtenAt.get(device.id) ?? { file: graph.configFile };
    const { file } = moduleFiles.get(device.id) as { from: string; file: string | undefined };
    // Missing modules were reported before these checks; plain JavaScript without types cannot be checked.
    if (!file) continue;
    const symbol = program.exportedSymbol(program.sourceFile(file), device.symbol);
    if (!symbol) {
      throw new UserError(`${device.module} does not export ${device.symbol}, which ${device.label} names`, {
        at,
        fix: `export class ${device.symbol} from ${path.relative(program.workspaceRoot, file)}, or correct symbol: in impl(...)`,
      });
    }
    const decl = symbol.valueDeclaration ?? symbol.declarations?.[0];
    const declAt = decl
      ? program.location((decl as ts.Node & { name?: ts.Node }).name ?? decl)
      : { file: path.relative(program.workspaceRoot, file) };
    const staticSide = checker.getTypeOfSymbolAtLocation(symbol, decl ?? program.sourceFile(file).compilerNode);
    const connectSymbol = staticSide.getProperty('connect');
    const connect = connectSymbol
      ? checker
          .getTypeOfSymbolAtLocation(
            connectSymbol,
            connectSymbol.valueDeclaration ?? decl ?? program.sourceFile(file).compilerNode,
          )
          .getCallSignatures()[0]
      : undefined;
    if (!connect) {
      throw new UserError(
        `${device.symbol} (${device.module}) has no static connect(...), so ${device.label} cannot be connected`,
        {
          at,
          fix: `add static async connect(...): Promise<${device.symbol}> to ${device.symbol} at ${formatLocation(declAt)}`,
        },
      );
    }
    checkConnectArguments(program, signatures, graph, device, connect, at);

    const expected = signatures.type(device.signature);
    if (!expected) continue;
    const returned = connect.getReturnType();
    const instance = checker.getAwaitedType(returned) ?? returned;
    if (checker.isTypeAssignableTo(instance, expected)) continue;
    const missing = expected
      .getProperties()
      .filter((p) => !instance.getProperty(p.getName()) && !(p.flags & ts.SymbolFlags.Optional));
    const mismatched = expected.getProperties().find((p) => {
      const own = instance.getProperty(p.getName());
      if (!own) return false;
      const ownType = checker.getTypeOfSymbolAtLocation(
        own,
        own.valueDeclaration ?? decl ?? program.sourceFile(file).compilerNode,
      );
      const wantType = checker.getTypeOfSymbolAtLocation(
        p,
        p.valueDeclaration ?? program.sourceFile(file).compilerNode,
      );
      return !checker.isTypeAssignableTo(ownType, wantType);
    });
    const why =
      missing.length > 0
        ? `it lacks ${englishList(missing.map((p) => p.getName()))}`
        : mismatched
          ? `its ${mismatched.getName()} does not match ${device.signature}.${mismatched.getName()}`
          : `connect does not resolve to a ${device.signature}`;
    throw new UserError(`${device.symbol} from ${device.module} does not implement ${device.signature}: ${why}`, {
      at,
      fix: `plug in an implementation of ${device.signature}, or complete ${device.symbol} at ${formatLocation(declAt)}`,
    });
  }
}

function checkConnectArguments(
  program: CheckProgram,
  signatures: Signatures,
  graph: ResolvedGraph,
  device: ResolvedDevice,
  connect: ts.Signature,
  at: SourceLocation,
): void {
  const checker = program.checker;
  const params = connect.getParameters().map((p) => {
    const decl = p.valueDeclaration && ts.isParameter(p.valueDeclaration) ? p.valueDeclaration : undefined;
    return {
      name: p.getName(),
      type: checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration ?? connect.getDeclaration()),
      optional: !!decl && (!!decl.questionToken || !!decl.initializer),
      rest: !!decl?.dotDotDotToken,
    };
  });
  const rest = params.length > 0 && params[params.length - 1].rest;
  const required = params.filter((p) => !p.optional && !p.rest).length;
  const max = rest ? Infinity : params.length;
  const given = device.args.length;
  if (given > max || given < required) {
    const takes = required === max ? `${max}` : max === Infinity ? `at least ${required}` : `${required} to ${max}`;
    throw new UserError(
      `${device.symbol}.connect takes ${takes} argument${takes === '1' ? '' : 's'}, but ${device.label} passes ${given}`,
      {
        at,
        fix: `give impl(...) the args that ${device.symbol}.connect(${params.map((p) => p.name).join(', ')}) expects, in order`,
      },
    );
  }
  device.args.forEach((arg, i) => {
    if (arg.kind !== 'device') return;
    const param = i < params.length && !params[i].rest ? params[i] : params[params.length - 1];
    const expected = param.rest
      ? (checker.getIndexTypeOfType(param.type, ts.IndexKind.Number) ?? param.type)
      : param.type;
    const given = graph.devices[arg.device];
    const offered = signatures.type(given.signature);
    if (!offered || checker.isTypeAssignableTo(offered, expected)) return;
    throw new UserError(
      `parameter '${param.name}' of ${device.symbol}.connect expects ${checker.typeToString(expected)}, but ${device.label} passes ${given.label} (${given.signature})`,
      {
        at,
        fix: `give impl(...) the args that ${device.symbol}.connect(${params.map((p) => p.name).join(', ')}) expects, in order`,
      },
    );
  });
}

export function englishList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
