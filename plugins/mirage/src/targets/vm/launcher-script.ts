import { qemuArgs, QEMU_BINARY } from './qemu-command';

export interface LauncherInputs {
  readonly name: string;
  readonly configFile: string;
  readonly kernel: string;
  readonly initramfs: string;
  readonly rootDisk: string;
  readonly memoryMb: number;
  /** Kernel parameters before `--`; the script's arguments follow it. */
  readonly kernelParams: string;
  /** Disks relative to the script's folder. */
  readonly disks: readonly { readonly file: string; readonly guestName: string }[];
  readonly networks: number;
}

// Placeholders the shell fills in; they never occur in paths we write.
const HERE = '${here}';

/**
 * `mir-NAME` for qemu: the same QEMU command line that `nx run NAME:run
 * --target=qemu` uses, as a POSIX shell script that needs nothing but QEMU.
 * Its arguments go to the unikernel; the VM's own settings come from the
 * environment (MIRAGE_MEMORY, MIRAGE_FORWARD, MIRAGE_TAP, MIRAGE_ACCEL,
 * MIRAGE_TRACE).
 */
export function launcherScript(l: LauncherInputs): string {
  const args = qemuArgs({
    kernel: `${HERE}/${l.kernel}`,
    initramfs: `${HERE}/${l.initramfs}`,
    rootDisk: `${HERE}/${l.rootDisk}`,
    memoryMb: -1,
    cmdline: '${cmdline}',
    disks: l.disks.map((d) => ({ file: `${HERE}/${d.file}`, guestName: d.guestName })),
    nics: [],
    accel: 'tcg',
    statusFile: '${status}',
  });
  // Settings chosen when the script runs replace the values given above.
  const words = args.map((a, i) => {
    const prev = args[i - 1];
    if (prev === '-accel') return '"$accel"';
    if (prev === '-cpu') return '"$cpu"';
    if (prev === '-m') return '"$memory"';
    return a.includes('$') ? `"${a}"` : shellQuote(a);
  });
  const nics = Array.from(
    { length: l.networks },
    (_, i) => `-netdev "$(netdev ${i})" -device virtio-net-pci,netdev=net${i}`,
  );
  const disksCheck = l.disks
    .map(
      (d) =>
        `[ -e "${HERE}/${d.file}" ] || { echo "mir-${l.name}: disk ${d.file} does not exist (create it first)" >&2; exit 66; }`,
    )
    .join('\n');
  return `#!/bin/sh
# ${l.name} for qemu, built by Mirage/TS from ${l.configFile}.
# usage: ./mir-${l.name} [--key=value ...]   (the unikernel's run-time keys)
# environment: MIRAGE_MEMORY=MB  MIRAGE_ACCEL=kvm|tcg  MIRAGE_TAP=tapN (instead of
# user-mode networking)  MIRAGE_FORWARD=tcp:HOSTPORT:GUESTPORT,udp:...
# MIRAGE_TRACE=1 (boot milestones on the console: mirage-trace: NAME SECONDS)
here=$(cd "$(dirname "$0")" && pwd)
command -v ${QEMU_BINARY} > /dev/null || { echo "mir-${l.name}: ${QEMU_BINARY} is not installed (apt-get install qemu-system-x86)" >&2; exit 69; }
${disksCheck}
memory=\${MIRAGE_MEMORY:-${l.memoryMb}}
accel=\${MIRAGE_ACCEL:-}
if [ -z "$accel" ]; then
  if [ -w /dev/kvm ]; then accel=kvm; else accel=tcg; echo "KVM is not usable (/dev/kvm is missing or not writable): using software emulation (TCG), which is slower." >&2; fi
fi
cpu=max; [ "$accel" = kvm ] && cpu=host
netdev() {
  if [ -n "\${MIRAGE_TAP:-}" ]; then echo "tap,id=net$1,ifname=$MIRAGE_TAP,script=no,downscript=no"; return; fi
  fw=$(echo "\${MIRAGE_FORWARD:-}" | tr ',' '\\n' | sed -n 's/^\\(tcp\\|udp\\):\\([0-9]*\\):\\([0-9]*\\)$/,hostfwd=\\1:127.0.0.1:\\2-:\\3/p' | tr -d '\\n')
  echo "user,id=net$1$fw"
}
cmdline=${shellQuote(l.kernelParams)}
[ -n "\${MIRAGE_TRACE:-}" ] && cmdline="mirage_trace=1 $cmdline"
for a in "$@"; do cmdline="$cmdline $a"; done
status=$(mktemp)
trap 'rm -f "$status"' EXIT
${QEMU_BINARY} ${words.join(' ')}${nics.length ? ` ${nics.join(' ')}` : ''}
code=$?
s=$(sed -n 's/^exit \\([0-9]*\\).*/\\1/p' "$status")
[ -n "$s" ] && exit "$s"
echo "mir-${l.name}: the VM ended without reporting an exit status (QEMU status $code)" >&2
exit 1
`;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
