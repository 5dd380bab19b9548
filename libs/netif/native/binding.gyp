{
  "targets": [
    {
      "target_name": "mirage_netif",
      "sources": ["netif.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
    }
  ]
}
