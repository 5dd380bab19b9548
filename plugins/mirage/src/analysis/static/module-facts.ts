import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModuleResolver } from './module-resolver';
import { readModule, type Decl, type ParsedModule } from './parsed-module';
import {
  isIdent,
  isNode,
  objectProperties,
  propertyKey,
  propertyValue,
  stringValue,
  unwrap,
  walk,
  type AstNode,
  type Ident,
} from './swc-ast';

/**
 * What a declaration of the DSL (or of config.ts) means for the build, read
 * from its source: the implementation modules it can plug in and the data it
 * names. `genericKvRo(dir)` yields `@mirage-ts/kv/direct`,
 * `@mirage-ts/fat/fs`... and its parameter 0 names a data folder.
 */
export interface DeviceFacts {
  /** `module` fields of the impl specs it builds, directly or through what it uses. */
  readonly modules: readonly string[];
  /** Positions of the parameters whose argument is a path in the unikernel's folder. */
  readonly dataParams: readonly number[];
  /** Paths in the unikernel's folder that it names itself (`crunch('t')` inside a helper). */
  readonly dataPaths: readonly string[];
  /** Build steps its impls ask for (`crunch`, `fat-image`): the code they generate has imports of its own. */
  readonly buildSteps?: readonly string[];
}

/** Facts shipped inside a packaged library, where only compiled JavaScript is left to read. */
export interface PackageManifest {
  readonly format: typeof MANIFEST_FORMAT;
  /** Subpath (`''` for the package itself, `devices/block`...) -> export name -> facts. */
  readonly modules: Readonly<Record<string, Readonly<Record<string, DeviceFacts>>>>;
}
export const MANIFEST_FORMAT = 'mirage-ts/manifest@1';
export const MANIFEST_FILE = 'mirage-manifest.json';

/**
 * Resource kinds whose field names data of the unikernel. A block file is
 * not among them: the unikernel writes its disk image at run time, so it is
 * state, not a source of the build (disk-image/input-exclusions.ts keeps
 * images out of the inputs).
 */
const DATA_RESOURCES: Readonly<Record<string, string>> = { 'data-dir': 'dir' };
/** Options of an impl's `build` step that name data in the unikernel's folder (crunch's dir, FAT's dir). */
const DATA_BUILD_OPTIONS = new Set(['dir', 'file', 'path']);

type Ref = { readonly kind: 'decl'; readonly decl: Decl } | { readonly kind: 'known'; readonly facts: DeviceFacts };
type ArgInfo = { readonly param: number } | { readonly literal: string } | null;

interface LocalFacts {
  readonly modules: Set<string>;
  readonly buildSteps: Set<string>;
  readonly dataPaths: Set<string>;
  readonly dataParams: Set<number>;
  readonly refs: Ref[];
  readonly calls: { readonly callee: Ref; readonly args: readonly ArgInfo[] }[];
}

/** What main.ts imports for a traced unikernel (plugins/mirage/src/codegen/main-ts.ts). */
export const TRACING_MODULE = '@mirage-ts/tracing';

const NO_FACTS: DeviceFacts = { modules: [], buildSteps: [], dataParams: [], dataPaths: [] };

/**
 * Reads modules (parse only, never run) and answers what their declarations
 * plug in and name. One index per process: parsed files are kept while
 * their size and mtime stay the same.
 */
export class FactsIndex {
  private readonly parsed = new Map<string, { stamp: string; module: ParsedModule }>();
  private readonly manifests = new Map<string, PackageManifest | null>();
  private locals = new Map<Decl, LocalFacts>();
  /** Within one reading (one project-graph computation) files are stat'ed once and each declaration solved once. */
  private checked = new Set<string>();
  private solved = new Map<Decl, DeviceFacts>();
  private resolved = new Map<string, string | undefined>();

  constructor(private readonly resolver: ModuleResolver) {}

  /** Starts a new reading: files may have changed since the last one. */
  beginReading(): void {
    this.checked = new Set();
    this.locals = new Map();
    this.solved = new Map();
    this.resolved = new Map();
    this.manifests.clear();
  }

  private resolve(spec: string, fromFile: string): string | undefined {
    const key = `${spec}\0${path.dirname(fromFile)}`;
    if (!this.resolved.has(key)) this.resolved.set(key, this.resolver.resolve(spec, fromFile));
    return this.resolved.get(key);
  }

  /** Facts of a whole file (config.ts and whatever it uses). */
  fileFacts(file: string): DeviceFacts {
    return this.solve(this.module(file).whole);
  }

  /** Facts of one export of a module, following re-exports. */
  exportFacts(file: string, name: string): DeviceFacts {
    const ref = this.exported(file, name, new Set());
    if (!ref) return NO_FACTS;
    return ref.kind === 'known' ? ref.facts : this.solve(ref.decl);
  }

  /** Every name a module exports, through `export *` too. */
  exportNames(file: string, seen = new Set<string>()): string[] {
    if (seen.has(file)) return [];
    seen.add(file);
    const m = this.module(file);
    const names = new Set([...m.exports.keys()]);
    for (const spec of m.stars) {
      const target = this.resolve(spec, file);
      if (target) for (const n of this.exportNames(target, seen)) if (n !== 'default') names.add(n);
    }
    return [...names];
  }

  private module(file: string): ParsedModule {
    const cached = this.parsed.get(file);
    if (cached && this.checked.has(file)) return cached.module;
    const stat = fs.statSync(file);
    const stamp = `${stat.size}:${stat.mtimeMs}`;
    this.checked.add(file);
    if (cached?.stamp === stamp) return cached.module;
    const module = readModule(file, fs.readFileSync(file, 'utf8'));
    this.parsed.set(file, { stamp, module });
    return module;
  }

  /** What an export resolves to: a declaration in the workspace, or facts from a package manifest. */
  private exported(file: string, name: string, seen: Set<string>): Ref | undefined {
    const key = `${file}#${name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const m = this.module(file);
    const e = m.exports.get(name);
    if (e && 'local' in e) return this.binding(m, e.local, undefined);
    if (e) return this.imported(e.spec, e.name, file, seen);
    for (const spec of m.stars) {
      const found = this.imported(spec, name, file, seen);
      if (found) return found;
    }
    return undefined;
  }

  private imported(spec: string, name: string, fromFile: string, seen = new Set<string>()): Ref | undefined {
    const target = this.resolve(spec, fromFile);
    if (target)
      return /\.(ts|tsx)$/.test(target) && !target.endsWith('.d.ts') ? this.exported(target, name, seen) : undefined;
    const facts = this.manifestFacts(spec, fromFile, name);
    return facts ? { kind: 'known', facts } : undefined;
  }

  private binding(m: ParsedModule, key: string, member: string | undefined): Ref | undefined {
    const decl = m.decls.get(key);
    if (decl) return member === undefined ? { kind: 'decl', decl } : undefined;
    const b = m.bindings.get(key);
    if (!b) return undefined;
    if (b.kind === 'namespace') return member === undefined ? undefined : this.imported(b.spec, member, m.file);
    return member === undefined ? this.imported(b.spec, b.imported, m.file) : undefined;
  }

  /** A package's manifest, found in node_modules above the importing file. */
  private manifestFacts(spec: string, fromFile: string, name: string): DeviceFacts | undefined {
    const parts = spec.split('/');
    const pkg = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    const subpath = parts
      .slice(spec.startsWith('@') ? 2 : 1)
      .join('/')
      .replace(/\.(js|ts)$/, '');
    for (let dir = path.dirname(fromFile); ; dir = path.dirname(dir)) {
      const file = path.join(dir, 'node_modules', pkg, MANIFEST_FILE);
      if (!this.manifests.has(file)) {
        this.manifests.set(
          file,
          fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as PackageManifest) : null,
        );
      }
      const manifest = this.manifests.get(file);
      if (manifest)
        return manifest.modules[subpath]?.[name] ?? manifest.modules[`${subpath ? `${subpath}/` : ''}index`]?.[name];
      if (path.dirname(dir) === dir) return undefined;
    }
  }

  /** Facts of `root` and of everything it reaches, to a fixed point (declarations may use each other). */
  private solve(root: Decl): DeviceFacts {
    const done = this.solved.get(root);
    if (done) return done;
    const locals = new Map<Decl, LocalFacts>();
    const pending = [root];
    while (pending.length > 0) {
      const d = pending.pop() as Decl;
      if (locals.has(d)) continue;
      const local = this.localFactsOf(d);
      locals.set(d, local);
      for (const r of local.refs)
        if (r.kind === 'decl' && !locals.has(r.decl) && !this.solved.has(r.decl)) pending.push(r.decl);
    }
    type Growing = { modules: Set<string>; buildSteps: Set<string>; dataPaths: Set<string>; dataParams: Set<number> };
    const facts = new Map<Decl, Growing>();
    for (const [d, l] of locals)
      facts.set(d, {
        modules: new Set(l.modules),
        buildSteps: new Set(l.buildSteps),
        dataPaths: new Set(l.dataPaths),
        dataParams: new Set(l.dataParams),
      });
    const of = (
      r: Ref,
    ): {
      modules: Iterable<string>;
      buildSteps?: Iterable<string>;
      dataPaths: Iterable<string>;
      dataParams: Iterable<number>;
    } => (r.kind === 'known' ? r.facts : (this.solved.get(r.decl) ?? (facts.get(r.decl) as Growing)));
    for (let changed = true; changed;) {
      changed = false;
      for (const [d, l] of locals) {
        const f = facts.get(d) as Growing;
        const before = f.modules.size + f.buildSteps.size + f.dataPaths.size + f.dataParams.size;
        for (const r of l.refs) {
          const g = of(r);
          for (const m of g.modules) f.modules.add(m);
          for (const b of g.buildSteps ?? []) f.buildSteps.add(b);
          for (const p of g.dataPaths) f.dataPaths.add(p);
        }
        for (const call of l.calls) {
          const g = of(call.callee);
          for (const j of g.dataParams) {
            const a = call.args[j];
            if (a && 'literal' in a) f.dataPaths.add(a.literal);
            else if (a) f.dataParams.add(a.param);
          }
        }
        if (f.modules.size + f.buildSteps.size + f.dataPaths.size + f.dataParams.size !== before) changed = true;
      }
    }
    // The closure is complete, so every declaration in it is solved for this reading.
    for (const [d, f] of facts) {
      this.solved.set(d, {
        modules: [...f.modules].sort(),
        buildSteps: [...f.buildSteps].sort(),
        dataParams: [...f.dataParams].sort((a, b) => a - b),
        dataPaths: [...f.dataPaths].sort(),
      });
    }
    return this.solved.get(root) as DeviceFacts;
  }

  private localFactsOf(d: Decl): LocalFacts {
    let local = this.locals.get(d);
    if (!local) {
      local = this.localFacts(d);
      this.locals.set(d, local);
    }
    return local;
  }

  private localFacts(d: Decl): LocalFacts {
    const m = d.module;
    const out: LocalFacts = {
      modules: new Set(),
      buildSteps: new Set(),
      dataPaths: new Set(),
      dataParams: new Set(),
      refs: [],
      calls: [],
    };
    const key = (id: Ident) => `${id.value}#${id.ctxt}`;
    const argInfo = (node: unknown): ArgInfo => {
      if (!isNode(node)) return null;
      const n = unwrap(node);
      const text = stringValue(n);
      if (text !== undefined) return { literal: text };
      if (!isIdent(n)) return null;
      const param = d.params.indexOf(key(n));
      if (param >= 0) return { param };
      const constant = m.constStrings.get(key(n));
      return constant === undefined ? null : { literal: constant };
    };
    const sink = (node: unknown) => {
      const a = argInfo(node);
      if (a && 'literal' in a) out.dataPaths.add(a.literal);
      else if (a) out.dataParams.add(a.param);
    };
    const refOf = (callee: AstNode): Ref | undefined => {
      const c = unwrap(callee);
      if (isIdent(c)) return this.binding(m, key(c), undefined);
      if (c.type === 'MemberExpression' && isIdent(c.object) && isIdent(c.property)) {
        return this.binding(m, key(c.object), (c.property as Ident).value);
      }
      return undefined;
    };
    walk(d.body, (node) => {
      switch (node.type) {
        case 'ImportDeclaration':
        case 'ExportNamedDeclaration':
        case 'ExportAllDeclaration':
          return false; // naming a binding is not using it
        case 'Identifier': {
          const r = this.binding(m, key(node as Ident), undefined);
          if (r && !(r.kind === 'decl' && r.decl === d)) out.refs.push(r);
          return;
        }
        case 'MemberExpression': {
          const r = refOf(node);
          if (r) out.refs.push(r);
          return;
        }
        case 'CallExpression': {
          const r = refOf(node.callee as AstNode);
          if (r) {
            const args = node.arguments as { spread: unknown; expression: unknown }[];
            const spread = args.findIndex((a) => a.spread);
            out.calls.push({
              callee: r,
              args: (spread < 0 ? args : args.slice(0, spread)).map((a) => argInfo(a.expression)),
            });
          }
          return;
        }
        case 'ObjectExpression': {
          const props = new Map<string, AstNode>();
          for (const p of objectProperties(node)) {
            const k = propertyKey(p);
            const v = propertyValue(p);
            if (k !== undefined && v) props.set(k, v);
          }
          const moduleName = stringValue(props.get('module'));
          if (moduleName !== undefined) out.modules.add(moduleName);
          // register(..., { tracing: { size } }): the generated main.ts then imports the tracer.
          const tracing = props.get('tracing');
          if (tracing && unwrap(tracing).type === 'ObjectExpression') out.modules.add(TRACING_MODULE);
          const kind = stringValue(props.get('kind'));
          const field = kind === undefined ? undefined : DATA_RESOURCES[kind];
          if (field && props.has(field)) sink(props.get(field));
          const build = props.get('build');
          if (build && unwrap(build).type === 'ObjectExpression') {
            for (const p of objectProperties(unwrap(build))) {
              const step = propertyKey(p) === 'step' ? stringValue(propertyValue(p)) : undefined;
              if (step !== undefined) out.buildSteps.add(step);
              if (propertyKey(p) !== 'options') continue;
              const options = propertyValue(p);
              if (!options || unwrap(options).type !== 'ObjectExpression') continue;
              for (const o of objectProperties(unwrap(options))) {
                const k = propertyKey(o);
                if (k !== undefined && DATA_BUILD_OPTIONS.has(k)) sink(propertyValue(o));
              }
            }
          }
          return;
        }
      }
    });
    return out;
  }
}
