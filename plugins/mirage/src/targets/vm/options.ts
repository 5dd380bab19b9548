import { z } from 'zod';
import { UserError } from '../../configure/user-error';
import { ICU_MODES, type IcuMode } from './icu';
import { COMPRESSIONS, type Compression } from './initramfs';

/**
 * Options of the xen and qemu targets (not unikernel keys): the executor
 * hands them over apart from the keys because they are listed here.
 */
export const VM_OPTION_NAMES = [
  'kernel',
  'modules',
  'busybox',
  'node',
  'memory',
  'compression',
  'bridge',
  'forward',
  'tap',
  'accel',
  'icu',
  'sourceMaps',
] as const;

const schema = z.object({
  kernel: z.string().optional(),
  modules: z.string().optional(),
  busybox: z.string().default('/bin/busybox'),
  node: z.string().default(process.execPath),
  memory: z.coerce.number().int().positive().optional(),
  compression: z.enum(COMPRESSIONS as [Compression, ...Compression[]]).default('zstd'),
  /** xen: the bridge each vif joins (guessed from the build host when absent). */
  bridge: z.string().optional(),
  /** qemu: host-to-guest port forwards for user-mode networking, `tcp:HOSTPORT:GUESTPORT`, comma-separated or repeated. */
  forward: z.union([z.string(), z.array(z.string())]).optional(),
  /** qemu: an existing tap device for the NIC instead of user-mode networking. */
  tap: z.string().optional(),
  /** qemu: `kvm`, `tcg`, or `auto` (KVM when it works). */
  accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
  /** `en`: Node's ICU data trimmed to English (a smaller image; Intl falls back to English); `full`: every locale. */
  icu: z.enum(ICU_MODES as [IcuMode, ...IcuMode[]]).default('en'),
  /** Run Node with --enable-source-maps in the guest (slower start). */
  sourceMaps: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .transform((v) => v === true || v === 'true')
    .default(false),
});

export type VmOptions = z.infer<typeof schema>;

export function vmOptions(options: Readonly<Record<string, unknown>>): VmOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? '');
    throw new UserError(`--${name}=${String(options[name])} is not valid: ${issue?.message}`, { fix: optionFix(name) });
  }
  return parsed.data;
}

function optionFix(name: string): string {
  switch (name) {
    case 'memory':
      return 'give the guest memory in MB, e.g. --memory=128';
    case 'compression':
      return `use --compression=${COMPRESSIONS.join('|')}`;
    case 'accel':
      return 'use --accel=auto|kvm|tcg';
    case 'icu':
      return `use --icu=${ICU_MODES.join('|')}`;
    case 'sourceMaps':
      return 'use --sourceMaps=true or leave it out';
    default:
      return `see the VM target options in README.md (${VM_OPTION_NAMES.join(', ')})`;
  }
}

/** `tcp:8080:80,udp:5353:53` -> forwards; the host side binds to 127.0.0.1 only. */
export interface PortForward {
  readonly protocol: 'tcp' | 'udp';
  readonly hostPort: number;
  readonly guestPort: number;
}

export function portForwards(forward: VmOptions['forward']): PortForward[] {
  const items = (Array.isArray(forward) ? forward : forward ? [forward] : [])
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter(Boolean);
  return items.map((item) => {
    const m = /^(tcp|udp):(\d{1,5}):(\d{1,5})$/.exec(item);
    const ports = m ? [Number(m[2]), Number(m[3])] : [];
    if (!m || ports.some((p) => p < 1 || p > 65535)) {
      throw new UserError(`--forward=${item} is not a port forward`, {
        fix: 'write PROTOCOL:HOSTPORT:GUESTPORT, e.g. --forward=tcp:18080:8080,udp:10053:53',
      });
    }
    return { protocol: m[1] as 'tcp' | 'udp', hostPort: ports[0], guestPort: ports[1] };
  });
}
