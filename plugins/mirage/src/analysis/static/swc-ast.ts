import { parseSync } from '@swc/core';

/**
 * While Nx builds its project graph, config.ts and the DSL are only parsed,
 * never run or type-checked. swc parses a file in a fraction of a
 * millisecond and loads in ≈ 50 ms, against ≈ 0.6 s to load TypeScript (or
 * ts-morph) in every Nx process; both give the same syntax tree for what is
 * read here (see tools/bench/analysis.bench.ts). swc also marks each
 * identifier with its binding scope (`ctxt`), which tells a reference to a
 * top-level declaration from a parameter or local of the same name.
 */
export interface AstNode {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface Ident extends AstNode {
  readonly type: 'Identifier';
  readonly value: string;
  readonly ctxt: number;
}

export function parseTs(source: string, file: string): AstNode[] {
  const module = parseSync(source, { syntax: 'typescript', target: 'es2022', comments: false });
  if (!Array.isArray(module.body)) throw new Error(`swc returned no statements for ${file}`);
  return module.body as unknown as AstNode[];
}

export function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function isIdent(value: unknown): value is Ident {
  return isNode(value) && value.type === 'Identifier';
}

/** Fields that hold only types: a reference there is not a use of a device. */
const TYPE_FIELDS = new Set([
  'typeAnnotation',
  'typeParams',
  'typeParameters',
  'typeArguments',
  'returnType',
  'superTypeParams',
]);
const TYPE_NODES = new Set(['TsInterfaceDeclaration', 'TsTypeAliasDeclaration', 'TsTypeAnnotation', 'TsTypeReference']);

/**
 * Visits every node under `root` (depth first). `visit` returning false skips
 * the node's children. Type-only parts of the tree are not visited.
 */
export function walk(root: unknown, visit: (node: AstNode, parent: AstNode | undefined) => boolean | void): void {
  const go = (value: unknown, parent: AstNode | undefined): void => {
    if (Array.isArray(value)) {
      for (const v of value) go(v, parent);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const node = value as Record<string, unknown>;
    const isAst = isNode(node);
    if (isAst && TYPE_NODES.has(node.type as string)) return;
    if (isAst && visit(node as AstNode, parent) === false) return;
    for (const [field, child] of Object.entries(node)) {
      if (field === 'span' || field === 'ctxt' || TYPE_FIELDS.has(field)) continue;
      if (typeof child === 'object' && child !== null) go(child, isAst ? (node as AstNode) : parent);
    }
  };
  go(root, undefined);
}

/** The text of a string literal, or of a template literal with no `${...}`. */
export function stringValue(node: unknown): string | undefined {
  if (!isNode(node)) return undefined;
  if (node.type === 'StringLiteral') return node.value as string;
  if (node.type === 'TemplateLiteral') {
    const quasis = node.quasis as { cooked?: string; raw: string }[];
    const expressions = node.expressions as unknown[];
    if (expressions.length === 0 && quasis.length === 1) return quasis[0].cooked ?? quasis[0].raw;
  }
  if (
    node.type === 'TsAsExpression' ||
    node.type === 'TsConstAssertion' ||
    node.type === 'ParenthesisExpression' ||
    node.type === 'TsSatisfiesExpression'
  ) {
    return stringValue(node.expression);
  }
  return undefined;
}

/** The name of an object literal property's key (`module: ...`, `'module': ...`). */
export function propertyKey(prop: AstNode): string | undefined {
  if (prop.type === 'Identifier') return (prop as Ident).value; // shorthand `{ file }`
  if (prop.type !== 'KeyValueProperty') return undefined;
  const key = prop.key as AstNode;
  if (key.type === 'Identifier') return (key as Ident).value;
  return stringValue(key);
}

/** The value of an object literal property (the identifier itself for a shorthand). */
export function propertyValue(prop: AstNode): AstNode | undefined {
  if (prop.type === 'Identifier') return prop;
  if (prop.type === 'KeyValueProperty') return prop.value as AstNode;
  return undefined;
}

export function objectProperties(node: AstNode): AstNode[] {
  return node.type === 'ObjectExpression' ? (node.properties as AstNode[]) : [];
}

/** Removes wrappers that do not change a value: `(x)`, `x as T`, `x satisfies T`, `x!`. */
export function unwrap(node: AstNode): AstNode {
  let n = node;
  while (
    [
      'ParenthesisExpression',
      'TsAsExpression',
      'TsSatisfiesExpression',
      'TsConstAssertion',
      'TsNonNullExpression',
    ].includes(n.type)
  ) {
    n = n.expression as AstNode;
  }
  return n;
}
