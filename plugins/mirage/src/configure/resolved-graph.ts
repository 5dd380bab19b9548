import { TARGETS } from '@mirage-ts/mirage';
import * as fs from 'node:fs';
import { z } from 'zod';
import { keyDeclSchema } from './graph-schema';
import { UserError } from './user-error';

/**
 * The device graph after configuration: only concrete devices and jobs,
 * devices listed in connect order (each after everything it depends on),
 * each exactly once. Written to dist/apps/<app>/<target>/graph.json; the
 * build, run and describe steps read it back through this schema.
 */
export const RESOLVED_GRAPH_FORMAT = 'mirage-ts/resolved@1';

const location = z.object({ file: z.string(), line: z.number().optional(), column: z.number().optional() });
const json = z.unknown();

export const resolvedArgSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('device'), device: z.number().int() }),
  z.object({ kind: z.literal('value'), value: json }),
  z.object({ kind: z.literal('runtime-key'), key: z.string() }),
  z.object({
    kind: z.literal('resource'),
    resource: z.union([
      z.object({ kind: z.literal('block'), file: z.string() }),
      z.object({ kind: z.literal('network'), name: z.string() }),
      z.object({ kind: z.literal('data-dir'), dir: z.string() }),
    ]),
  }),
]);

export const resolvedDeviceSchema = z.object({
  id: z.number().int(),
  /** Name used for the device's variable in main.ts. */
  variable: z.string(),
  typ: z.string(),
  signature: z.string(),
  label: z.string(),
  module: z.string(),
  symbol: z.string(),
  args: z.array(resolvedArgSchema),
  build: z.object({ step: z.string(), options: z.record(z.string(), json) }).nullable(),
  at: location.optional(),
});

export const resolvedGraphSchema = z.object({
  format: z.literal(RESOLVED_GRAPH_FORMAT),
  name: z.string(),
  project: z.string(),
  target: z.enum(TARGETS),
  configFile: z.string(),
  /** Values of the configure-time keys used for this build. */
  configureKeys: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** Run-time keys, with defaults updated by values given at configure time. */
  runtimeKeys: z.array(keyDeclSchema),
  devices: z.array(resolvedDeviceSchema),
  /** The ring size when the unikernel is traced (`register(..., { tracing })`), else null. */
  tracing: z
    .object({ size: z.number().int().min(1) })
    .nullable()
    .optional(),
  jobs: z.array(
    z.object({
      entry: z.string(),
      args: z.array(z.number().int()),
      at: location.optional(),
    }),
  ),
});

export type ResolvedGraph = z.infer<typeof resolvedGraphSchema>;
export type ResolvedDevice = z.infer<typeof resolvedDeviceSchema>;
export type ResolvedArg = z.infer<typeof resolvedArgSchema>;

export function readResolvedGraph(file: string): ResolvedGraph {
  if (!fs.existsSync(file)) {
    throw new UserError(`${file} does not exist`, {
      fix: 'build the unikernel first (npx nx build <app> --target=<target>)',
    });
  }
  const parsed = resolvedGraphSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new UserError(`${file} is not a resolved device graph: ${parsed.error.issues[0]?.message}`, {
      fix: 'rebuild the unikernel (npx nx build <app> --skip-nx-cache)',
    });
  }
  return parsed.data;
}
