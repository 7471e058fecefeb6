/*
 * What the disk would hold after a power cut, kept beside the real files of one directory.
 *
 * Loaded with LD_PRELOAD into a process that writes files in DISK_IMAGE_WATCH. For every
 * regular file there (SQLite's -shm excepted: SQLite rebuilds it from the WAL when it opens
 * a database no other process has open) it keeps, in DISK_IMAGE_DIR:
 *   NAME          the file as of its last fsync/fdatasync: what a cut cannot take away;
 *   NAME.pending  every write and truncation since then, in order: what a cut may or may not
 *                 have let reach the disk, whole, torn or not at all.
 * Writes are appended to NAME.pending as they happen and applied to NAME when the file is
 * synced, before the sync returns to the program, so anything the program acknowledged
 * after a sync is in NAME. Names (creation, rename, unlink) count as durable at once: only
 * file contents wait for a sync. The real files are untouched: the program runs as usual.
 *
 * With DISK_IMAGE_CUTS and DISK_IMAGE_CUT_EVERY=N it also takes a cut just before the
 * k-th write, truncation or sync of a watched file when k is a power of two (many cuts
 * while the files are young) or a multiple of N, wherever the program is (between two
 * frames of a transaction, before its sync, in a checkpoint): DISK_IMAGE_CUTS/<n>/ gets a
 * copy of every NAME and NAME.pending, and `at`, the CLOCK_MONOTONIC instant in
 * nanoseconds (Node's process.hrtime clock), taken before the copy while no write can
 * happen.
 *
 * A pending record: u64 offset, u64 length, u32 kind (1 write, 2 truncate to offset),
 * u32 zero, then `length` bytes of data for a write.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536
#define MAX_FILES 64

enum { RECORD_WRITE = 1, RECORD_TRUNCATE = 2 };

struct record {
  uint64_t offset;
  uint64_t length;
  uint32_t kind;
  uint32_t zero;
};

struct image {
  char name[NAME_MAX + 1];
  int durable; /* fd of NAME in the image directory */
  int pending; /* fd of NAME.pending, opened for appending */
  int used;
};

static struct image images[MAX_FILES];
static struct image *watched[MAX_FDS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char image_dir[PATH_MAX];
static char watch_dir[PATH_MAX];
static int enabled;
static char cuts_dir[PATH_MAX];
static long cut_every;
static long operations;
static int cuts_taken;

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_unlink)(const char *);

static void die(const char *what) {
  fprintf(stderr, "disk-image: %s: %s\n", what, strerror(errno));
  abort();
}

__attribute__((constructor)) static void setup(void) {
  real_open = dlsym(RTLD_NEXT, "open");
  real_openat = dlsym(RTLD_NEXT, "openat");
  real_close = dlsym(RTLD_NEXT, "close");
  real_write = dlsym(RTLD_NEXT, "write");
  real_pwrite = dlsym(RTLD_NEXT, "pwrite");
  real_writev = dlsym(RTLD_NEXT, "writev");
  real_pwritev = dlsym(RTLD_NEXT, "pwritev");
  real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
  real_fsync = dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
  real_rename = dlsym(RTLD_NEXT, "rename");
  real_renameat = dlsym(RTLD_NEXT, "renameat");
  real_unlink = dlsym(RTLD_NEXT, "unlink");
  const char *images_env = getenv("DISK_IMAGE_DIR");
  const char *watch_env = getenv("DISK_IMAGE_WATCH");
  if (!images_env || !watch_env) return;
  if (!realpath(images_env, image_dir) || !realpath(watch_env, watch_dir)) die("DISK_IMAGE_DIR or DISK_IMAGE_WATCH");
  enabled = 1;
  const char *cuts_env = getenv("DISK_IMAGE_CUTS");
  const char *every_env = getenv("DISK_IMAGE_CUT_EVERY");
  if (cuts_env && every_env) {
    if (!realpath(cuts_env, cuts_dir)) die("DISK_IMAGE_CUTS");
    cut_every = atol(every_env);
  }
}

/* The name of `path` when it is a file directly in the watched directory (not a -shm), else NULL. */
static const char *watched_name(int dirfd, const char *path, char *buffer) {
  char joined[PATH_MAX];
  if (path[0] == '/') {
    snprintf(joined, sizeof joined, "%s", path);
  } else if (dirfd == AT_FDCWD) {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return NULL;
    snprintf(joined, sizeof joined, "%s/%s", cwd, path);
  } else {
    return NULL;
  }
  const char *slash = strrchr(joined, '/');
  size_t dir_length = (size_t)(slash - joined);
  char directory[PATH_MAX];
  memcpy(directory, joined, dir_length);
  directory[dir_length] = '\0';
  char resolved[PATH_MAX];
  if (!realpath(dir_length ? directory : "/", resolved) || strcmp(resolved, watch_dir) != 0) return NULL;
  const char *name = slash + 1;
  size_t length = strlen(name);
  if (length == 0 || (length > 4 && strcmp(name + length - 4, "-shm") == 0)) return NULL;
  snprintf(buffer, NAME_MAX + 1, "%s", name);
  return buffer;
}

static struct image *find_image(const char *name) {
  for (int index = 0; index < MAX_FILES; index++) {
    if (images[index].used && strcmp(images[index].name, name) == 0) return &images[index];
  }
  return NULL;
}

static void image_path(char *out, const char *name, const char *suffix) {
  snprintf(out, PATH_MAX, "%s/%s%s", image_dir, name, suffix);
}

static void copy_file(int from, const char *to) {
  int target = real_open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (target < 0) die(to);
  char buffer[65536];
  for (off_t offset = 0;;) {
    ssize_t got = pread(from, buffer, sizeof buffer, offset);
    if (got < 0) die("reading a file to copy");
    if (got == 0) break;
    if (real_pwrite(target, buffer, (size_t)got, offset) != got) die("writing a copy");
    offset += got;
  }
  real_close(target);
}

/* The image of a file first opened now: its content so far counts as on the disk. */
static struct image *open_image(const char *name) {
  struct image *image = find_image(name);
  if (image) return image;
  for (int index = 0; index < MAX_FILES && !image; index++) {
    if (!images[index].used) image = &images[index];
  }
  if (!image) die("too many files");
  char original[PATH_MAX];
  snprintf(original, sizeof original, "%s/%s", watch_dir, name);
  int source = real_open(original, O_RDONLY | O_CLOEXEC);
  if (source < 0) die(original);
  char path[PATH_MAX];
  image_path(path, name, "");
  copy_file(source, path);
  real_close(source);
  int durable = real_open(path, O_RDWR | O_CLOEXEC);
  if (durable < 0) die(path);
  image_path(path, name, ".pending");
  int pending = real_open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (pending < 0) die(path);
  snprintf(image->name, sizeof image->name, "%s", name);
  image->durable = durable;
  image->pending = pending;
  image->used = 1;
  return image;
}

static void append(struct image *image, uint32_t kind, uint64_t offset, const void *data, uint64_t length) {
  struct record record = {offset, length, kind, 0};
  struct iovec parts[2] = {{&record, sizeof record}, {(void *)data, (size_t)length}};
  int count = kind == RECORD_WRITE ? 2 : 1;
  ssize_t expected = (ssize_t)(sizeof record + (kind == RECORD_WRITE ? length : 0));
  if (real_writev(image->pending, parts, count) != expected) die("appending a pending write");
}

/* The file was synced: everything pending is now on the disk. */
static void settle(struct image *image) {
  off_t end = lseek(image->pending, 0, SEEK_END);
  char *data = NULL;
  for (off_t at = 0; at < end;) {
    struct record record;
    if (pread(image->pending, &record, sizeof record, at) != (ssize_t)sizeof record) die("reading a pending record");
    at += sizeof record;
    if (record.kind == RECORD_TRUNCATE) {
      if (real_ftruncate(image->durable, (off_t)record.offset) != 0) die("truncating the image");
      continue;
    }
    data = realloc(data, record.length ? record.length : 1);
    if (!data) die("memory");
    if (pread(image->pending, data, record.length, at) != (ssize_t)record.length) die("reading pending data");
    at += (off_t)record.length;
    if (real_pwrite(image->durable, data, record.length, (off_t)record.offset) != (ssize_t)record.length)
      die("applying a write to the image");
  }
  free(data);
  if (real_ftruncate(image->pending, 0) != 0) die("emptying the pending writes");
}

/* Called with the lock held, before an operation on a watched file. */
static void maybe_cut(void) {
  if (cut_every <= 0) return;
  operations++;
  if ((operations & (operations - 1)) != 0 && operations % cut_every != 0) return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/%d", cuts_dir, cuts_taken++);
  if (mkdir(dir, 0700) != 0) die(dir);
  char path[PATH_MAX];
  for (int index = 0; index < MAX_FILES; index++) {
    if (!images[index].used) continue;
    snprintf(path, sizeof path, "%s/%s", dir, images[index].name);
    copy_file(images[index].durable, path);
    snprintf(path, sizeof path, "%s/%s.pending", dir, images[index].name);
    copy_file(images[index].pending, path);
  }
  snprintf(path, sizeof path, "%s/at", dir);
  int at = real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (at < 0) die(path);
  char text[32];
  int length = snprintf(text, sizeof text, "%lld", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
  if (real_write(at, text, (size_t)length) != length) die(path);
  real_close(at);
}

static int track_open(int dirfd, const char *path, int flags, int fd) {
  if (!enabled || fd < 0) return fd;
  char buffer[NAME_MAX + 1];
  const char *name = watched_name(dirfd, path, buffer);
  struct stat status;
  if (!name || fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) return fd;
  if (fd >= MAX_FDS) die("descriptor out of range");
  pthread_mutex_lock(&lock);
  struct image *image = find_image(name);
  if (!image) {
    image = open_image(name);
  } else if (flags & O_TRUNC) {
    append(image, RECORD_TRUNCATE, 0, NULL, 0);
  }
  watched[fd] = image;
  pthread_mutex_unlock(&lock);
  return fd;
}

static int mode_of(int flags, va_list arguments) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(arguments, int) : 0;
}

int open(const char *path, int flags, ...) {
  va_list arguments;
  va_start(arguments, flags);
  int mode = mode_of(flags, arguments);
  va_end(arguments);
  return track_open(AT_FDCWD, path, flags, real_open(path, flags, mode));
}

int open64(const char *path, int flags, ...) {
  va_list arguments;
  va_start(arguments, flags);
  int mode = mode_of(flags, arguments);
  va_end(arguments);
  return track_open(AT_FDCWD, path, flags, real_open(path, flags, mode));
}

/* What _FORTIFY_SOURCE builds call for a two-argument open. */
int __open_2(const char *path, int flags) {
  return track_open(AT_FDCWD, path, flags, real_open(path, flags, 0));
}

int __open64_2(const char *path, int flags) {
  return track_open(AT_FDCWD, path, flags, real_open(path, flags, 0));
}

int openat(int dirfd, const char *path, int flags, ...) {
  va_list arguments;
  va_start(arguments, flags);
  int mode = mode_of(flags, arguments);
  va_end(arguments);
  return track_open(dirfd, path, flags, real_openat(dirfd, path, flags, mode));
}

int openat64(int dirfd, const char *path, int flags, ...) {
  va_list arguments;
  va_start(arguments, flags);
  int mode = mode_of(flags, arguments);
  va_end(arguments);
  return track_open(dirfd, path, flags, real_openat(dirfd, path, flags, mode));
}

int close(int fd) {
  if (fd >= 0 && fd < MAX_FDS && watched[fd]) {
    pthread_mutex_lock(&lock);
    watched[fd] = NULL;
    pthread_mutex_unlock(&lock);
  }
  return real_close(fd);
}

static struct image *image_of(int fd) {
  return fd >= 0 && fd < MAX_FDS ? watched[fd] : NULL;
}

static void record_vector(struct image *image, const struct iovec *parts, int count, off_t offset, ssize_t written) {
  for (int index = 0; index < count && written > 0; index++) {
    size_t length = parts[index].iov_len < (size_t)written ? parts[index].iov_len : (size_t)written;
    append(image, RECORD_WRITE, (uint64_t)offset, parts[index].iov_base, length);
    offset += (off_t)length;
    written -= (ssize_t)length;
  }
}

/* Where a write at the file position lands (at the end with O_APPEND). */
static off_t position(int fd) {
  if (fcntl(fd, F_GETFL) & O_APPEND) return lseek(fd, 0, SEEK_END);
  return lseek(fd, 0, SEEK_CUR);
}

ssize_t write(int fd, const void *data, size_t length) {
  struct image *image = image_of(fd);
  if (!image) return real_write(fd, data, length);
  pthread_mutex_lock(&lock);
  maybe_cut();
  off_t offset = position(fd);
  ssize_t written = real_write(fd, data, length);
  if (written > 0) append(image, RECORD_WRITE, (uint64_t)offset, data, (uint64_t)written);
  pthread_mutex_unlock(&lock);
  return written;
}

ssize_t pwrite(int fd, const void *data, size_t length, off_t offset) {
  struct image *image = image_of(fd);
  if (!image) return real_pwrite(fd, data, length, offset);
  pthread_mutex_lock(&lock);
  maybe_cut();
  ssize_t written = real_pwrite(fd, data, length, offset);
  if (written > 0) append(image, RECORD_WRITE, (uint64_t)offset, data, (uint64_t)written);
  pthread_mutex_unlock(&lock);
  return written;
}

ssize_t pwrite64(int fd, const void *data, size_t length, off_t offset) {
  return pwrite(fd, data, length, offset);
}

ssize_t writev(int fd, const struct iovec *parts, int count) {
  struct image *image = image_of(fd);
  if (!image) return real_writev(fd, parts, count);
  pthread_mutex_lock(&lock);
  maybe_cut();
  off_t offset = position(fd);
  ssize_t written = real_writev(fd, parts, count);
  record_vector(image, parts, count, offset, written);
  pthread_mutex_unlock(&lock);
  return written;
}

ssize_t pwritev(int fd, const struct iovec *parts, int count, off_t offset) {
  struct image *image = image_of(fd);
  if (!image) return real_pwritev(fd, parts, count, offset);
  pthread_mutex_lock(&lock);
  maybe_cut();
  ssize_t written = real_pwritev(fd, parts, count, offset);
  record_vector(image, parts, count, offset, written);
  pthread_mutex_unlock(&lock);
  return written;
}

ssize_t pwritev64(int fd, const struct iovec *parts, int count, off_t offset) {
  return pwritev(fd, parts, count, offset);
}

int ftruncate(int fd, off_t length) {
  struct image *image = image_of(fd);
  if (!image) return real_ftruncate(fd, length);
  pthread_mutex_lock(&lock);
  maybe_cut();
  int result = real_ftruncate(fd, length);
  if (result == 0) append(image, RECORD_TRUNCATE, (uint64_t)length, NULL, 0);
  pthread_mutex_unlock(&lock);
  return result;
}

int ftruncate64(int fd, off_t length) {
  return ftruncate(fd, length);
}

static int synced(int fd, int (*sync)(int)) {
  struct image *image = image_of(fd);
  if (!image) return sync(fd);
  pthread_mutex_lock(&lock);
  maybe_cut();
  int result = sync(fd);
  if (result == 0) settle(image);
  pthread_mutex_unlock(&lock);
  return result;
}

int fsync(int fd) {
  return synced(fd, real_fsync);
}

int fdatasync(int fd) {
  return synced(fd, real_fdatasync);
}

/*
 * The file no longer has its name: what descriptors still open on it write is no longer
 * anything a cut could leave under that name.
 */
static void forget(struct image *image, int remove_files) {
  for (int fd = 0; fd < MAX_FDS; fd++) {
    if (watched[fd] == image) watched[fd] = NULL;
  }
  real_close(image->durable);
  real_close(image->pending);
  if (remove_files) {
    char path[PATH_MAX];
    image_path(path, image->name, "");
    real_unlink(path);
    image_path(path, image->name, ".pending");
    real_unlink(path);
  }
  image->used = 0;
}

/* A renamed file keeps its image and its pending writes under the new name. */
static void renamed(int old_dirfd, const char *old_path, int new_dirfd, const char *new_path) {
  char old_buffer[NAME_MAX + 1];
  char new_buffer[NAME_MAX + 1];
  const char *old_name = watched_name(old_dirfd, old_path, old_buffer);
  const char *new_name = watched_name(new_dirfd, new_path, new_buffer);
  if (!old_name && !new_name) return;
  pthread_mutex_lock(&lock);
  struct image *replaced = new_name ? find_image(new_name) : NULL;
  struct image *moved = old_name ? find_image(old_name) : NULL;
  char from[PATH_MAX];
  char to[PATH_MAX];
  /* The replaced file's image files are overwritten by the moved ones just below. */
  if (replaced && replaced != moved) forget(replaced, moved == NULL);
  if (moved && new_name) {
    image_path(from, moved->name, "");
    image_path(to, new_name, "");
    if (real_rename(from, to) != 0) die("renaming the image");
    image_path(from, moved->name, ".pending");
    image_path(to, new_name, ".pending");
    if (real_rename(from, to) != 0) die("renaming the pending writes");
    snprintf(moved->name, sizeof moved->name, "%s", new_name);
  } else if (moved) {
    /* Moved out of the watched directory: it is gone from there. */
    forget(moved, 1);
  }
  pthread_mutex_unlock(&lock);
}

int rename(const char *old_path, const char *new_path) {
  int result = real_rename(old_path, new_path);
  if (result == 0 && enabled) renamed(AT_FDCWD, old_path, AT_FDCWD, new_path);
  return result;
}

int renameat(int old_dirfd, const char *old_path, int new_dirfd, const char *new_path) {
  int result = real_renameat(old_dirfd, old_path, new_dirfd, new_path);
  if (result == 0 && enabled) renamed(old_dirfd, old_path, new_dirfd, new_path);
  return result;
}

int unlink(const char *path) {
  int result = real_unlink(path);
  if (result != 0 || !enabled) return result;
  char buffer[NAME_MAX + 1];
  const char *name = watched_name(AT_FDCWD, path, buffer);
  if (!name) return result;
  pthread_mutex_lock(&lock);
  struct image *image = find_image(name);
  if (image) forget(image, 1);
  pthread_mutex_unlock(&lock);
  return result;
}
