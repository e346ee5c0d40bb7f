/*
 * The portable fmagent's launcher: linked statically so it starts on any
 * x86_64 Linux (kernel >= 3.2) whatever libc the rootfs has, or none.
 *
 * It reads the trailer at the end of its own file (payload_format.h),
 * extracts the payload once per user into a cache directory named by the
 * payload's hash (into a temporary directory, then one rename, so a reader
 * sees all of it or nothing), and then replaces itself (execve) with the
 * command the manifest names: the bundled ld-linux running the bundled Deno
 * on the bundled app. Because it execs rather than spawns, the pid, stdio,
 * signals and exit status are the app's own.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "payload_format.h"

extern char **environ;

static const char *const HINT = "set FMAGENT_CACHE_DIR to a private, writable directory";

/* A partial extraction to remove if we fail; empty when there is none. */
static char cleanup_dir[PATH_MAX];

static void remove_tree(const char *path);

/* One line on stderr in fmagent's style, then exit 1 after removing any partial extraction. */
static void die(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("fmagent: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  if (cleanup_dir[0] != '\0') remove_tree(cleanup_dir);
  exit(1);
}

static void join(char *out, const char *a, const char *b) {
  if ((size_t)snprintf(out, PATH_MAX, "%s/%s", a, b) >= PATH_MAX) die("path too long: %s/%s", a, b);
}

static uint64_t le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  if (type == FTW_DP) rmdir(path);
  else unlink(path);
  return 0;
}

static void remove_tree(const char *path) {
  nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the trailer and the manifest -------------------------------------- */

struct bundle {
  int fd;
  uint64_t file_size;
  uint64_t payload_offset;
  uint64_t payload_size;
  char hash[TRAILER_HASH_SIZE + 1];
  char *manifest; /* NUL-terminated strings */
  size_t manifest_size;
};

static void read_exactly(int fd, void *into, size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd, (char *)into + done, size - done, (off_t)(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("cannot read own executable: %s", n < 0 ? strerror(errno) : "unexpected end");
    done += (size_t)n;
  }
}

static void open_bundle(struct bundle *b) {
  b->fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (b->fd < 0) {
    /* No /proc (a bare chroot): the path the kernel was asked to execute. */
    const char *path = (const char *)getauxval(AT_EXECFN);
    if (path != NULL) b->fd = open(path, O_RDONLY | O_CLOEXEC);
  }
  if (b->fd < 0) die("cannot open own executable (is /proc mounted?): %s", strerror(errno));
  struct stat st;
  if (fstat(b->fd, &st) != 0) die("cannot stat own executable: %s", strerror(errno));
  b->file_size = (uint64_t)st.st_size;
  unsigned char t[TRAILER_SIZE];
  if (b->file_size < TRAILER_SIZE) die("cannot start: this file has no payload (truncated copy?)");
  read_exactly(b->fd, t, TRAILER_SIZE, b->file_size - TRAILER_SIZE);
  if (memcmp(t, TRAILER_MAGIC, TRAILER_MAGIC_SIZE) != 0) {
    die("cannot start: this file has no payload (truncated copy?)");
  }
  b->payload_offset = le64(t + TRAILER_PAYLOAD_OFFSET);
  b->payload_size = le64(t + TRAILER_PAYLOAD_SIZE);
  uint64_t manifest_offset = le64(t + TRAILER_MANIFEST_OFFSET);
  uint64_t manifest_size = le64(t + TRAILER_MANIFEST_SIZE);
  uint64_t end = b->file_size - TRAILER_SIZE;
  if (b->payload_offset > end || b->payload_size > end - b->payload_offset ||
      manifest_offset < b->payload_offset + b->payload_size || manifest_offset > end ||
      manifest_size > end - manifest_offset || manifest_size == 0 || manifest_size > 65536) {
    die("cannot start: corrupt trailer (truncated copy?)");
  }
  memcpy(b->hash, t + TRAILER_HASH, TRAILER_HASH_SIZE);
  b->hash[TRAILER_HASH_SIZE] = '\0';
  for (int i = 0; i < TRAILER_HASH_SIZE; i++) {
    char c = b->hash[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) die("cannot start: corrupt trailer");
  }
  b->manifest_size = (size_t)manifest_size;
  b->manifest = malloc(b->manifest_size + 1);
  if (b->manifest == NULL) die("out of memory");
  read_exactly(b->fd, b->manifest, b->manifest_size, manifest_offset);
  b->manifest[b->manifest_size] = '\0';
}

/* ---- the cache directory ----------------------------------------------- */

/* mkdir that accepts an existing directory; returns 0 or an errno. */
static int make_dir(const char *path) {
  if (mkdir(path, 0700) == 0 || errno == EEXIST) return 0;
  return errno;
}

/* Creates `path` and its missing parents (each 0700). */
static int make_dirs(const char *path) {
  char partial[PATH_MAX];
  size_t n = strlen(path);
  if (n >= PATH_MAX) return ENAMETOOLONG;
  for (size_t i = 1; i <= n; i++) {
    if (path[i] == '/' || path[i] == '\0') {
      memcpy(partial, path, i);
      partial[i] = '\0';
      int error = make_dir(partial);
      if (error != 0) return error;
    }
  }
  return 0;
}

/* A directory we may trust: ours, and not writable by everyone. */
static void check_private(const char *path, int follow) {
  struct stat st;
  if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
    die("cannot use cache directory %s: %s (%s)", path, strerror(errno), HINT);
  }
  if (!S_ISDIR(st.st_mode)) die("cannot use cache directory %s: not a directory (%s)", path, HINT);
  if (st.st_uid != geteuid()) {
    die("cannot use cache directory %s: owned by uid %u, not by uid %u (%s)", path,
        (unsigned)st.st_uid, (unsigned)geteuid(), HINT);
  }
  if (st.st_mode & S_IWOTH) die("cannot use cache directory %s: it is world-writable (%s)", path, HINT);
}

/* $FMAGENT_CACHE_DIR, else $XDG_CACHE_HOME/fmagent, ~/.cache/fmagent, /tmp/fmagent-UID. */
static void choose_cache_dir(char *base) {
  const char *env = getenv("FMAGENT_CACHE_DIR");
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  int shared_parent = 0;
  if (env != NULL && env[0] != '\0') {
    if ((size_t)snprintf(base, PATH_MAX, "%s", env) >= PATH_MAX) die("FMAGENT_CACHE_DIR too long");
  } else if (xdg != NULL && xdg[0] == '/') {
    join(base, xdg, "fmagent");
  } else if (home != NULL && home[0] == '/' && strcmp(home, "/") != 0) {
    if ((size_t)snprintf(base, PATH_MAX, "%s/.cache/fmagent", home) >= PATH_MAX) die("HOME too long");
  } else {
    snprintf(base, PATH_MAX, "/tmp/fmagent-%u", (unsigned)geteuid());
    shared_parent = 1;
  }
  /* In /tmp anyone could have made the name first: only our own real directory will do. */
  int error = shared_parent ? make_dir(base) : make_dirs(base);
  if (error != 0) die("cannot create cache directory %s: %s (%s)", base, strerror(error), HINT);
  check_private(base, !shared_parent);
}

/* ---- extraction -------------------------------------------------------- */

enum parse_state { WANT_HEADER, WANT_PATH, WANT_DATA, AT_END };

struct extraction {
  int root_fd;
  enum parse_state state;
  unsigned char header[ENTRY_HEADER_SIZE];
  size_t have;
  char path[ENTRY_PATH_MAX + 1];
  uint32_t path_len;
  uint32_t mode;
  uint64_t remaining;
  int file_fd;
};

static void check_entry_path(const char *path) {
  if (path[0] == '/' || strstr(path, "..") != NULL || strstr(path, "//") != NULL) {
    die("cannot extract: corrupt payload (entry path %s)", path);
  }
}

static void start_entry(struct extraction *x) {
  x->path[x->path_len] = '\0';
  check_entry_path(x->path);
  if ((x->mode & S_IFMT) == S_IFDIR) {
    if (mkdirat(x->root_fd, x->path, x->mode & 0777) != 0) {
      die("cannot extract %s: %s (%s)", x->path, strerror(errno), HINT);
    }
    x->state = WANT_HEADER;
    return;
  }
  x->file_fd = openat(x->root_fd, x->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      x->mode & 0777);
  if (x->file_fd < 0) die("cannot extract %s: %s (%s)", x->path, strerror(errno), HINT);
  x->state = WANT_DATA;
}

static void finish_file(struct extraction *x) {
  if (close(x->file_fd) != 0) die("cannot extract %s: %s (%s)", x->path, strerror(errno), HINT);
  x->file_fd = -1;
  x->state = WANT_HEADER;
}

/* Consumes decompressed archive bytes: a small state machine, so entries may span buffers. */
static void consume(struct extraction *x, const unsigned char *p, size_t n) {
  while (n > 0) {
    size_t take;
    switch (x->state) {
      case WANT_HEADER:
        take = ENTRY_HEADER_SIZE - x->have < n ? ENTRY_HEADER_SIZE - x->have : n;
        memcpy(x->header + x->have, p, take);
        x->have += take;
        if (x->have == ENTRY_HEADER_SIZE) {
          x->have = 0;
          x->path_len = le32(x->header);
          x->mode = le32(x->header + 4);
          x->remaining = le64(x->header + 8);
          if (x->path_len == 0) x->state = AT_END;
          else if (x->path_len > ENTRY_PATH_MAX) die("cannot extract: corrupt payload (path length)");
          else x->state = WANT_PATH;
        }
        break;
      case WANT_PATH:
        take = x->path_len - x->have < n ? x->path_len - x->have : n;
        memcpy(x->path + x->have, p, take);
        x->have += take;
        if (x->have == x->path_len) {
          x->have = 0;
          start_entry(x);
          if (x->state == WANT_DATA && x->remaining == 0) finish_file(x);
        }
        break;
      case WANT_DATA: {
        take = x->remaining < n ? (size_t)x->remaining : n;
        ssize_t written = write(x->file_fd, p, take);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) die("cannot extract %s: %s (%s)", x->path, strerror(errno), HINT);
        take = (size_t)written;
        x->remaining -= take;
        if (x->remaining == 0) finish_file(x);
        break;
      }
      case AT_END:
      default:
        die("cannot extract: corrupt payload (data after the end)");
    }
    p += take;
    n -= take;
  }
}

static unsigned char out_buffer[4 << 20];

static void extract(const struct bundle *b, const char *into) {
  struct extraction x = {.state = WANT_HEADER, .file_fd = -1};
  x.root_fd = open(into, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (x.root_fd < 0) die("cannot extract to %s: %s (%s)", into, strerror(errno), HINT);
  /* Map from the page holding the payload's start: mmap offsets must be page-aligned. */
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t map_start = b->payload_offset / page * page;
  size_t map_size = (size_t)(b->payload_offset + b->payload_size - map_start);
  unsigned char *map = mmap(NULL, map_size, PROT_READ, MAP_PRIVATE, b->fd, (off_t)map_start);
  if (map == MAP_FAILED) die("cannot map own executable: %s", strerror(errno));
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  if (dctx == NULL) die("out of memory");
  ZSTD_inBuffer in = {map + (b->payload_offset - map_start), (size_t)b->payload_size, 0};
  for (;;) {
    ZSTD_outBuffer out = {out_buffer, sizeof out_buffer, 0};
    size_t left = ZSTD_decompressStream(dctx, &out, &in);
    if (ZSTD_isError(left)) die("cannot extract: corrupt payload (%s)", ZSTD_getErrorName(left));
    consume(&x, out_buffer, out.pos);
    if (left == 0) break;
    if (in.pos == in.size && out.pos < out.size) die("cannot extract: truncated payload");
  }
  if (x.state != AT_END || in.pos != in.size) die("cannot extract: truncated payload");
  ZSTD_freeDCtx(dctx);
  munmap(map, map_size);
  close(x.root_fd);
}

/* A usable extraction: ours and a directory (a rename made it, so it is complete). */
static int is_ready(const char *dir) {
  struct stat st;
  if (lstat(dir, &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
    die("cannot use %s: not a directory of uid %u (%s)", dir, (unsigned)geteuid(), HINT);
  }
  return 1;
}

/* Removes our extractions that a killed run left behind (an hour old: no live run is that slow). */
static void sweep_stale(const char *base) {
  DIR *dir = opendir(base);
  if (dir == NULL) return;
  time_t now = time(NULL);
  for (struct dirent *e = readdir(dir); e != NULL; e = readdir(dir)) {
    if (strncmp(e->d_name, ".tmp-", 5) != 0) continue;
    char path[PATH_MAX];
    if ((size_t)snprintf(path, PATH_MAX, "%s/%s", base, e->d_name) >= PATH_MAX) continue;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && now - st.st_mtime > 3600) {
      remove_tree(path);
    }
  }
  closedir(dir);
}

/* Extracts into a fresh temporary directory and renames it into place; a concurrent run may win. */
static void ensure_extracted(const struct bundle *b, const char *base, const char *dir) {
  if (is_ready(dir)) return;
  /* Ctrl-C during extraction waits until it is cleaned up or complete, then takes effect. */
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  sigaddset(&block, SIGQUIT);
  sigprocmask(SIG_BLOCK, &block, &old);
  sweep_stale(base);
  if ((size_t)snprintf(cleanup_dir, PATH_MAX, "%s/.tmp-%s-XXXXXX", base, b->hash) >= PATH_MAX) {
    cleanup_dir[0] = '\0';
    die("cache path too long: %s", base);
  }
  if (mkdtemp(cleanup_dir) == NULL) {
    int error = errno;
    cleanup_dir[0] = '\0';
    die("cannot extract to %s: %s (%s)", base, strerror(error), HINT);
  }
  extract(b, cleanup_dir);
  if (rename(cleanup_dir, dir) != 0) {
    int error = errno;
    if (error != EEXIST && error != ENOTEMPTY) die("cannot extract to %s: %s (%s)", dir, strerror(error), HINT);
    remove_tree(cleanup_dir); /* another run finished first: use its copy */
  }
  cleanup_dir[0] = '\0';
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (!is_ready(dir)) die("cannot extract to %s: it vanished", dir);
}

/* ---- exec -------------------------------------------------------------- */

/* `template` with "{dir}" and "{argv0}" replaced; allocated. */
static char *expand(const char *template, const char *dir, const char *argv0) {
  size_t size = strlen(template) + 1;
  for (const char *p = template; (p = strstr(p, "{")) != NULL; p++) size += strlen(dir) + strlen(argv0);
  char *out = malloc(size);
  if (out == NULL) die("out of memory");
  char *o = out;
  for (const char *p = template; *p != '\0';) {
    if (strncmp(p, "{dir}", 5) == 0) {
      o = stpcpy(o, dir);
      p += 5;
    } else if (strncmp(p, "{argv0}", 7) == 0) {
      o = stpcpy(o, argv0);
      p += 7;
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  return out;
}

/* True when environment entry `entry` ("NAME=...") has the name `name` (given as "NAME=..." or "NAME"). */
static int same_name(const char *entry, const char *name) {
  size_t n = strcspn(name, "=");
  return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

static void run(const struct bundle *b, const char *dir, int argc, char **argv) {
  size_t strings = 0;
  for (size_t at = 0; at < b->manifest_size; at += strlen(b->manifest + at) + 1) strings++;
  size_t env_count = 0;
  while (environ[env_count] != NULL) env_count++;
  char **args = calloc(strings + (size_t)argc + 1, sizeof *args);
  char **env = calloc(env_count + strings + 1, sizeof *env);
  if (args == NULL || env == NULL) die("out of memory");
  size_t nargs = 0;
  size_t nenv = 0;
  for (size_t i = 0; i < env_count; i++) env[nenv++] = environ[i];
  const char *argv0 = argc > 0 ? argv[0] : "fmagent";
  for (size_t at = 0; at < b->manifest_size; at += strlen(b->manifest + at) + 1) {
    const char *item = b->manifest + at;
    if (strncmp(item, "arg:", 4) == 0) {
      args[nargs++] = expand(item + 4, dir, argv0);
    } else if (strncmp(item, "env:", 4) == 0 || strncmp(item, "unset:", 6) == 0) {
      const char *name = item + (item[0] == 'e' ? 4 : 6);
      size_t kept = 0;
      for (size_t i = 0; i < nenv; i++) {
        if (!same_name(env[i], name)) env[kept++] = env[i];
      }
      nenv = kept;
      if (item[0] == 'e') env[nenv++] = expand(name, dir, argv0);
    }
  }
  if (nargs == 0) die("cannot start: the manifest names no program");
  for (int i = 1; i < argc; i++) args[nargs++] = argv[i];
  args[nargs] = NULL;
  env[nenv] = NULL;
  execve(args[0], args, env);
  int error = errno;
  if (error == EACCES || error == EPERM) {
    die("cannot run %s: %s (a noexec mount? set FMAGENT_CACHE_DIR to a directory that allows programs)",
        args[0], strerror(error));
  }
  if (error == ENOENT) die("cannot run %s: %s (damaged cache: remove %s)", args[0], strerror(error), dir);
  die("cannot run %s: %s", args[0], strerror(error));
}

int main(int argc, char **argv) {
  struct bundle b;
  open_bundle(&b);
  char base[PATH_MAX];
  choose_cache_dir(base);
  char dir[PATH_MAX];
  join(dir, base, b.hash);
  ensure_extracted(&b, base, dir);
  close(b.fd);
  run(&b, dir, argc, argv);
  return 1;
}
