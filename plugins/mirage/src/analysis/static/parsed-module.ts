import { isIdent, parseTs, stringValue, unwrap, type AstNode, type Ident } from './swc-ast';

/**
 * One module as the static reader sees it: its top-level declarations (with
 * their parameters, for following data through calls), what each imported
 * name is bound to, and what it exports. Bindings are keyed `name#ctxt`
 * (swc's scope mark), so a parameter or local never stands for a top-level
 * declaration of the same name.
 */
export type Binding =
  | { readonly kind: 'import'; readonly spec: string; readonly imported: string }
  | { readonly kind: 'namespace'; readonly spec: string };

export interface Decl {
  readonly module: ParsedModule;
  readonly name: string;
  /** Binding keys (`name#ctxt`) of the parameters, by position. */
  readonly params: readonly (string | undefined)[];
  readonly body: unknown;
}

export interface ParsedModule {
  readonly file: string;
  readonly decls: Map<string, Decl>;
  readonly bindings: Map<string, Binding>;
  /** Exported name -> local binding key, or re-export from another module. */
  readonly exports: Map<string, { readonly local: string } | { readonly spec: string; readonly name: string }>;
  readonly stars: readonly string[];
  /** Top-level `const x = 'text'`, so `crunch(dir)` is read as well as `crunch('t')`. */
  readonly constStrings: Map<string, string>;
  readonly whole: Decl;
}

function paramKeys(params: unknown): (string | undefined)[] {
  return (Array.isArray(params) ? params : []).map((p: AstNode) => {
    let pat = p.type === 'Parameter' || p.type === 'Param' ? (p.pat as AstNode) : p;
    if (pat?.type === 'AssignmentPattern') pat = pat.left as AstNode;
    if (pat?.type === 'TsParameterProperty') pat = pat.param as AstNode;
    return isIdent(pat) ? `${pat.value}#${pat.ctxt}` : undefined;
  });
}

export function readModule(file: string, source: string): ParsedModule {
  const body = parseTs(source, file);
  const decls = new Map<string, Decl>();
  const bindings = new Map<string, Binding>();
  const exports: ParsedModule['exports'] = new Map();
  const stars: string[] = [];
  const constStrings = new Map<string, string>();
  const module = { file, decls, bindings, exports, stars, constStrings } as unknown as ParsedModule & { whole: Decl };
  const key = (id: Ident) => `${id.value}#${id.ctxt}`;

  const declare = (node: AstNode, exported: boolean): void => {
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'ClassDeclaration': {
        const id = node.identifier as Ident;
        decls.set(key(id), { module, name: id.value, params: paramKeys(node.params), body: node });
        if (exported) exports.set(id.value, { local: key(id) });
        return;
      }
      case 'VariableDeclaration':
        for (const v of node.declarations as AstNode[]) {
          if (!isIdent(v.id)) continue;
          const init = v.init as AstNode | null;
          const fn =
            init && ['ArrowFunctionExpression', 'FunctionExpression'].includes(unwrap(init).type)
              ? unwrap(init)
              : undefined;
          decls.set(key(v.id), { module, name: v.id.value, params: fn ? paramKeys(fn.params) : [], body: init });
          const text = init ? stringValue(init) : undefined;
          if (text !== undefined) constStrings.set(key(v.id), text);
          if (exported) exports.set(v.id.value, { local: key(v.id) });
        }
        return;
    }
  };

  for (const stmt of body) {
    switch (stmt.type) {
      case 'ImportDeclaration': {
        if (stmt.typeOnly) break;
        const spec = (stmt.source as AstNode).value as string;
        for (const s of stmt.specifiers as AstNode[]) {
          if (s.isTypeOnly) continue;
          const local = s.local as Ident;
          if (s.type === 'ImportNamespaceSpecifier') bindings.set(key(local), { kind: 'namespace', spec });
          else if (s.type === 'ImportDefaultSpecifier')
            bindings.set(key(local), { kind: 'import', spec, imported: 'default' });
          else
            bindings.set(key(local), {
              kind: 'import',
              spec,
              imported: s.imported ? ((s.imported as AstNode).value as string) : local.value,
            });
        }
        break;
      }
      case 'ExportDeclaration':
        declare(stmt.declaration as AstNode, true);
        break;
      case 'ExportDefaultDeclaration': {
        const d = stmt.decl as AstNode;
        decls.set('default#export', { module, name: 'default', params: paramKeys(d.params), body: d });
        exports.set('default', { local: 'default#export' });
        break;
      }
      case 'ExportDefaultExpression':
        decls.set('default#export', { module, name: 'default', params: [], body: stmt.expression });
        exports.set('default', { local: 'default#export' });
        break;
      case 'ExportAllDeclaration':
        if (!stmt.typeOnly) stars.push((stmt.source as AstNode).value as string);
        break;
      case 'ExportNamedDeclaration': {
        if (stmt.typeOnly) break;
        const source = stmt.source ? ((stmt.source as AstNode).value as string) : undefined;
        for (const s of stmt.specifiers as AstNode[]) {
          if (s.isTypeOnly || s.type !== 'ExportSpecifier') continue;
          const orig = s.orig as Ident;
          const exportedName = s.exported ? ((s.exported as AstNode).value as string) : orig.value;
          exports.set(exportedName, source ? { spec: source, name: orig.value } : { local: key(orig) });
        }
        break;
      }
      default:
        declare(stmt, false);
    }
  }
  module.whole = { module, name: '*', params: [], body };
  return module;
}
