/*
 * The part of a network interface that Node cannot do itself: open a tap
 * device (TUNSETIFF is an ioctl) or an AF_PACKET socket, watch its fd on
 * Node's own event loop, read frames in batches and write one frame per
 * write(2). Everything else (MACs, statistics, errors as values) lives in
 * the TypeScript wrapper, native/addon.ts.
 */
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Room left in the batch buffer before another read: a whole frame always fits,
 * including a super-segment from a tap with offloads (an IP datagram of up to
 * 65535 bytes, plus the Ethernet and, for IPv6, the fixed header). */
#define MAX_FRAME 65600

typedef struct {
  int fd;
  /* A packet socket with PACKET_VNET_HDR or a tap with IFF_VNET_HDR: every frame comes and goes after a virtio_net_hdr. */
  int vnet_hdr;
  /* A tap (a character device: readv, not recvmsg). */
  int tap;
  /* A tap whose kernel side was told we take partial checksums and TCP super-segments (TUNSETOFFLOAD). */
  int offloads;
  int reading;
  int closed;
  napi_env env;
  uv_poll_t poll;
  napi_ref on_batch;
  napi_ref buffer_ref;
  napi_ref lengths_ref;
  napi_async_context async;
  uint8_t *buffer;
  size_t buffer_len;
  uint32_t *lengths;
  size_t max_frames;
} port_t;

#define CHECK(env, call)                                                  \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error((env), "EINVAL", "mirage_netif: " #call " failed"); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *what, const char *name) {
  char message[256];
  snprintf(message, sizeof message, "%s %s: %s", what, name, strerror(err));
  char code[32];
  snprintf(code, sizeof code, "errno:%d", err);
  napi_throw_error(env, code, message);
  return NULL;
}

/* Copies a JS string that fits in `size` bytes with its NUL; -1 otherwise. */
static int get_string(napi_env env, napi_value value, char *out, size_t size) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok || len + 1 > size) return -1;
  if (napi_get_value_string_utf8(env, value, out, size, &len) != napi_ok) return -1;
  return (int)len;
}

static port_t *get_port(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return (port_t *)data;
}

static void release_refs(port_t *p) {
  if (p->on_batch) napi_delete_reference(p->env, p->on_batch);
  if (p->buffer_ref) napi_delete_reference(p->env, p->buffer_ref);
  if (p->lengths_ref) napi_delete_reference(p->env, p->lengths_ref);
  if (p->async) napi_async_destroy(p->env, p->async);
  p->on_batch = p->buffer_ref = p->lengths_ref = NULL;
  p->async = NULL;
}

static void on_poll_closed(uv_handle_t *handle) {
  port_t *p = (port_t *)handle->data;
  release_refs(p);
  p->reading = 0;
  /* The External that owns p may already be gone; then this is the last user. */
  if (p->closed == 2) free(p);
}

/* Stops watching and closes the fd; the port's memory goes when both the
 * poll handle and the JS object holding it are done with it. */
static void close_port(port_t *p) {
  if (p->closed) return;
  p->closed = 1;
  if (p->reading) {
    uv_poll_stop(&p->poll);
    uv_close((uv_handle_t *)&p->poll, on_poll_closed);
  }
  /* A persistent tap outlives us: leave it plain for whichever program opens it next. */
  if (p->offloads) ioctl(p->fd, TUNSETOFFLOAD, 0UL);
  close(p->fd);
}

static void finalize_port(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  port_t *p = (port_t *)data;
  close_port(p);
  if (p->reading) p->closed = 2; /* on_poll_closed frees it */
  else free(p);
}

static void call_js(port_t *p, int32_t count) {
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, argv[1];
  if (napi_get_reference_value(env, p->on_batch, &callback) == napi_ok && callback != NULL &&
      napi_get_global(env, &receiver) == napi_ok && napi_create_int32(env, count, &argv[0]) == napi_ok) {
    /* make_callback, not call_function: promises the listener settles run
     * before control returns to the event loop. Its receiver must be an
     * object, hence the global. */
    napi_make_callback(env, p->async, receiver, callback, 1, argv, NULL);
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

/*
 * The Internet checksum of len bytes as a big-endian 16-bit sum, not yet
 * complemented. Summed as native 32-bit words into 64 bits and byte-swapped
 * once at the end (RFC 1071's byte-order independence): a word at a time,
 * where a byte pair at a time made this the largest native cost of a 64 KiB
 * super-segment.
 */
static uint16_t internet_sum(const uint8_t *data, size_t len) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    uint32_t word;
    memcpy(&word, data + i, 4);
    sum += word;
  }
  if (i + 2 <= len) {
    uint16_t half;
    memcpy(&half, data + i, 2);
    sum += half;
    i += 2;
  }
  if (i < len) {
    /* The odd last byte is the high byte of a zero-padded big-endian word. */
    uint16_t half = 0;
    memcpy(&half, data + i, 1);
    sum += half;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ntohs((uint16_t)sum);
}

/*
 * A frame the kernel hands over before its checksum was filled in (a veth
 * or virtio peer offloading it: CHECKSUM_PARTIAL) holds only the
 * pseudo-header sum at csum_start + csum_offset; finish it as the NIC
 * would have (skb_checksum_help), so the stack above sees a valid frame.
 */
static void complete_checksum(const struct virtio_net_hdr *h, uint8_t *frame, size_t len) {
  if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) return;
  size_t start = h->csum_start, at = start + h->csum_offset;
  if (at + 2 > len || start >= len) return;
  uint16_t folded = (uint16_t)~internet_sum(frame + start, len - start);
  if (folded == 0) folded = 0xffff;
  frame[at] = (uint8_t)(folded >> 8);
  frame[at + 1] = (uint8_t)folded;
}

/*
 * The kernel vouches for the transport checksum of a frame it marks
 * DATA_VALID (it verified it: CHECKSUM_UNNECESSARY) or NEEDS_CSUM (made on
 * this host and never on a wire: CHECKSUM_PARTIAL, completed above). Such a
 * frame's length goes to JavaScript with this bit set, so the stack need not
 * sum it again.
 */
#define CHECKSUM_VERIFIED 0x80000000u

/* One frame into `into` (room for MAX_FRAME bytes): its length (with
 * CHECKSUM_VERIFIED when the kernel vouches for its checksum), 0 if it was
 * dropped (too long), or -errno. */
static ssize_t read_frame(port_t *p, uint8_t *into) {
  if (!p->vnet_hdr) return read(p->fd, into, MAX_FRAME);
  struct virtio_net_hdr h;
  struct iovec iov[2] = {{&h, sizeof h}, {into, MAX_FRAME}};
  ssize_t got;
  if (p->tap) {
    /* A tap never hands over more than fits (MAX_FRAME covers a 64 KiB super-segment). */
    got = readv(p->fd, iov, 2);
    if (got < 0) return got;
    if (got < (ssize_t)sizeof h) return 0;
  } else {
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    got = recvmsg(p->fd, &msg, 0);
    if (got < 0) return got;
    if ((msg.msg_flags & MSG_TRUNC) || got < (ssize_t)sizeof h) return 0;
  }
  got -= (ssize_t)sizeof h;
  complete_checksum(&h, into, (size_t)got);
  if (got > 0 && h.flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
    got |= (ssize_t)CHECKSUM_VERIFIED;
  return got;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  port_t *p = (port_t *)handle->data;
  if (p->closed) return;
  if (status < 0) {
    uv_poll_stop(&p->poll);
    call_js(p, status); /* libuv errors are negative errno values */
    return;
  }
  size_t offset = 0, count = 0;
  int error = 0;
  while (count < p->max_frames && p->buffer_len - offset >= MAX_FRAME) {
    ssize_t got = read_frame(p, p->buffer + offset);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) error = -errno;
      break;
    }
    if (got == 0) {
      if (p->vnet_hdr) continue; /* a frame too long for the buffer (or a runt header), dropped */
      error = -EIO;
      break;
    }
    p->lengths[count++] = (uint32_t)got;
    offset += (size_t)got & ~(size_t)CHECKSUM_VERIFIED;
  }
  if (count > 0) call_js(p, (int32_t)count);
  if (error != 0 && !p->closed) {
    uv_poll_stop(&p->poll);
    call_js(p, error);
  }
}

/* What a tap is told this end takes (TUNSETOFFLOAD): partial checksums and TCP super-segments over IPv4 and IPv6. */
#define TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)

/* openTap's modes. */
enum { TAP_PLAIN = 0, TAP_OFFLOADS_NOW = 1, TAP_OFFLOADS_LATER = 2 };

static int ask_offloads(int fd) { return ioctl(fd, TUNSETOFFLOAD, (unsigned long)TAP_OFFLOADS) == 0; }

/*
 * openTap(name, mode) -> [port, actualName, offloadsOn]: attaches to tap
 * `name`, creating it when absent. Mode 0: plain frames. Mode 1: frames carry
 * a virtio_net_hdr and the kernel is told (TUNSETOFFLOAD) that this end takes
 * partial checksums and TCP super-segments (TSO/GSO) and may send them: one
 * read or write then carries up to 64 KiB of a TCP stream instead of one MTU.
 * Mode 2: the header as in mode 1, the offloads only when acceptOffloads is
 * called (the header can only be chosen when the tap is attached). A kernel
 * that refuses the offloads leaves offloadsOn false (plain frames).
 */
static napi_value open_tap(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  uint32_t mode = TAP_PLAIN;
  if (argc < 1 || get_string(env, argv[0], name, sizeof name) < 0 ||
      (argc >= 2 && napi_get_value_uint32(env, argv[1], &mode) != napi_ok) || mode > TAP_OFFLOADS_LATER) {
    napi_throw_type_error(env, NULL,
                          "openTap(name, mode): name must be a string of at most 15 bytes, mode 0, 1 or 2");
    return NULL;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "cannot open", "/dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (mode != TAP_PLAIN ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, strlen(name) + 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "cannot attach to tap", name);
  }
  int header = 0;
  int offloads = 0;
  if (mode != TAP_PLAIN) {
    int size = (int)sizeof(struct virtio_net_hdr);
    header = ioctl(fd, TUNSETVNETHDRSZ, &size) == 0;
    offloads = header && mode == TAP_OFFLOADS_NOW && ask_offloads(fd);
  }
  /* A persistent tap keeps the offloads an earlier program turned on: Linux would send super-segments to us. */
  if (!offloads) ioctl(fd, TUNSETOFFLOAD, 0UL);
  port_t *p = calloc(1, sizeof *p);
  if (!p) {
    close(fd);
    return throw_errno(env, ENOMEM, "cannot attach to tap", name);
  }
  p->fd = fd;
  p->tap = 1;
  /* Without the offloads the header still comes (IFF_VNET_HDR is set): all-zero, no offload asked. */
  p->vnet_hdr = mode != TAP_PLAIN;
  p->offloads = offloads;
  p->env = env;
  napi_value result, port, actual, on;
  CHECK(env, napi_create_external(env, p, finalize_port, NULL, &port));
  CHECK(env, napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &actual));
  CHECK(env, napi_get_boolean(env, offloads != 0, &on));
  CHECK(env, napi_create_array_with_length(env, 3, &result));
  CHECK(env, napi_set_element(env, result, 0, port));
  CHECK(env, napi_set_element(env, result, 1, actual));
  CHECK(env, napi_set_element(env, result, 2, on));
  return result;
}

/*
 * acceptOffloads(port) -> offloadsOn: a tap opened in mode 2 tells the kernel
 * now that this end takes partial checksums and TCP super-segments. False
 * for any other port, or when the kernel refuses (frames stay plain).
 */
static napi_value accept_offloads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  port_t *p = argc == 1 ? get_port(env, argv[0]) : NULL;
  if (!p) {
    napi_throw_type_error(env, NULL, "acceptOffloads(port)");
    return NULL;
  }
  if (!p->offloads && p->tap && p->vnet_hdr && !p->closed) p->offloads = ask_offloads(p->fd);
  napi_value on;
  CHECK(env, napi_get_boolean(env, p->offloads != 0, &on));
  return on;
}

/* openPacket(name) -> port: a raw socket that sees every frame of interface `name`. */
static napi_value open_packet(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  if (argc < 1 || get_string(env, argv[0], name, sizeof name) < 0) {
    napi_throw_type_error(env, NULL, "openPacket(name): name must be a string of at most 15 bytes");
    return NULL;
  }
  unsigned index = if_nametoindex(name);
  if (index == 0) return throw_errno(env, errno, "cannot find interface", name);
  /* Protocol 0 receives nothing until bind names the protocol and the
   * interface, so no frame of another interface slips in between. */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "cannot open a packet socket for", name);
  struct sockaddr_ll addr;
  memset(&addr, 0, sizeof addr);
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = (int)index;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "cannot bind a packet socket to", name);
  }
  /* Our own transmissions are not input (Linux 4.20+; older kernels echo them). */
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  /* Offload metadata with each frame, so partial checksums can be completed. */
  int vnet_hdr = setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) == 0;
  port_t *p = calloc(1, sizeof *p);
  if (!p) {
    close(fd);
    return throw_errno(env, ENOMEM, "cannot open a packet socket for", name);
  }
  p->fd = fd;
  p->vnet_hdr = vnet_hdr;
  p->env = env;
  napi_value port;
  CHECK(env, napi_create_external(env, p, finalize_port, NULL, &port));
  return port;
}

/* interfaceInfo(name) -> [mtu, mac]: as the kernel knows the interface (no sysfs needed). */
static napi_value interface_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  if (argc < 1 || get_string(env, argv[0], name, sizeof name) < 0) {
    napi_throw_type_error(env, NULL, "interfaceInfo(name): name must be a string of at most 15 bytes");
    return NULL;
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return throw_errno(env, errno, "cannot query interface", name);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, strlen(name) + 1);
  if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
    int err = errno;
    close(s);
    return throw_errno(env, err, "cannot query interface", name);
  }
  int mtu = ifr.ifr_mtu;
  if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
    int err = errno;
    close(s);
    return throw_errno(env, err, "cannot query interface", name);
  }
  close(s);
  const unsigned char *m = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
  char mac[18];
  snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  napi_value result, mtu_value, mac_value;
  CHECK(env, napi_create_int32(env, mtu, &mtu_value));
  CHECK(env, napi_create_string_utf8(env, mac, NAPI_AUTO_LENGTH, &mac_value));
  CHECK(env, napi_create_array_with_length(env, 2, &result));
  CHECK(env, napi_set_element(env, result, 0, mtu_value));
  CHECK(env, napi_set_element(env, result, 1, mac_value));
  return result;
}

/*
 * startReading(port, buffer: ArrayBuffer, lengths: Uint32Array, onBatch):
 * whenever the fd is readable, reads up to lengths.length frames back to
 * back into buffer, writes their sizes into lengths (with the top bit,
 * CHECKSUM_VERIFIED, set for a frame whose checksum the kernel vouches for)
 * and calls onBatch(count); onBatch(-errno) reports a read error (reading stops).
 */
static napi_value start_reading(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  port_t *p = argc == 4 ? get_port(env, argv[0]) : NULL;
  if (!p) {
    napi_throw_type_error(env, NULL, "startReading(port, buffer, lengths, onBatch)");
    return NULL;
  }
  if (p->closed || p->reading) {
    napi_throw_error(env, NULL, p->closed ? "the port is closed" : "the port is already reading");
    return NULL;
  }
  void *buffer = NULL;
  size_t buffer_len = 0;
  CHECK(env, napi_get_arraybuffer_info(env, argv[1], &buffer, &buffer_len));
  napi_typedarray_type type;
  size_t length = 0;
  void *lengths = NULL;
  CHECK(env, napi_get_typedarray_info(env, argv[2], &type, &length, &lengths, NULL, NULL));
  if (type != napi_uint32_array || length == 0 || buffer_len < MAX_FRAME) {
    napi_throw_range_error(env, NULL, "startReading needs a Uint32Array and a buffer of at least 64 KiB");
    return NULL;
  }
  uv_loop_t *loop = NULL;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, &p->poll, p->fd) != 0) {
    napi_throw_error(env, NULL, "uv_poll_init failed");
    return NULL;
  }
  p->poll.data = p;
  p->buffer = buffer;
  p->buffer_len = buffer_len;
  p->lengths = lengths;
  p->max_frames = length;
  napi_value resource_name;
  CHECK(env, napi_create_string_utf8(env, "mirage_netif", NAPI_AUTO_LENGTH, &resource_name));
  CHECK(env, napi_async_init(env, NULL, resource_name, &p->async));
  CHECK(env, napi_create_reference(env, argv[1], 1, &p->buffer_ref));
  CHECK(env, napi_create_reference(env, argv[2], 1, &p->lengths_ref));
  CHECK(env, napi_create_reference(env, argv[3], 1, &p->on_batch));
  p->reading = 1;
  uv_poll_start(&p->poll, UV_READABLE, on_readable);
  return NULL;
}

/* writeFrame(port, frame: Uint8Array) -> bytes written, or -errno. */
static napi_value write_frame(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  port_t *p = argc == 2 ? get_port(env, argv[0]) : NULL;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (!p || napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "writeFrame(port, frame: Uint8Array)");
    return NULL;
  }
  ssize_t written;
  if (p->closed) written = -EBADF;
  else {
    /* With PACKET_VNET_HDR a frame goes after an all-zero header: no offloads asked. */
    struct virtio_net_hdr none;
    memset(&none, 0, sizeof none);
    struct iovec iov[2] = {{&none, sizeof none}, {data, length}};
    do written = p->vnet_hdr ? writev(p->fd, iov, 2) : write(p->fd, data, length);
    while (written < 0 && errno == EINTR);
    if (written < 0) written = -errno;
    else if (p->vnet_hdr) written -= (ssize_t)sizeof none;
  }
  napi_value result;
  CHECK(env, napi_create_int64(env, (int64_t)written, &result));
  return result;
}

/*
 * Where a TCP super-segment's headers end and its checksum sits, for the
 * virtio_net_hdr that asks the kernel to cut it (IPv4 or IPv6, no VLAN tag);
 * 0 when the frame is not such a segment. `psum` gets the folded
 * pseudo-header sum (the partial checksum NEEDS_CSUM expects).
 */
static size_t tcp_headers(const uint8_t *f, size_t len, int *v6, size_t *l4, uint16_t *psum) {
  if (len < 14 + 40 + 20) return 0;
  uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
  uint32_t sum = 0;
  size_t ip_len;
  if (type == 0x0800 && (f[14] >> 4) == 4) {
    ip_len = (size_t)(f[14] & 15) * 4;
    if (ip_len < 20 || f[14 + 9] != 6) return 0;
    size_t total = (size_t)(f[16] << 8 | f[17]);
    if (total != len - 14) return 0;
    for (size_t i = 14 + 12; i < 14 + 20; i += 2) sum += (uint32_t)(f[i] << 8 | f[i + 1]);
    sum += 6 + (uint32_t)(total - ip_len);
    *v6 = 0;
  } else if (type == 0x86dd && (f[14] >> 4) == 6) {
    ip_len = 40;
    if (f[14 + 6] != 6) return 0;
    size_t payload = (size_t)(f[18] << 8 | f[19]);
    if (payload != len - 14 - 40) return 0;
    for (size_t i = 14 + 8; i < 14 + 40; i += 2) sum += (uint32_t)(f[i] << 8 | f[i + 1]);
    sum += 6 + (uint32_t)payload;
    *v6 = 1;
  } else {
    return 0;
  }
  *l4 = 14 + ip_len;
  if (*l4 + 20 > len) return 0;
  size_t tcp_len = (size_t)(f[*l4 + 12] >> 4) * 4;
  if (tcp_len < 20 || *l4 + tcp_len > len) return 0;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  *psum = (uint16_t)sum;
  return *l4 + tcp_len;
}

/*
 * writeSegment(port, frame: Uint8Array, segmentSize) -> bytes written, or
 * -errno: a TCP segment longer than the MTU, which the kernel cuts into
 * segments of `segmentSize` payload bytes (TSO) or takes whole when it is
 * for the host itself. Its TCP checksum is the kernel's to fill in: the frame
 * goes out with the pseudo-header sum in its place (the frame itself is not
 * changed). Only on a tap whose offloads are on.
 */
static napi_value write_segment(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  port_t *p = argc == 3 ? get_port(env, argv[0]) : NULL;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  uint32_t segment = 0;
  if (!p || napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || napi_get_value_uint32(env, argv[2], &segment) != napi_ok) {
    napi_throw_type_error(env, NULL, "writeSegment(port, frame: Uint8Array, segmentSize: number)");
    return NULL;
  }
  ssize_t written;
  int v6 = 0;
  size_t l4 = 0;
  uint16_t psum = 0;
  size_t headers = tcp_headers(data, length, &v6, &l4, &psum);
  if (p->closed) written = -EBADF;
  else if (!p->offloads || headers == 0 || segment == 0 || segment > 0xffff) written = -EINVAL;
  else {
    struct virtio_net_hdr h;
    memset(&h, 0, sizeof h);
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
    h.hdr_len = (uint16_t)headers;
    h.gso_size = (uint16_t)segment;
    h.csum_start = (uint16_t)l4;
    h.csum_offset = 16;
    uint8_t check[2] = {(uint8_t)(psum >> 8), (uint8_t)psum};
    uint8_t *f = data;
    size_t at = l4 + 16;
    struct iovec iov[4] = {{&h, sizeof h}, {f, at}, {check, 2}, {f + at + 2, length - at - 2}};
    do written = writev(p->fd, iov, 4);
    while (written < 0 && errno == EINTR);
    if (written < 0) written = -errno;
    else written -= (ssize_t)sizeof h;
  }
  napi_value result;
  CHECK(env, napi_create_int64(env, (int64_t)written, &result));
  return result;
}

/* close(port): stops reading and closes the fd; later calls do nothing. */
static napi_value close_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  port_t *p = argc == 1 ? get_port(env, argv[0]) : NULL;
  if (!p) {
    napi_throw_type_error(env, NULL, "close(port)");
    return NULL;
  }
  close_port(p);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"openTap", NULL, open_tap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"acceptOffloads", NULL, accept_offloads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openPacket", NULL, open_packet, NULL, NULL, NULL, napi_enumerable, NULL},
      {"interfaceInfo", NULL, interface_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"startReading", NULL, start_reading, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeFrame", NULL, write_frame, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeSegment", NULL, write_segment, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}
