/**
 * Domain names as label lists. A label is kept as a binary string (one
 * char per byte) because labels are bytes, not text: `\DDD` can put any byte
 * in a label. Comparison is ASCII case-insensitive (RFC 4343); the original
 * case is kept for output.
 */
export class Name {
  private constructor(readonly labels: readonly string[]) {}

  static readonly root = new Name([]);

  static of(labels: readonly string[]): Name {
    let wire = 1;
    for (const l of labels) {
      if (l.length === 0 || l.length > 63) throw new Error(`label of ${l.length} bytes (1 to 63 allowed)`);
      wire += l.length + 1;
    }
    if (wire > 255) throw new Error(`name of ${wire} bytes on the wire (255 allowed)`);
    return new Name(labels);
  }

  /**
   * A name in master-file form (`a.b.`, `a\.b`, `\065`); relative names are
   * completed with `origin`, and `@` is the origin.
   */
  static parse(text: string, origin?: Name): Name {
    if (text === '@') {
      if (!origin) throw new Error('@ used without an $ORIGIN');
      return origin;
    }
    if (text === '.') return Name.root;
    const labels: string[] = [];
    let cur = '';
    let absolute = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '\\') {
        const d = text.slice(i + 1, i + 4);
        if (/^[0-9]{3}$/.test(d)) {
          const v = Number(d);
          if (v > 255) throw new Error(`escape \\${d} is above 255`);
          cur += String.fromCharCode(v);
          i += 3;
        } else if (i + 1 < text.length) {
          cur += text[++i];
        } else throw new Error(`name "${text}" ends with a lone backslash`);
      } else if (c === '.') {
        if (cur === '') throw new Error(`empty label in "${text}"`);
        labels.push(cur);
        cur = '';
        if (i === text.length - 1) absolute = true;
      } else {
        cur += c;
      }
    }
    if (cur !== '') labels.push(cur);
    if (!absolute) {
      if (!origin) throw new Error(`relative name "${text}" without an $ORIGIN`);
      return Name.of([...labels, ...origin.labels]);
    }
    return Name.of(labels);
  }

  /** The lower-case key used for lookups. */
  get key(): string {
    return this.labels.map((l) => l.toLowerCase().replace(/[.\\]/g, '\\$&')).join('.') + '.';
  }

  equals(other: Name): boolean {
    return this.key === other.key;
  }

  /** True when this name is `parent` or below it. */
  isSubdomainOf(parent: Name): boolean {
    const n = this.labels.length;
    const p = parent.labels.length;
    if (p > n) return false;
    for (let i = 1; i <= p; i++) {
      if (this.labels[n - i].toLowerCase() !== parent.labels[p - i].toLowerCase()) return false;
    }
    return true;
  }

  /** The name without its first `n` labels. */
  parent(n = 1): Name {
    return new Name(this.labels.slice(n));
  }

  /** Master-file form, absolute, with escapes for dots, backslashes and unprintable bytes. */
  toString(): string {
    if (this.labels.length === 0) return '.';
    return this.labels.map(escapeLabel).join('.') + '.';
  }
}

function escapeLabel(l: string): string {
  let out = '';
  for (const ch of l) {
    const c = ch.charCodeAt(0);
    if (ch === '.' || ch === '\\' || ch === '"' || ch === '(' || ch === ')' || ch === ';' || ch === '@' || ch === '$')
      out += '\\' + ch;
    else if (c <= 0x20 || c >= 0x7f) out += '\\' + String(c).padStart(3, '0');
    else out += ch;
  }
  return out;
}
