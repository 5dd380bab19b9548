import { COMMAND_PROLOGUE, networkSetup, NETWORK_BIN, type Dom0Network } from './dom0-network';

/**
 * /init of the test dom0, a busybox shell script: start the Xen daemons,
 * `xl create -c` the unikernel's domain, report how that went, power off.
 *
 * Its own lines start with HARNESS_MARK and each line of the domU's console
 * with DOMU_MARK, so that the host can tell them from Xen's and dom0's
 * messages on the same serial port.
 */
export const HARNESS_MARK = 'xen-harness:';
export const DOMU_MARK = 'domU| ';
/** Output of the commands a scripted session runs in dom0: `dom0[N]| line`. */
export const DOM0_COMMAND_MARK = 'dom0';
/** The virtio-serial port a scripted session's commands come in by. */
export const CONTROL_PORT = 'xen-harness';

/** Where the init finds what the harness put in the dom0 image. */
export const DOM0_PATHS = {
  modules: 'etc/xen-harness/modules',
  xlConfig: 'etc/xen-harness/domu.xl',
  /** A scripted session's domains: NAME.xl each. */
  xlDir: 'etc/xen-harness/domains',
  /** `xen-harness-create NAME`, the session's command that starts a domain with its console marked. */
  createDomain: 'usr/local/bin/xen-harness-create',
  /** \`xen-harness-console NAME [OLD_ID]\`: the console of a domain that came back (rebooted, restored). */
  attachConsole: 'usr/local/bin/xen-harness-console',
  /** \`xen-harness-tcp open|send|close K ...\`: a TCP connection from dom0 that outlives one command. */
  tcp: 'usr/local/bin/xen-harness-tcp',
  domuDir: 'domu',
  // Where libxl looks for xenconsole and its other helpers.
  toolsDir: 'usr/lib/xen-4.17/bin',
} as const;

export interface Dom0Init {
  /** Domain name, as in the xl file. */
  readonly domain: string;
  /** Seconds to wait for the domain to end before giving up on it. */
  readonly domainTimeoutS: number;
  /**
   * Disks the host attached (virtio, each with its serial), and the loop
   * device each becomes in dom0: what a Xen host gives blkback for a disk
   * file, as `phy:`.
   */
  readonly disks?: readonly { readonly serial: string; readonly loop: string }[];
  /** The bridge, its address and DHCP: set up before anything else runs. */
  readonly network?: Dom0Network;
  /**
   * A scripted session: instead of creating \`domain\`, run the host's
   * commands as they come in on the control port, until \`poweroff\`.
   */
  readonly session?: boolean;
}

export function dom0InitScript(s: Dom0Init): string {
  return s.session ? sessionInit(s) : oneDomainInit(s);
}

function oneDomainInit(s: Dom0Init): string {
  return `${prelude(s)}${DAEMONS}
say "creating ${s.domain}"
# xl's console client (xenconsole) ends at end of input: give it a stdin that never ends.
mkfifo /tmp/stdin
exec 3<> /tmp/stdin
# Its stdout is the domU's console, marked line by line; xl's own messages are marked as the harness's.
: > /tmp/xl.log
tail -f /tmp/xl.log | while IFS= read -r line; do say "xl: $line"; done &
( xl \${xl_verbose} create -c /${DOM0_PATHS.xlConfig} <&3 2>> /tmp/xl.log; echo "$?" > /tmp/xl-status ) | while IFS= read -r line; do echo "${DOMU_MARK}$line"; done
say "xl create exited with status $(cat /tmp/xl-status)"
waited=0
while xl list ${s.domain} > /dev/null 2>&1 && [ $waited -lt ${s.domainTimeoutS} ]; do sleep 1; waited=$((waited + 1)); done
if xl list ${s.domain} > /dev/null 2>&1; then say "domain ${s.domain} still running"; xl list; else say "domain ${s.domain} ended"; fi
${releaseDisks(s)}sync
say "powering off"
poweroff -f
`;
}

/** Mounts, modules, disks and network: what both kinds of init do first. */
function prelude(s: Dom0Init): string {
  const bin = `/${DOM0_PATHS.toolsDir}`;
  const loops = (s.disks ?? []).map((d) => `attach_disk ${d.serial} ${d.loop}\n`).join('');
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/${NETWORK_BIN}:/bin:${bin} HOME=/root LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu
say() { echo "${HARNESS_MARK} $*"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /run /var/lock /var/run/xen /var/run/xenstored /var/lib/xen /var/log/xen /dev/pts
mount -t tmpfs tmpfs /run
mount -t devpts devpts /dev/pts
while read -r m; do insmod "/lib/modules/$m.ko" || say "insmod $m failed"; done < /${DOM0_PATHS.modules}
mount -t xenfs xenfs /proc/xen || say "cannot mount xenfs"
say "dom0 up"
# Virtio disks appear a moment after their module loads: look for the serial for up to 10 s.
attach_disk() {
  tries=0
  while [ $tries -lt 100 ]; do
    for f in /sys/block/vd*/serial; do
      [ "$(cat "$f" 2>/dev/null)" = "$1" ] || continue
      d=\${f#/sys/block/}; d=/dev/\${d%/serial}
      losetup "$2" "$d" && say "disk $1: $d as $2" || say "losetup $2 $d failed"
      return
    done
    sleep 0.1; tries=$((tries + 1))
  done
  say "disk $1 did not appear"
}
${loops}${s.network ? networkSetup(s.network, 'say') : ''}`;
}

/**
 * A scripted session's init: the daemons, then each line `N<TAB>command`
 * from the control port runs in the background, its output marked
 * `dom0[N]| ` and its end reported as `command N exited with status S`,
 * until the line `poweroff`. Domains are started by the command
 * `xen-harness-create NAME`.
 */
function sessionInit(s: Dom0Init): string {
  return `${prelude(s)}${DAEMONS}
port=
tries=0
while [ -z "$port" ] && [ $tries -lt 100 ]; do
  for f in /sys/class/virtio-ports/*/name; do
    [ "$(cat "$f" 2>/dev/null)" = ${CONTROL_PORT} ] && { p=\${f%/name}; port=/dev/\${p##*/}; }
  done
  [ -n "$port" ] && [ -e "$port" ] || { port=; sleep 0.1; tries=$((tries + 1)); }
done
[ -n "$port" ] || { say "no control port"; poweroff -f; }
run_command() {
  ( sh -c ". /${COMMAND_PROLOGUE}; $2" < /dev/null 2>&1; echo "$?" > "/tmp/command-$1.status" ) |
    while IFS= read -r line; do echo "${DOM0_COMMAND_MARK}[$1]| $line"; done
  say "command $1 exited with status $(cat "/tmp/command-$1.status")"
}
say "ready for commands"
# The host may not be connected yet: a read then ends at once; try again.
done=
while [ -z "$done" ]; do
  while IFS='\t' read -r id command; do
    [ "$id" = poweroff ] && { done=1; break; }
    run_command "$id" "$command" &
  done < "$port"
  [ -n "$done" ] || sleep 0.2
done
for d in $(xl list | awk 'NR > 2 { print $1 }'); do xl destroy "$d" && say "domain $d destroyed"; done
${releaseDisks(s)}sync
say "powering off"
poweroff -f
`;
}

const DAEMONS = `xenstored --pid-file=/var/run/xenstored.pid || say "xenstored failed"
xenconsoled --pid-file=/var/run/xenconsoled.pid || say "xenconsoled failed"
xen-init-dom0 > /tmp/xen-init-dom0.log 2>&1 || { say "xen-init-dom0 failed:"; cat /tmp/xen-init-dom0.log; }`;

function releaseDisks(s: Dom0Init): string {
  return (s.disks ?? []).map((d) => `losetup -d ${d.loop}\n`).join('');
}

/**
 * \`xen-harness-create NAME\`: \`xl create -c\` of /etc/xen-harness/domains/NAME.xl
 * left running in the background, the domain's console on dom0's console
 * marked \`domU[NAME]| \`; returns when the domain exists (status 0) or xl
 * gave up (its messages, status 1).
 */
export const CREATE_DOMAIN_SCRIPT = `#!/bin/busybox sh
name=$1
[ -f "/${DOM0_PATHS.xlDir}/$name.xl" ] || { echo "no domain $name in /${DOM0_PATHS.xlDir}"; exit 2; }
rm -f "/tmp/xl-$name.status"; : > "/tmp/xl-$name.log"
mkfifo "/tmp/stdin-$name" 2>/dev/null
# xl's console client ends at end of input: give it a stdin that never ends. Nothing in the background may
# keep this command's output open (its end is when that closes): \`exec\` moves the fds for good, where a
# redirection on a compound command would keep a saved copy of them.
(
  exec > /dev/console 2>&1 < /dev/null
  ( exec 3<> "/tmp/stdin-$name" 2>> "/tmp/xl-$name.log"; xl \${xl_verbose} create -c "/${DOM0_PATHS.xlDir}/$name.xl" <&3; echo "$?" > "/tmp/xl-$name.status" ) |
    while IFS= read -r line; do echo "domU[$name]| $line"; done
) &
waited=0
while [ $waited -lt 600 ]; do
  xl list "$name" > /dev/null 2>&1 && { cat "/tmp/xl-$name.log"; exit 0; }
  [ -f "/tmp/xl-$name.status" ] && break
  sleep 0.1; waited=$((waited + 1))
done
cat "/tmp/xl-$name.log"
exit 1
`;

/**
 * \`xen-harness-console NAME [OLD_ID]\`: waits for the domain NAME with an id
 * other than OLD_ID (the one it had before \`xl reboot\` or \`xl save\`),
 * and its console (xenconsoled's tty in xenstore), then shows the console
 * on dom0's console marked \`domU[NAME]| \`, in the background, as
 * \`xen-harness-create\` does; prints the domain's id.
 */
export const ATTACH_CONSOLE_SCRIPT = `#!/bin/busybox sh
name=$1 old=$2 id= waited=0
while [ $waited -lt 1800 ]; do
  id=$(xl domid "$name" 2>/dev/null)
  [ -n "$id" ] && [ "$id" != "$old" ] && break
  id=; sleep 0.1; waited=$((waited + 1))
done
[ -n "$id" ] || { echo "no domain $name\${old:+ other than $old} after 180 s"; exit 1; }
# xenconsoled writes the console's tty to xenstore a moment after the domain exists; xl console gives up without it.
waited=0
until xenstore-read "/local/domain/$id/console/tty" > /dev/null 2>&1; do
  [ $waited -lt 600 ] || { echo "domain $name ($id) has no console tty after 60 s"; exit 1; }
  sleep 0.1; waited=$((waited + 1))
done
mkfifo "/tmp/stdin-$name-$id" 2>/dev/null
(
  exec > /dev/console 2>&1 < /dev/null
  ( exec 3<> "/tmp/stdin-$name-$id"; xl console "$id" <&3 ) | while IFS= read -r line; do echo "domU[$name]| $line"; done
) &
echo "$id"
`;

/**
 * \`xen-harness-tcp open K ADDRESS PORT\`: a TCP connection from dom0 (OpenBSD
 * nc) that stays open while other commands run, as a peer that keeps a
 * connection across \`xl save\` and \`xl restore\`. What comes back is this
 * command's output; it ends when the peer closes or on
 * \`xen-harness-tcp close K\`. \`xen-harness-tcp send K TEXT\` sends TEXT and a
 * newline on it.
 */
export const TCP_SCRIPT = `#!/bin/busybox sh
k=$2 in=/tmp/tcp-$2.in pid=/tmp/tcp-$2.pid
case "$1" in
  open)
    mkfifo "$in" || exit 2
    # Read and write: the pipe never reaches end of input, so nc keeps the connection until it is told to stop.
    exec 3<> "$in"
    /${NETWORK_BIN}/nc -nv "$3" "$4" <&3 &
    echo $! > "$pid"
    wait $!
    status=$?
    rm -f "$in" "$pid"
    exit $status ;;
  send)
    # \`open K ... &\` may still be starting: give it a moment.
    for i in $(seq 50); do [ -p "$in" ] && break; sleep 0.1; done
    [ -p "$in" ] || { echo "no connection $k"; exit 2; }
    shift 2
    printf '%s\\n' "$*" > "$in" ;;
  close)
    [ -f "$pid" ] || { echo "no connection $k"; exit 2; }
    kill "$(cat "$pid")" ;;
  *) echo "usage: xen-harness-tcp open K ADDRESS PORT | send K TEXT | close K"; exit 2 ;;
esac
`;
