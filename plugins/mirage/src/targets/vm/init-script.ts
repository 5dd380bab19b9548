import { XEN_CONTROL_DIR } from '@mirage-ts/mirage';
import { BOOT_TRACE_PREFIX } from './boot-trace';

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
 *   mirage_trace=1              print boot milestones on the console (boot-trace.ts)
 * and any run-time key as a bare parameter (`ip=10.0.0.2`, see bootKeyArgs).
 *
 * A toolstack's power-off or reboot (`xl shutdown`, `xl reboot`) reaches the
 * guest kernel (drivers/xen/manage.c watches `control/shutdown`), which runs
 * /sbin/poweroff or /sbin/reboot: those are shutdownHelper below, which hand
 * the request to the unikernel rather than racing it.
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
export const UDHCPC_SCRIPT = 'etc/mirage/udhcpc.sh';
/** What the guest kernel runs when the toolstack asks it to power off or reboot (its orderly_poweroff/orderly_reboot). */
export const SHUTDOWN_HELPERS = ['sbin/poweroff', 'sbin/reboot'] as const;

/**
 * Where /init, the shutdown helpers and the unikernel meet (/tmp is the same
 * folder inside the chroot): \`app.pid\` holds the unikernel's process id
 * while it runs, \`shutdown\` how the VM ends when it has ended (\`poweroff\`
 * or \`reboot\`). The xen control device reads and writes the same files.
 */
export const CONTROL_DIR = XEN_CONTROL_DIR;

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
trace() { [ -n "\${mirage_trace}" ] && echo "${BOOT_TRACE_PREFIX} $1 $(cut -d' ' -f1 /proc/uptime)" > /dev/console; }
trace init

while read -r m; do insmod "/lib/modules/$m.ko" 2>/dev/null; done < /${MODULE_LIST}
trace modules

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
trace root

# Lines end in a bare newline, as on unix: the host terminal adds its own CR.
stty -F $con -onlcr 2>/dev/null
ip link set lo up
${networkSetup(settings, q)}
trace node
${runAndEnd(settings.sourceMaps ? '--enable-source-maps ' : '', CONTROL_DIR)}`;
}

/**
 * The end of /init: the unikernel runs in the background so that the
 * shutdown helpers can find it (\`app.pid\`), init waits for it, reports its
 * status, then reboots the VM when a reboot was asked for (by the toolstack
 * through /sbin/reboot, or by the unikernel) and powers it off otherwise.
 */
export function runAndEnd(nodeFlags: string, dir: string, node = 'chroot /sysroot /bin/node'): string {
  return `mkdir -p ${dir}
${node} ${nodeFlags}/app/main.js "$@" < $con > $con 2>&1 &
echo $! > ${dir}/app.pid
wait $!
status=$?
rm -f ${dir}/app.pid
[ -n "\${mirage_status}" ] && echo "exit $status" > "/dev/\${mirage_status}"
sync
if [ "$(cat ${dir}/shutdown 2>/dev/null)" = reboot ]; then reboot -f; else poweroff -f; fi
`;
}

/**
 * /sbin/poweroff and /sbin/reboot of the image (one script, told apart by
 * its name). Linux runs them when the Xen toolstack writes \`poweroff\`,
 * \`halt\` or \`reboot\` to the domain's \`control/shutdown\` (and on a
 * power-button press): the request goes to the unikernel as SIGTERM with
 * the reason in \`shutdown\`, and /init ends the VM once the unikernel has
 * ended. A unikernel that does not listen for it is ended by the signal
 * itself. When no unikernel runs, the helper ends the VM at once.
 */
export function shutdownHelper(dir: string, busybox = '/bin/busybox'): string {
  return `#!/bin/busybox sh
# Run by the kernel (orderly_poweroff/orderly_reboot) for the toolstack's xl shutdown / xl reboot.
how=\${0##*/}
echo "$how" > ${dir}/shutdown.new && mv ${dir}/shutdown.new ${dir}/shutdown
pid=$(cat ${dir}/app.pid 2>/dev/null) && kill -TERM "$pid" 2>/dev/null && exit 0
sync
exec ${busybox} "$how" -f
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
