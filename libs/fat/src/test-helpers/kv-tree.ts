import type { KvRo } from '@mirage-ts/types';

/** Every value (key -> bytes) and dictionary (key -> null) a store lists, read through get. */
export async function kvTree(
  kv: KvRo,
  key = '',
  out = new Map<string, Buffer | null>(),
): Promise<Map<string, Buffer | null>> {
  const listed = await kv.list(key);
  if (!listed.ok) throw new Error(`list ${JSON.stringify(key)}: ${listed.error.message}`);
  for (const e of listed.value) {
    const child = key ? `${key}/${e.name}` : e.name;
    if (e.kind === 'dictionary') {
      out.set(child, null);
      await kvTree(kv, child, out);
    } else {
      const got = await kv.get(child);
      if (!got.ok) throw new Error(`get ${JSON.stringify(child)}: ${got.error.message}`);
      out.set(child, Buffer.from(got.value));
    }
  }
  return out;
}
