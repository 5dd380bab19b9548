/*
 * Load generator for the netif bench: sends `count` Ethernet frames of
 * `size` bytes to `dst` out of interface `ifname` as fast as the kernel takes
 * them (sendmmsg, 64 at a time), then prints "sent seconds". Python's
 * one-send-per-call is slower than the receiver it is meant to saturate.
 *   netif-flood <ifname> <count> <size> <dst-mac-hex>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  long count = atol(argv[2]);
  int size = atoi(argv[3]);
  unsigned char frame[1514] = {0};
  if (size < 60 || size > 1514 || strlen(argv[4]) != 12) return 2;
  for (int i = 0; i < 6; i++) sscanf(argv[4] + 2 * i, "%2hhx", &frame[i]);
  frame[12] = 0x88;
  frame[13] = 0xb5;
  int s = socket(AF_PACKET, SOCK_RAW, 0);
  struct sockaddr_ll addr = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)if_nametoindex(argv[1])};
  if (s < 0 || addr.sll_ifindex == 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
    perror("netif-flood");
    return 1;
  }
  struct iovec iov = {.iov_base = frame, .iov_len = (size_t)size};
  struct mmsghdr msgs[64];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < 64; i++) {
    msgs[i].msg_hdr.msg_iov = &iov;
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long sent = 0;
  for (long left = count; left > 0;) {
    int n = sendmmsg(s, msgs, left < 64 ? (unsigned)left : 64, 0);
    if (n < 0) {
      left -= 1; /* a full queue drops the frame, as a NIC would */
      continue;
    }
    sent += n;
    left -= n;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%ld %.6f\n", sent, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
