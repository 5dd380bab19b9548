/**
 * Why a wire view refused some bytes. The protocol layers count drops under
 * `<protocol>.<reason>` (e.g. `ipv4.bad-checksum`), so every reason is a
 * short, stable word.
 */
export type WireError =
  | 'truncated'
  | 'bad-length'
  | 'bad-checksum'
  | 'bad-version'
  | 'bad-header-length'
  | 'bad-options'
  | 'unsupported'
  | 'bad-operation'
  | 'bad-magic';
