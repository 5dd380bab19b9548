/*
 * Xen grant tables from a guest's user space, the part Node cannot do: the
 * ioctls of the kernel's /dev/xen/gntalloc (grant our own pages to a domain)
 * and /dev/xen/gntdev (map another domain's granted pages), and mmap of the
 * pages they stand for as ArrayBuffers. The device files are opened and
 * closed by the TypeScript side (@mirage-ts/xen-grant); this addon only takes
 * their fds. Built beside the netif addon (binding.gyp) but shares no code
 * with it: a separate .node file, loaded only by unikernels that use grants.
 */
#include <node_api.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
/* gntdev.h's grant-copy structs name these Xen types without defining them. */
typedef uint32_t grant_ref_t;
typedef uint16_t domid_t;
#include <xen/gntalloc.h>
#include <xen/gntdev.h>

/* Enough for the examples; the kernel's own default limit per gntdev file is larger. */
#define MAX_PAGES 1024

typedef struct {
  void *addr;
  size_t length;
  int unmapped;
  /* The ArrayBuffer and the handle each hold the record; the last finalizer frees it. */
  int refs;
} mapping_t;

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  char code[32];
  snprintf(code, sizeof code, "errno:%d", err);
  napi_throw_error(env, code, message);
  return NULL;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) { return napi_get_value_uint32(env, v, out) == napi_ok; }

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return 0;
  return 1;
}

static napi_value number(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

/* allocGrants(fd, domid, count, writable): { index, refs } (IOCTL_GNTALLOC_ALLOC_GREF). */
static napi_value alloc_grants(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  uint32_t fd, domid, count;
  bool writable;
  if (!get_args(env, info, 4, argv) || !get_u32(env, argv[0], &fd) || !get_u32(env, argv[1], &domid) ||
      !get_u32(env, argv[2], &count) || napi_get_value_bool(env, argv[3], &writable) != napi_ok || domid > 0xffff ||
      count == 0 || count > MAX_PAGES) {
    napi_throw_type_error(env, NULL, "allocGrants(fd, domid < 65536, count 1..1024, writable)");
    return NULL;
  }
  size_t size = sizeof(struct ioctl_gntalloc_alloc_gref) + (count - 1) * sizeof(uint32_t);
  struct ioctl_gntalloc_alloc_gref *op = calloc(1, size);
  if (!op) return throw_errno(env, ENOMEM, "allocGrants");
  op->domid = (uint16_t)domid;
  op->flags = writable ? GNTALLOC_FLAG_WRITABLE : 0;
  op->count = count;
  if (ioctl((int)fd, IOCTL_GNTALLOC_ALLOC_GREF, op) < 0) {
    int err = errno;
    free(op);
    return throw_errno(env, err, "IOCTL_GNTALLOC_ALLOC_GREF on /dev/xen/gntalloc");
  }
  napi_value result, refs;
  napi_create_object(env, &result);
  napi_create_array_with_length(env, count, &refs);
  for (uint32_t i = 0; i < count; i++) napi_set_element(env, refs, i, number(env, op->gref_ids[i]));
  napi_set_named_property(env, result, "index", number(env, (double)op->index));
  napi_set_named_property(env, result, "refs", refs);
  free(op);
  return result;
}

/* deallocGrants(fd, index, count) (IOCTL_GNTALLOC_DEALLOC_GREF): the grant ends once its pages are unmapped. */
static napi_value dealloc_grants(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint32_t fd, count;
  int64_t index;
  if (!get_args(env, info, 3, argv) || !get_u32(env, argv[0], &fd) ||
      napi_get_value_int64(env, argv[1], &index) != napi_ok || index < 0 || !get_u32(env, argv[2], &count)) {
    napi_throw_type_error(env, NULL, "deallocGrants(fd, index, count)");
    return NULL;
  }
  struct ioctl_gntalloc_dealloc_gref op = {.index = (uint64_t)index, .count = count};
  if (ioctl((int)fd, IOCTL_GNTALLOC_DEALLOC_GREF, &op) < 0)
    return throw_errno(env, errno, "IOCTL_GNTALLOC_DEALLOC_GREF on /dev/xen/gntalloc");
  return NULL;
}

/* mapGrants(fd, domid, refs): index (IOCTL_GNTDEV_MAP_GRANT_REF); the pages are mapped by mmap at that offset. */
static napi_value map_grants(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint32_t fd, domid, count;
  bool is_array;
  if (!get_args(env, info, 3, argv) || !get_u32(env, argv[0], &fd) || !get_u32(env, argv[1], &domid) ||
      napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[2], &count) != napi_ok || domid > 0xffff || count == 0 || count > MAX_PAGES) {
    napi_throw_type_error(env, NULL, "mapGrants(fd, domid < 65536, refs: 1..1024 numbers)");
    return NULL;
  }
  size_t size = sizeof(struct ioctl_gntdev_map_grant_ref) + (count - 1) * sizeof(struct ioctl_gntdev_grant_ref);
  struct ioctl_gntdev_map_grant_ref *op = calloc(1, size);
  if (!op) return throw_errno(env, ENOMEM, "mapGrants");
  op->count = count;
  for (uint32_t i = 0; i < count; i++) {
    napi_value ref;
    uint32_t r;
    if (napi_get_element(env, argv[2], i, &ref) != napi_ok || !get_u32(env, ref, &r)) {
      free(op);
      napi_throw_type_error(env, NULL, "mapGrants: every grant reference must be a number");
      return NULL;
    }
    op->refs[i].domid = domid;
    op->refs[i].ref = r;
  }
  if (ioctl((int)fd, IOCTL_GNTDEV_MAP_GRANT_REF, op) < 0) {
    int err = errno;
    free(op);
    return throw_errno(env, err, "IOCTL_GNTDEV_MAP_GRANT_REF on /dev/xen/gntdev");
  }
  napi_value index = number(env, (double)op->index);
  free(op);
  return index;
}

/* unmapGrants(fd, index, count) (IOCTL_GNTDEV_UNMAP_GRANT_REF): takes effect once the pages are unmapped. */
static napi_value unmap_grants(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint32_t fd, count;
  int64_t index;
  if (!get_args(env, info, 3, argv) || !get_u32(env, argv[0], &fd) ||
      napi_get_value_int64(env, argv[1], &index) != napi_ok || index < 0 || !get_u32(env, argv[2], &count)) {
    napi_throw_type_error(env, NULL, "unmapGrants(fd, index, count)");
    return NULL;
  }
  struct ioctl_gntdev_unmap_grant_ref op = {.index = (uint64_t)index, .count = count};
  if (ioctl((int)fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &op) < 0)
    return throw_errno(env, errno, "IOCTL_GNTDEV_UNMAP_GRANT_REF on /dev/xen/gntdev");
  return NULL;
}

static void release_mapping(mapping_t *m) {
  if (--m->refs == 0) free(m);
}

static void finalize_buffer(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  mapping_t *m = hint;
  if (!m->unmapped) {
    m->unmapped = 1;
    munmap(m->addr, m->length);
  }
  release_mapping(m);
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release_mapping(data);
}

/* mmapPages(fd, index, length, writable): an ArrayBuffer over the pages (munmapped by unmapPages or when collected). */
static napi_value mmap_pages(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  uint32_t fd, length;
  int64_t index;
  bool writable;
  if (!get_args(env, info, 4, argv) || !get_u32(env, argv[0], &fd) ||
      napi_get_value_int64(env, argv[1], &index) != napi_ok || index < 0 || !get_u32(env, argv[2], &length) ||
      length == 0 || napi_get_value_bool(env, argv[3], &writable) != napi_ok) {
    napi_throw_type_error(env, NULL, "mmapPages(fd, index, length > 0, writable)");
    return NULL;
  }
  void *addr = mmap(NULL, length, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, (int)fd, (off_t)index);
  if (addr == MAP_FAILED) return throw_errno(env, errno, "mmap of granted pages");
  mapping_t *m = calloc(1, sizeof *m);
  if (!m) {
    munmap(addr, length);
    return throw_errno(env, ENOMEM, "mmapPages");
  }
  m->addr = addr;
  m->length = length;
  m->refs = 1;
  napi_value buffer, wrapper;
  if (napi_create_external_arraybuffer(env, addr, length, finalize_buffer, m, &buffer) != napi_ok) {
    munmap(addr, length);
    free(m);
    napi_throw_error(env, NULL, "mmapPages: cannot make an ArrayBuffer over the mapping");
    return NULL;
  }
  /* The ArrayBuffer and the record that unmapPages needs travel together. */
  napi_create_object(env, &wrapper);
  napi_set_named_property(env, wrapper, "buffer", buffer);
  napi_value handle;
  if (napi_create_external(env, m, finalize_handle, NULL, &handle) == napi_ok) m->refs++;
  napi_set_named_property(env, wrapper, "handle", handle);
  return wrapper;
}

/* unmapPages({ buffer, handle }): munmap now and detach the ArrayBuffer, so later use sees a zero-length buffer. */
static napi_value unmap_pages(napi_env env, napi_callback_info info) {
  napi_value argv[1], buffer, handle;
  mapping_t *m = NULL;
  if (!get_args(env, info, 1, argv) || napi_get_named_property(env, argv[0], "buffer", &buffer) != napi_ok ||
      napi_get_named_property(env, argv[0], "handle", &handle) != napi_ok ||
      napi_get_value_external(env, handle, (void **)&m) != napi_ok || !m) {
    napi_throw_type_error(env, NULL, "unmapPages(mapping from mmapPages)");
    return NULL;
  }
  if (m->unmapped) return NULL;
  m->unmapped = 1;
  munmap(m->addr, m->length);
  napi_detach_arraybuffer(env, buffer);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"allocGrants", NULL, alloc_grants, NULL, NULL, NULL, napi_enumerable, NULL},
      {"deallocGrants", NULL, dealloc_grants, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mapGrants", NULL, map_grants, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unmapGrants", NULL, unmap_grants, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mmapPages", NULL, mmap_pages, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unmapPages", NULL, unmap_pages, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}
