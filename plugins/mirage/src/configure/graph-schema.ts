import type { Json, KeyDecl, RawCond } from '@mirage-ts/mirage';
import { RAW_GRAPH_FORMAT } from '@mirage-ts/mirage';
import { TARGETS } from '@mirage-ts/mirage';
import { z } from 'zod';

/**
 * What config.ts hands over is checked before anything trusts it: config.ts
 * may come from an older or newer DSL, or build impls by hand.
 */
const json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
);
const keyValue = z.union([z.string(), z.number(), z.boolean()]);
const target = z.enum(TARGETS);

export const keyDeclSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]*$/),
  kind: z.enum(['enum', 'bool', 'string', 'int', 'ipv4', 'ipv4-prefix', 'ipv6', 'ipv6-list']),
  stage: z.enum(['configure', 'runtime']),
  doc: z.string(),
  default: keyValue,
  values: z.array(z.string()).readonly().optional(),
}) satisfies z.ZodType<KeyDecl>;

const cond: z.ZodType<RawCond> = z.lazy(() =>
  z.union([
    z.object({ kind: z.literal('is'), key: z.string(), value: keyValue }),
    z.object({ kind: z.literal('not'), cond }),
    z.object({ kind: z.enum(['all', 'any']), conds: z.array(cond) }),
  ]),
);

const resource = z.union([
  z.object({ kind: z.literal('block'), file: z.string().min(1) }),
  z.object({ kind: z.literal('network'), name: z.string().min(1) }),
  z.object({ kind: z.literal('data-dir'), dir: z.string().min(1) }),
]);

const arg = z.union([
  z.object({ kind: z.literal('device'), node: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('key'), key: z.string() }),
  z.object({ kind: z.literal('value'), value: json }),
  z.object({ kind: z.literal('resource'), resource }),
]);

const base = { id: z.number().int().nonnegative(), typ: z.string(), signature: z.string(), site: z.string() };

const node = z.discriminatedUnion('kind', [
  z.object({
    ...base,
    kind: z.literal('device'),
    label: z.string().min(1),
    module: z.string().min(1),
    symbol: z.string().regex(/^[A-Za-z_$][\w$]*$/, 'an exported class name'),
    args: z.array(arg),
    targets: z.array(target).nullable(),
    build: z.object({ step: z.string(), options: z.record(z.string(), json) }).nullable(),
  }),
  z.object({ ...base, kind: z.literal('if'), cond, then: z.number().int(), else: z.number().int() }),
  z.object({
    ...base,
    kind: z.literal('match'),
    key: z.string(),
    cases: z.record(z.string(), z.number().int()),
    default: z.number().int().nullable(),
  }),
  z.object({ ...base, kind: z.literal('job'), entry: z.string(), args: z.array(z.number().int()) }),
  z.object({ ...base, kind: z.literal('noop') }),
]);

export const rawGraphSchema = z
  .object({
    format: z.literal(RAW_GRAPH_FORMAT),
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/),
    keys: z.array(keyDeclSchema),
    registeredKeys: z.array(z.string()),
    nodes: z.array(node),
    jobs: z.array(z.number().int()).min(1),
    site: z.string(),
    tracing: z
      .object({ size: z.number().int().min(1) })
      .nullable()
      .optional(),
  })
  .superRefine((g, ctx) => {
    const refs = (n: (typeof g.nodes)[number]): number[] => {
      switch (n.kind) {
        case 'device':
          return n.args.flatMap((a) => (a.kind === 'device' ? [a.node] : []));
        case 'if':
          return [n.then, n.else];
        case 'match':
          return [...Object.values(n.cases), ...(n.default === null ? [] : [n.default])];
        case 'job':
          return [...n.args];
        case 'noop':
          return [];
      }
    };
    g.nodes.forEach((n, i) => {
      if (n.id !== i) ctx.addIssue({ code: 'custom', message: `node ${i} has id ${n.id}` });
      for (const r of refs(n)) {
        if (!g.nodes[r]) ctx.addIssue({ code: 'custom', message: `node ${i} refers to missing node ${r}` });
      }
    });
    for (const j of g.jobs) {
      // A job slot may be a choice (ifImpl/matchImpl) between jobs, or noop.
      if (g.nodes[j]?.typ !== 'job') ctx.addIssue({ code: 'custom', message: `job ${j} is not a job node` });
    }
  });
