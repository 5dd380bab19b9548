{
  "targets": [
    {
      "target_name": "mirage_netif",
      "sources": ["netif.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "mirage_xen_grant",
      "sources": ["xen-grant.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
    }
  ]
}
