/**
 * The text `Cstruct.hexdump` printed in 2015 (cstruct 1.x): a newline before
 * every run of 16 bytes, each byte as two lower-case hex digits and a space,
 * and a final newline. Written here because the format is the point: a
 * general hex-dump package prints offsets and ASCII columns the example never
 * had.
 */
export function hexdump(buf: Uint8Array): string {
  let out = '';
  for (let i = 0; i < buf.length; i++) {
    if (i % 16 === 0) out += '\n';
    out += `${buf[i].toString(16).padStart(2, '0')} `;
  }
  return `${out}\n`;
}
