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

/** Where the init finds what the harness put in the dom0 image. */
export const DOM0_PATHS = {
  modules: 'etc/xen-harness/modules',
  xlConfig: 'etc/xen-harness/domu.xl',
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
}

export function dom0InitScript(s: Dom0Init): string {
  const bin = `/${DOM0_PATHS.toolsDir}`;
  const loops = (s.disks ?? []).map((d) => `attach_disk ${d.serial} ${d.loop}\n`).join('');
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:${bin} HOME=/root LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu
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
${loops}xenstored --pid-file=/var/run/xenstored.pid || say "xenstored failed"
xenconsoled --pid-file=/var/run/xenconsoled.pid || say "xenconsoled failed"
xen-init-dom0 > /tmp/xen-init-dom0.log 2>&1 || { say "xen-init-dom0 failed:"; cat /tmp/xen-init-dom0.log; }
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
${(s.disks ?? [])
  .map(
    (d) => `losetup -d ${d.loop}
`,
  )
  .join('')}sync
say "powering off"
poweroff -f
`;
}
