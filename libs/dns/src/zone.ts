/**
 * Authoritative data as the server looks it up: one Zone per SOA in the
 * file (the skeleton's test.zone has a second SOA at `types`, which the
 * 2015 server served as its own zone), each a map from owner name to RRsets.
 */
import type { Name } from './name';
import type { Rr } from './record';
import { RRTYPES } from './types';
import type { ZoneRecord } from './zonefile';

export interface Node {
  readonly name: Name;
  /** RRsets by type, in file order. */
  readonly sets: Map<number, Rr[]>;
}

export class Zone {
  readonly nodes = new Map<string, Node>();
  /** Names that exist only because a name below them does (RFC 8020 empty non-terminals). */
  private readonly interior = new Set<string>();

  constructor(readonly soa: Rr) {}

  get apex(): Name {
    return this.soa.name;
  }

  add(rr: Rr): void {
    const key = rr.name.key;
    let node = this.nodes.get(key);
    if (!node) {
      node = { name: rr.name, sets: new Map() };
      this.nodes.set(key, node);
      for (let n = rr.name.parent(); n.labels.length > this.apex.labels.length; n = n.parent())
        this.interior.add(n.key);
    }
    const set = node.sets.get(rr.type);
    // Duplicate records are one record (RFC 2181 §5); the first TTL of a set wins for all of it.
    if (set) {
      if (!set.some((r) => sameRdata(r, rr))) set.push({ ...rr, ttl: set[0].ttl });
    } else node.sets.set(rr.type, [rr]);
  }

  node(name: Name): Node | undefined {
    return this.nodes.get(name.key);
  }

  /** True when the name owns records or has descendants that do. */
  exists(name: Name): boolean {
    return this.nodes.has(name.key) || this.interior.has(name.key);
  }

  /** The zone's own NS set, as it appears at the apex. */
  apexNs(): Rr[] {
    return this.node(this.apex)?.sets.get(RRTYPES.NS) ?? [];
  }
}

function sameRdata(a: Rr, b: Rr): boolean {
  if (a.rdata.length !== b.rdata.length) return false;
  return a.rdata.every((f, i) => {
    const g = b.rdata[i];
    if ('name' in f) return 'name' in g && f.name.equals(g.name);
    return 'bytes' in g && Buffer.from(f.bytes).equals(Buffer.from(g.bytes));
  });
}

export interface ZoneSetLoad {
  readonly zones: ZoneSet;
  /** Records left out, each with the reason (`line N: ...`). */
  readonly warnings: string[];
}

export class ZoneSet {
  constructor(readonly zones: readonly Zone[]) {}

  /** Builds one zone per SOA; records outside every zone are left out with a warning. */
  static load(records: readonly ZoneRecord[]): ZoneSetLoad {
    const warnings: string[] = [];
    const zones = new Map<string, Zone>();
    for (const r of records) {
      if (r.type !== RRTYPES.SOA || r.class !== 1) continue;
      if (zones.has(r.name.key)) warnings.push(`line ${r.line}: a second SOA for ${r.name} is ignored`);
      else zones.set(r.name.key, new Zone(r));
    }
    const set = new ZoneSet([...zones.values()]);
    for (const r of records) {
      // The SOA stays in file order: NSD answers ANY with the first RRset of the name.
      if (r.type === RRTYPES.SOA && zones.get(r.name.key)?.soa !== r) continue;
      if (r.class !== 1) {
        warnings.push(`line ${r.line}: class ${r.class} records are not served (only IN)`);
        continue;
      }
      const z = set.find(r.name);
      if (!z) warnings.push(`line ${r.line}: ${r.name} is outside every zone of the file; left out`);
      else z.add(r);
    }
    return { zones: set, warnings };
  }

  /** The deepest zone whose apex is the name or above it. */
  find(name: Name): Zone | undefined {
    let best: Zone | undefined;
    for (const z of this.zones)
      if (name.isSubdomainOf(z.apex) && (!best || z.apex.labels.length > best.apex.labels.length)) best = z;
    return best;
  }
}
