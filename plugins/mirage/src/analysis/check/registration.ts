import { formatLocation, UserError } from '../../configure/user-error';
import type { ConfigSource } from './config-source';

/**
 * A config.ts describes one unikernel: only the registration it exports
 * is built, so a second `register(...)` would be silently ignored (functoria
 * refuses a second registration the same way).
 */
export function checkSingleRegistration(config: ConfigSource): void {
  const calls = config.registerCalls();
  if (calls.length < 2) return;
  const [first, second] = calls;
  const named = (c: (typeof calls)[number]) => (c.name === undefined ? 'register(...)' : `register('${c.name}')`);
  throw new UserError(
    `${named(second)}: ${config.shortRef(undefined)} already registers ${first.name === undefined ? 'a unikernel' : `'${first.name}'`} at ${formatLocation(first.at)}, and only its default export is built`,
    {
      at: second.at,
      fix: 'register one unikernel per config.ts: give both jobs to one register(name, [job1, job2]), or move this one to its own app folder',
    },
  );
}
