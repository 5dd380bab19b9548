/**
 * The domain configuration the harness boots: the app's generated
 * NAME.xl.in with its @VARIABLES@ replaced by paths inside the test dom0,
 * then the lines only software emulation needs. Working from the .xl.in
 * (not NAME.xl) is the point: it is the file a user copies to a Xen host.
 */
export interface XlSubstitutions {
  readonly name: string;
  readonly kernel: string;
  readonly ramdisk: string;
  readonly memoryMb: number;
  /** Target of @ROOT@, the image's read-only root disk (a dom0 device such as /dev/loop0). */
  readonly root: string;
  /** Target of each @BLOCK:file@ (a dom0 device such as /dev/loop0), by file name. */
  readonly blocks?: Readonly<Record<string, string>>;
  /** Bridge of each @NETWORK:name@, by network name. */
  readonly networks?: Readonly<Record<string, string>>;
}

/**
 * Under TCG (no hardware virtualisation below Xen) a PVH guest needs the
 * TSC read natively and no AVX: QEMU's emulated TSC scaling and AVX state
 * make the guest kernel hang or fault. Never needed on a real Xen host, so
 * the generator does not write them.
 */
export const TCG_ONLY_LINES = ["tsc_mode = 'native'", "cpuid = 'host,avx=0,avx2=0'"] as const;

export function substituteXl(template: string, s: XlSubstitutions, options: { tcg: boolean }): string {
  const out = template.replace(/@([A-Z]+)(?::([^@]*))?@/g, (whole, key: string, arg: string | undefined) => {
    switch (key) {
      case 'NAME':
        return s.name;
      case 'KERNEL':
        return s.kernel;
      case 'RAMDISK':
        return s.ramdisk;
      case 'MEMORY':
        return String(s.memoryMb);
      case 'ROOT':
        return s.root;
      case 'BLOCK':
      case 'NETWORK': {
        const table = key === 'BLOCK' ? s.blocks : s.networks;
        const value = arg !== undefined ? table?.[arg] : undefined;
        if (value === undefined)
          throw new Error(
            `xl template: nothing given for ${whole} (pass ${key === 'BLOCK' ? 'blocks' : 'networks'}['${arg ?? ''}'])`,
          );
        return value;
      }
      default:
        throw new Error(`xl template: unknown variable ${whole}`);
    }
  });
  if (!options.tcg) return out;
  return `${out.replace(/\n*$/, '\n')}\n# Only under software emulation (QEMU TCG), added by the test harness:\n${TCG_ONLY_LINES.join('\n')}\n`;
}
