/*
 * Load generator for the netif-forward bench's bridge row: attaches to the
 * tap `in` and writes `count` frames of `size` bytes into it (the kernel
 * receives them, as frames from a NIC), while holding the tap `out` open so
 * that its link is up. Prints "sent seconds cpu-seconds" (the bridge forwards
 * inside each write, so this process's CPU time is the bridge's too). A raw socket cannot do this:
 * what it sends on a tap leaves through the tap's file descriptor instead.
 *   tap-inject <in> <out> <count> <size> <dst-mac-hex>
 */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int attach(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
    perror(name);
    exit(1);
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 6) return 2;
  long count = atol(argv[3]);
  int size = atoi(argv[4]);
  unsigned char frame[1514] = {0};
  if (size < 60 || size > 1514 || strlen(argv[5]) != 12) return 2;
  for (int i = 0; i < 6; i++) sscanf(argv[5] + 2 * i, "%2hhx", &frame[i]);
  frame[6] = 0x02; /* a locally administered source the bridge learns on `in` */
  frame[11] = 0x01;
  frame[12] = 0x88;
  frame[13] = 0xb5;
  int in = attach(argv[1]);
  int out = attach(argv[2]);
  usleep(200000); /* let both links come up */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long sent = 0;
  for (long i = 0; i < count; i++)
    if (write(in, frame, (size_t)size) == size) sent++;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  printf("%ld %.6f %.6f\n", sent, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, cpu);
  fflush(stdout);
  usleep(500000); /* keep `out` up while the last frames are counted */
  close(out);
  return 0;
}
