/**
 * The example unikernels the generator can scaffold: one folder of
 * templates each under files/. `registerName` is what the example registers
 * in the seed (block registers block_test); an app scaffolded from it under
 * another name registers its own name.
 */
export interface ExampleTemplate {
  readonly registerName: string;
  readonly description: string;
}

export const TEMPLATES: Readonly<Record<string, ExampleTemplate>> = {
  console: { registerName: 'console', description: 'prints hello/world four times over a console' },
  block: {
    registerName: 'block_test',
    description: 'writes and reads back patterns at both ends of a block device (disk.img on unix)',
  },
  stackv4: {
    registerName: 'stackv4',
    description: 'listens on UDP 53 and TCP 8080 and prints what arrives, over the socket or the direct stack',
  },
  kv_ro_crunch: { registerName: 'kv_ro', description: 'compares a key read from two crunched (built-in) copies of t/' },
  kv_ro: {
    registerName: 'kv_ro',
    description:
      'compares a key read twice from one store of t/: crunched, a FAT image or the host directory (--kv_ro)',
  },
  dns: {
    registerName: 'dns',
    description: 'an authoritative DNS server for data/test.zone on port 5354 (UDP and TCP), and a resolver lookup',
  },
  dhcp: {
    registerName: 'dhcp',
    description: 'a DHCP server for files/dhcpd.conf straight on tap0 (its own ARP for --ipaddr, 192.168.1.5)',
  },
  static_website: {
    registerName: 'www',
    description: 'serves htdocs/ over HTTP on port 8080 from a kv_ro (--kv_ro), on the socket or the direct stack',
  },
  static_website_tls: {
    registerName: 'www',
    description: 'serves htdocs/ over HTTPS on port 443 with a new self-signed certificate in secrets/tls/',
  },
  conduit_server: {
    registerName: 'conduit_server',
    description: 'answers hello mirage world! over HTTP on port 80, on the direct stack and (unix) the host stack',
  },
  ping: {
    registerName: 'ping',
    description: 'builds Ethernet, ARP and IPv4 by hand: answers ping, logs TCP, UDP and other packets',
  },
  ethifv4: {
    registerName: 'ethifv4',
    description: 'builds the stack layer by layer: TCP 80 logs what it reads, UDP logs ports',
  },
  network: {
    registerName: 'network',
    description: 'listens on TCP 80 and logs each connection and what it reads, over the socket or the direct stack',
  },
  lwt: {
    registerName: 'lwt',
    description: 'the nine lwt examples (--variant=heads1|...|stream_server): promises, cancellation, MVars, streams',
  },
  static_website_ip: {
    registerName: 'www',
    description:
      'serves htdocs/ over HTTP on port 80, on the direct stack with ip=/netmask=/gateway= from the (kernel) command line',
  },
  conduit_server_manual: {
    registerName: 'conduit_server',
    description: 'conduit_server with its conduit and HTTP server made by hand over the stacks it is given',
  },
  'http-fetch': {
    registerName: 'http-fetch',
    description: 'resolves the host of --uri through --resolver and fetches it, with the HTTP client and by hand',
  },
  ping6: {
    registerName: 'ping6',
    description: 'builds Ethernet and IPv6 by hand at fc00::2: answers ping -6, logs TCP, UDP and other packets',
  },
  io_page: {
    registerName: 'io_page',
    description:
      'takes a page-aligned page, hex-dumps its first 100 bytes, writes Hello world! into it and dumps again',
  },
  'netif-forward': {
    registerName: 'netif-forward',
    description:
      'writes every frame from the first network interface to the second (tap1 to tap2 on unix), counting them',
  },
  tracing: {
    registerName: 'tracing',
    description:
      'sends ! to 10.0.0.1:7001 over the direct stack and writes a Chrome/Perfetto trace of its device calls and promises',
  },
  grant: {
    registerName: 'grant',
    description:
      'Xen only: reads its domid from xenstore, grants a page to itself, maps it and checks both views; shows data/ in xenstore',
  },
  suspend: {
    registerName: 'suspend',
    description:
      "Xen only: prints the toolstack's requests (xl shutdown, xl reboot, xl save/restore) and acts on them; echoes TCP port 7",
  },
};
