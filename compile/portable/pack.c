/*
 * Build-time tool: writes the portable binary's archive (see
 * payload_format.h) compressed as one zstd frame.
 *
 *   pack OUT LEVEL ROOT PATH...     (each PATH is relative to ROOT)
 *
 * Runs on the build machine only, so it links libzstd dynamically and uses
 * both cores: level 9 of a 95 MB Deno takes ~2.5 s on one core.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "payload_format.h"

static FILE *out;
static ZSTD_CCtx *cctx;
static unsigned char out_buffer[1 << 20];

static void fail(const char *what, const char *name) {
  fprintf(stderr, "pack: %s %s: %s\n", what, name, strerror(errno));
  exit(1);
}

/* Feeds `size` bytes to the compressor; `end` finishes the frame. */
static void compress(const void *data, size_t size, int end) {
  ZSTD_inBuffer in = {data, size, 0};
  ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
  for (;;) {
    ZSTD_outBuffer o = {out_buffer, sizeof out_buffer, 0};
    size_t left = ZSTD_compressStream2(cctx, &o, &in, mode);
    if (ZSTD_isError(left)) {
      fprintf(stderr, "pack: zstd: %s\n", ZSTD_getErrorName(left));
      exit(1);
    }
    if (o.pos > 0 && fwrite(out_buffer, 1, o.pos, out) != o.pos) fail("cannot write", "output");
    if (end ? left == 0 : in.pos == in.size) return;
  }
}

static void put_header(uint32_t path_len, uint32_t mode, uint64_t size) {
  unsigned char h[ENTRY_HEADER_SIZE];
  for (int i = 0; i < 4; i++) h[i] = (unsigned char)(path_len >> (8 * i));
  for (int i = 0; i < 4; i++) h[4 + i] = (unsigned char)(mode >> (8 * i));
  for (int i = 0; i < 8; i++) h[8 + i] = (unsigned char)(size >> (8 * i));
  compress(h, sizeof h, 0);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: pack OUT LEVEL ROOT PATH...\n");
    return 2;
  }
  out = fopen(argv[1], "wb");
  if (out == NULL) fail("cannot create", argv[1]);
  cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, atoi(argv[2]));
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, 2); /* ignored by a single-threaded libzstd */
  for (int i = 4; i < argc; i++) {
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", argv[3], argv[i]);
    int fd = open(full, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) fail("cannot open", full);
    size_t path_len = strlen(argv[i]);
    if (path_len == 0 || path_len >= ENTRY_PATH_MAX) {
      fprintf(stderr, "pack: bad path %s\n", argv[i]);
      return 2;
    }
    if (S_ISDIR(st.st_mode)) { /* listed before its files; carries no data */
      put_header((uint32_t)path_len, S_IFDIR | (st.st_mode & 0777), 0);
      compress(argv[i], path_len, 0);
      close(fd);
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      fprintf(stderr, "pack: %s is neither a file nor a directory\n", full);
      return 2;
    }
    put_header((uint32_t)path_len, st.st_mode & 0777, (uint64_t)st.st_size);
    compress(argv[i], path_len, 0);
    if (st.st_size > 0) {
      void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) fail("cannot map", full);
      compress(data, (size_t)st.st_size, 0);
      munmap(data, (size_t)st.st_size);
    }
    close(fd);
  }
  put_header(0, 0, 0);
  compress(NULL, 0, 1);
  if (fclose(out) != 0) fail("cannot write", argv[1]);
  ZSTD_freeCCtx(cctx);
  return 0;
}
