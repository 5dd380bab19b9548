/**
 * The test dom0's network, set up as a Xen host's usually is: a bridge
 * (`xenbr0`) with an address, each domain's vif put on it by the vif
 * hotplug script when netback brings it up, and dnsmasq answering DHCP on
 * the bridge. The seed's direct-stack addresses: dom0 is 10.0.0.1/24, a
 * domain with `--dhcp=false` takes 10.0.0.2.
 */
export interface Dom0Network {
  readonly bridge: string;
  /** The bridge's address in dom0, with its prefix length. */
  readonly address: string;
  /** dnsmasq's pool: first and last address. */
  readonly dhcpRange: readonly [string, string];
}

export const DEFAULT_DOM0_NETWORK: Dom0Network = {
  bridge: 'xenbr0',
  address: '10.0.0.1/24',
  dhcpRange: ['10.0.0.50', '10.0.0.60'],
};

/** Modules for the network back-end and the bridge (stp and llc come with bridge as its dependencies). */
export const NETWORK_MODULES = ['xen-netback', 'bridge'] as const;

/**
 * Host programs copied into dom0 (with their shared objects) for the
 * network and for the commands a test runs there. busybox has ping, but its
 * nc has no UDP, hence OpenBSD's; curl only when the host has it.
 */
export const NETWORK_PROGRAMS: readonly { readonly from: string; readonly as: string; readonly optional?: boolean }[] =
  [
    { from: '/usr/sbin/dnsmasq', as: 'dnsmasq' },
    { from: '/bin/nc.openbsd', as: 'nc' },
    { from: '/usr/bin/curl', as: 'curl', optional: true },
  ];

/** Where those programs go, first on dom0's PATH. */
export const NETWORK_BIN = 'usr/local/bin';

/**
 * Debian's static busybox runs its own applets before anything on PATH
 * (nc among them): a function of the same name wins over an applet, so
 * the session's commands start by reading these.
 */
export const COMMAND_PROLOGUE = 'etc/xen-harness/commands.sh';
export function commandPrologue(): string {
  return NETWORK_PROGRAMS.map((p) => `${p.as}() { /${NETWORK_BIN}/${p.as} "$@"; }\n`).join('');
}

/**
 * libxl runs /etc/xen/scripts/vif-bridge for every vif (xl.conf's default
 * script) once netback has made the interface `$vif`. Debian's is a bash
 * script with many helpers; this dom0 has busybox, and what it must do is
 * small: put the interface on the bridge the vif names in xenstore, bring
 * it up and tell libxl it is connected. It also says so on the console, so
 * that a test sees the hotplug happened.
 */
export function vifHotplugScript(mark: string): string {
  return `#!/bin/busybox sh
bridge=$(xenstore-read "$XENBUS_PATH/bridge" 2>/dev/null)
case "$1" in
  online|add)
    [ -n "$bridge" ] || { echo "vif-bridge: $XENBUS_PATH names no bridge" >&2; exit 1; }
    brctl addif "$bridge" "$vif" || exit 1
    ip link set "$vif" up || exit 1
    xenstore-write "$XENBUS_PATH/hotplug-status" connected || exit 1
    echo "${mark} vif $vif on $bridge" > /dev/console ;;
  offline|remove)
    [ -n "$bridge" ] && brctl delif "$bridge" "$vif" 2>/dev/null
    echo "${mark} vif $vif off $bridge" > /dev/console ;;
esac
exit 0
`;
}

/** dnsmasq wants a user to drop privileges to; the dom0 has no other files for it. */
export const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
export const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/** The init's lines that bring the bridge up and start dnsmasq (its log marked as the harness's). */
export function networkSetup(n: Dom0Network, say: string): string {
  const [first, last] = n.dhcpRange;
  const gateway = n.address.split('/')[0];
  return `# The network: a bridge with dom0's address, DHCP on it (no IPv6: its neighbour discovery is noise here).
echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
ip link set lo up
# STP stays off, so a port forwards as soon as it is added.
brctl addbr ${n.bridge} && ip addr add ${n.address} dev ${n.bridge} && ip link set ${n.bridge} up || ${say} "cannot set up ${n.bridge}"
dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --no-resolv --user=root --group=root \\
  --interface=${n.bridge} --bind-interfaces --dhcp-leasefile=/tmp/dnsmasq.leases --log-facility=- \\
  --dhcp-range=${first},${last},255.255.255.0,2m --dhcp-option=option:router,${gateway} 2>&1 |
  while IFS= read -r line; do ${say} "dnsmasq: $line"; done &
${say} "network: ${n.bridge} ${n.address}, DHCP ${first}-${last}"
`;
}
