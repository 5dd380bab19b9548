/**
 * The image's /init, a busybox shell script: Node cannot mount file
 * systems, load modules or configure interfaces, busybox can in 1 MB. It
 * sets the guest up, runs the unikernel as its child with the console as
 * stdin/stdout/stderr and the kernel command line's arguments after `--` as
 * argv, then powers the VM off (reporting the exit status first where the
 * VM has a status port).
 *
 * Everything that differs between xen and qemu comes from the kernel command
 * line (parameters without a dot reach init as environment variables), so
 * one image serves both:
 *   mirage_console=hvc0|ttyS0   the unikernel's console
 *   mirage_status=ttyS1         where `exit N` is written before power-off
 *   mirage_disks=/dev/xvdb,...  guest disks to wait for
 *   mirage_root=xvda|vda        the read-only root disk holding Node and the unikernel
 * and any run-time key as a bare parameter (`ip=10.0.0.2`, see bootKeyArgs).
 */
export interface InitSettings {
  /** How the guest kernel's interfaces are set up: not at all, link up only (direct stack), or addressed (socket stack). */
  readonly networking: 'none' | 'link' | 'kernel';
  readonly nics: readonly string[];
  /** Defaults of the unikernel's address keys, used when the command line does not give them. */
  readonly ipv4?: string;
  readonly gateway?: string;
  readonly dhcp?: boolean;
  /** Run-time keys that may also be given as bare kernel parameters (`ip=10.0.0.2`). */
  readonly bootKeys?: readonly string[];
  /** Run Node with --enable-source-maps (stack traces name the TypeScript sources; costs 0.3–1.3 s of start-up under emulation). */
  readonly sourceMaps?: boolean;
}

export const MODULE_LIST = 'etc/mirage/modules';
/** Modules loaded while Node starts (the entropy source: nothing waits for it before Node asks). */
export const LATE_MODULE_LIST = 'etc/mirage/modules.late';
export const UDHCPC_SCRIPT = 'etc/mirage/udhcpc.sh';

export function initScript(settings: InitSettings): string {
  const q = (s: string | undefined) => `'${(s ?? '').replace(/'/g, `'\\''`)}'`;
  return `#!/bin/busybox sh
# /init of a Mirage/TS VM image (generated): set the guest up, run the
# unikernel, power off with its exit status.
${bootKeyArgs(settings.bootKeys ?? [])}/bin/busybox --install -s /bin
export PATH=/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp

while read -r m; do insmod "/lib/modules/$m.ko" 2>/dev/null; done < /${MODULE_LIST}

# virtio disks are named in probe order; QEMU gives each the name the
# unikernel expects as its serial, so rename them to that.
for s in /sys/block/vd*/serial; do
  [ -e "$s" ] || continue
  want=$(cat "$s"); have=\${s#/sys/block/}; have=\${have%/serial}
  case "$want" in vd[a-z]|vd[a-z][a-z]) ;; *) continue ;; esac
  echo "$want $(cat /sys/block/$have/dev)" >> /tmp/.disks
  rm -f "/dev/$have"
done
if [ -e /tmp/.disks ]; then
  while read -r name nums; do mknod "/dev/$name" b "\${nums%:*}" "\${nums#*:}"; done < /tmp/.disks
  rm -f /tmp/.disks
fi

con=/dev/\${mirage_console:-console}
root=/dev/\${mirage_root:-vda}
waited=0
# Under Xen the disks appear asynchronously, after xenbus has talked to the back-end.
for d in $con $root $(echo "\${mirage_disks}" | tr ',' ' '); do
  while [ ! -e "$d" ] && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
  [ -e "$d" ] || echo "mirage-ts init: $d did not appear" > $con
done

mount -t squashfs -o ro "$root" /sysroot || { echo "mirage-ts init: cannot mount the root disk $root" > $con; poweroff -f; }
for m in dev proc sys tmp etc; do mount -o bind "/$m" "/sysroot/$m"; done

# Lines end in a bare newline, as on unix: the host terminal adds its own CR.
stty -F $con -onlcr 2>/dev/null
ip link set lo up
${networkSetup(settings, q)}
(while read -r m; do insmod "/lib/modules/$m.ko" 2>/dev/null; done < /${LATE_MODULE_LIST}) &
chroot /sysroot /bin/node ${settings.sourceMaps ? '--enable-source-maps ' : ''}/app/main.js "$@" < $con > $con 2>&1
status=$?
[ -n "\${mirage_status}" ] && echo "exit $status" > "/dev/\${mirage_status}"
sync
poweroff -f
`;
}

/** Names a shell can read from its environment: a key like `ipv4-gateway` cannot come this way. */
export const isShellName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);

/**
 * Run-time keys given as bare kernel parameters before `--` (the 2015 Xen
 * style, `extra = "ip=10.0.0.2 netmask=255.255.255.0 gateway=10.0.0.1"`):
 * Linux hands those to init as environment variables. They become
 * `--ip=10.0.0.2` arguments placed before the ones after `--`, so those win.
 * Read first, before the script sets any variable of its own.
 */
export function bootKeyArgs(keys: readonly string[]): string {
  const usable = keys.filter(isShellName);
  if (usable.length === 0) return '';
  return (
    `# run-time keys given as bare kernel parameters (${usable.map((k) => `${k}=...`).join(' ')})\n` +
    usable.map((k) => `[ -n "\${${k}+x}" ] && set -- "--${k}=\${${k}}" "$@"\n`).join('')
  );
}

function networkSetup(s: InitSettings, q: (v: string | undefined) => string): string {
  if (s.networking === 'none' || s.nics.length === 0) return '';
  const nics = s.nics.join(' ');
  if (s.networking === 'link') return `for nic in ${nics}; do ip link set "$nic" up; done\n`;
  // The socket stack uses the guest kernel's TCP/IP: give it the address the
  // unikernel's keys name, else ask DHCP.
  return `ipv4=${q(s.ipv4)}; gateway=${q(s.gateway)}; dhcp=${q(s.dhcp === undefined ? '' : String(s.dhcp))}
for a in "$@"; do
  case "$a" in
    --ipv4=*) ipv4=\${a#*=} ;;
    --ipv4-gateway=*|--ipv4_gateway=*|--gateway=*) gateway=\${a#*=} ;;
    --dhcp=*) dhcp=\${a#*=} ;;
    --dhcp) dhcp=true ;;
  esac
done
if [ -z "$ipv4" ]; then dhcp=true; elif [ -z "$dhcp" ]; then dhcp=false; fi
for nic in ${nics}; do ip link set "$nic" up; done
nic=${s.nics[0]}
case "$dhcp" in
  true|yes|on|1) udhcpc -i "$nic" -q -f -n -t 10 -T 1 -s /${UDHCPC_SCRIPT} > /dev/null 2>&1 || echo "mirage-ts init: no DHCP answer on $nic" > $con ;;
  *) ip addr add "$ipv4" dev "$nic"; [ -n "$gateway" ] && ip route add default via "$gateway" ;;
esac
`;
}

/** What udhcpc runs with the lease it got. */
export const udhcpcScript = `#!/bin/busybox sh
case "$1" in
  bound|renew)
    ifconfig "$interface" "$ip" netmask "$subnet"
    for r in $router; do route add default gw "$r" dev "$interface"; break; done ;;
esac
`;
