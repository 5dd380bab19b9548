import * as fs from 'node:fs';
import * as path from 'node:path';
import { Node, Project, ts, type SourceFile } from 'ts-morph';
import type { SourceLocation } from '../../configure/user-error';

/**
 * One ts-morph Project per build, holding only what the checks need: the
 * unikernel, the signatures and the chosen implementations (TypeScript
 * pulls in what they import). Library .d.ts files are not checked and
 * ambient `types` (such as @types/node, ≈ 1 s by itself) are not loaded: an
 * implementation's use of Node types then reads as `any`, which no check
 * here depends on.
 */
export class CheckProgram {
  readonly project: Project;
  private readonly host: ts.ModuleResolutionHost;

  constructor(readonly workspaceRoot: string) {
    this.project = new Project({
      compilerOptions: compilerOptions(workspaceRoot),
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
    });
    this.host = this.project.getModuleResolutionHost();
  }

  private loaded = false;

  /**
   * Adds the files to check, all at once: adding a file later would build a
   * new TypeScript program, and types from the old one cannot be compared
   * with types from the new.
   */
  load(files: readonly string[]): void {
    if (this.loaded) throw new Error('CheckProgram.load may be called once');
    for (const f of new Set(files)) this.project.addSourceFileAtPath(f);
    this.loaded = true;
  }

  get checker(): ts.TypeChecker {
    return this.project.getTypeChecker().compilerObject;
  }

  hasSyntaxErrors(file: string): boolean {
    return (
      this.project.getProgram().compilerObject.getSyntacticDiagnostics(this.sourceFile(file).compilerNode).length > 0
    );
  }

  /** A file given to load(). */
  sourceFile(absolutePath: string): SourceFile {
    const file = this.project.getSourceFile(absolutePath);
    if (!file) throw new Error(`${absolutePath} was not loaded for checking`);
    return file;
  }

  /** The file `specifier` names from `fromFile`, as TypeScript resolves it (paths, node_modules, .d.ts). */
  resolveModule(specifier: string, fromFile: string): string | undefined {
    const options = this.project.getCompilerOptions();
    const resolved = ts.resolveModuleName(specifier, fromFile, options, this.host).resolvedModule;
    return resolved?.resolvedFileName;
  }

  /** Whether Node can load `specifier` although TypeScript finds no types for it (plain JavaScript). */
  loadableWithoutTypes(specifier: string, fromFile: string): boolean {
    try {
      require.resolve(specifier, { paths: [path.dirname(fromFile), this.workspaceRoot] });
      return true;
    } catch {
      return false;
    }
  }

  /** The symbol a module exports under `name`, aliases followed. */
  exportedSymbol(file: SourceFile, name: string): ts.Symbol | undefined {
    const moduleSymbol = this.checker.getSymbolAtLocation(file.compilerNode);
    if (!moduleSymbol) return undefined;
    const found = this.checker.getExportsOfModule(moduleSymbol).find((s) => s.getName() === name);
    if (!found) return undefined;
    return found.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(found) : found;
  }

  /** The value exports of a file, for suggestions. */
  exportedNames(file: SourceFile): string[] {
    const moduleSymbol = this.checker.getSymbolAtLocation(file.compilerNode);
    if (!moduleSymbol) return [];
    return this.checker.getExportsOfModule(moduleSymbol).map((s) => s.getName());
  }

  location(node: ts.Node | Node): SourceLocation {
    const n = node instanceof Node ? node.compilerNode : node;
    const sf = n.getSourceFile();
    const { line, character } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
    return { file: path.relative(this.workspaceRoot, sf.fileName), line: line + 1, column: character + 1 };
  }
}

const DEFAULT_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  strict: true,
  esModuleInterop: true,
};

/** The workspace's compiler options (for its `paths` and strictness), trimmed to what checking needs. */
function compilerOptions(workspaceRoot: string): ts.CompilerOptions {
  const file = ['tsconfig.base.json', 'tsconfig.json']
    .map((f) => path.join(workspaceRoot, f))
    .find((f) => fs.existsSync(f));
  let options: ts.CompilerOptions = DEFAULT_OPTIONS;
  if (file) {
    const read = ts.readConfigFile(file, ts.sys.readFile);
    if (!read.error) {
      const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(file), undefined, file);
      options = { ...DEFAULT_OPTIONS, ...parsed.options };
    }
  }
  return {
    ...options,
    types: [],
    skipLibCheck: true,
    noEmit: true,
    allowJs: false,
    declaration: false,
    composite: false,
    incremental: false,
    // The workspace may pin options TypeScript 6 (inside ts-morph) deprecates, e.g. baseUrl.
    ignoreDeprecations: '6.0',
  };
}
