import * as path from 'node:path';
import { UserError } from '../../configure/user-error';
import type { CheckProgram } from './program';

/**
 * A unikernel sees devices only through the signatures its start receives;
 * importing an implementation would tie it to one target (a tap device on
 * a xen image) behind config.ts's back. Type-only imports are fine.
 */
export function checkUnikernelImports(
  program: CheckProgram,
  entryFile: string,
  implementationModules: ReadonlySet<string>,
): void {
  const sf = program.sourceFile(entryFile);
  for (const decl of sf.getImportDeclarations()) {
    const spec = decl.getModuleSpecifierValue();
    if (!implementationModules.has(spec) || decl.isTypeOnly()) continue;
    const named = decl.getNamedImports();
    const valueImports = named.filter((n) => !n.isTypeOnly());
    if (named.length > 0 && valueImports.length === 0 && !decl.getDefaultImport() && !decl.getNamespaceImport())
      continue;
    throw new UserError(
      `${path.basename(entryFile)} imports ${spec}, a device implementation; a unikernel sees its devices only through start's parameters`,
      {
        at: program.location(decl),
        fix: `remove the import, take the device as a parameter of start typed with its signature from @mirage-ts/types, and choose the implementation in config.ts`,
      },
    );
  }
}
