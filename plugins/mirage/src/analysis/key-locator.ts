import type { SourceLocation } from '../configure/user-error';
import type * as ConfigSourceModule from './check/config-source';

/**
 * Where config.ts declares a key, for the message about a value outside its
 * domain. Loaded only when such a message is due: parsing needs TypeScript,
 * which `describe` and the happy path of resolution do without.
 */
export function keyLocator(workspaceRoot: string, configFile: string): (name: string) => SourceLocation | undefined {
  return (name) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ConfigSource } = require('./check/config-source') as typeof ConfigSourceModule;
    return new ConfigSource(workspaceRoot, configFile).keyDeclaration(name);
  };
}
