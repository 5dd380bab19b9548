import type { KeyDecl, KeyValue, Target } from '@mirage-ts/mirage';
import { describeDomain, parseKeyValue } from '@mirage-ts/mirage/key-values';
import { UserError, type SourceLocation } from './user-error';

/**
 * Turns the flags a user passed to `nx build APP --net=direct ...` into key
 * values. Nx hands flags over already parsed (booleans, numbers, and
 * hyphenated names sometimes camel-cased), so both spellings are accepted.
 */
export function keyValuesFromOptions(
  decls: readonly KeyDecl[],
  options: Readonly<Record<string, unknown>>,
  target: Target,
  registerAt: SourceLocation,
  /** Where config.ts declares a key, when it does (keys of the DSL are declared elsewhere). */
  locateKey: (name: string) => SourceLocation | undefined = () => undefined,
): { values: Map<string, KeyValue>; given: Set<string> } {
  const values = new Map<string, KeyValue>();
  const given = new Set<string>();
  const claimed = new Set<string>();
  for (const decl of decls) {
    if (decl.name === 'target') {
      values.set('target', target);
      continue;
    }
    const spelling = [decl.name, camelCase(decl.name)].find((n) => options[n] !== undefined);
    if (spelling === undefined) {
      values.set(decl.name, decl.default);
      continue;
    }
    claimed.add(decl.name).add(camelCase(decl.name));
    const parsed = parseKeyValue(decl, options[spelling]);
    if (!parsed.ok) {
      throw new UserError(parsed.message, {
        at: locateKey(decl.name),
        fix: `pass --${decl.name}=<${describeDomain(decl)}>`,
      });
    }
    values.set(decl.name, parsed.value);
    given.add(decl.name);
  }
  const unknown = Object.keys(options).filter((o) => !o.startsWith('_') && !claimed.has(o));
  if (unknown.length > 0) {
    const known = decls.filter((d) => d.name !== 'target').map((d) => `--${d.name}`);
    throw new UserError(
      `unknown option --${unknown[0]}: the unikernel registered at ${registerAt.file} declares no such key`,
      {
        at: registerAt,
        fix: known.length
          ? `use one of ${known.join(', ')} (and --target=unix|xen|qemu)`
          : 'this unikernel takes no keys besides --target=unix|xen|qemu',
      },
    );
  }
  return { values, given };
}

function camelCase(name: string): string {
  return name.replace(/[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
