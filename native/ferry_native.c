// ferry's only native code: the OS calls Node does not expose — SO_PEERCRED on a Unix socket fd
// (who is the client), sd_notify (talk to systemd), and the *at() family used to open files relative
// to a held directory without following symlinks (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, with an
// O_NOFOLLOW walk where the kernel lacks openat2), SO_RCVLOWAT on a download's socket (fewer wake-ups
// per byte) and sendfile for an upload's body (no copy through JavaScript; on the thread pool, as a file
// read can wait on the disk). Plain C on node_api.h, no libsystemd link, so the
// addon builds anywhere the Node headers are; errors are thrown as Error{code, errno, syscall}.
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CHECK(env, call)                                                       \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error((env), "EADDON", "ferry_native: N-API call failed: " #call); \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

// An Error carrying the errno as `errno` and a symbolic `code` where we know the name, the way Node's
// own fs/net errors look, so the TypeScript side can wrap it once with the original as cause. NULL if
// N-API itself failed.
static napi_value errno_error(napi_env env, int err, const char* syscall) {
  const char* code = "EUNKNOWN";
  switch (err) {
    case EBADF: code = "EBADF"; break;
    case ENOTSOCK: code = "ENOTSOCK"; break;
    case ENOTCONN: code = "ENOTCONN"; break;
    case ENOPROTOOPT: code = "ENOPROTOOPT"; break;
    case ENOENT: code = "ENOENT"; break;
    case ECONNREFUSED: code = "ECONNREFUSED"; break;
    case EACCES: code = "EACCES"; break;
    case EPERM: code = "EPERM"; break;
    case EAGAIN: code = "EAGAIN"; break;
    case EMSGSIZE: code = "EMSGSIZE"; break;
    case ENAMETOOLONG: code = "ENAMETOOLONG"; break;
    case EINVAL: code = "EINVAL"; break;
    case ENOMEM: code = "ENOMEM"; break;
    case ELOOP: code = "ELOOP"; break;
    case EXDEV: code = "EXDEV"; break;
    case ENOTDIR: code = "ENOTDIR"; break;
    case EISDIR: code = "EISDIR"; break;
    case EEXIST: code = "EEXIST"; break;
    case ENOSYS: code = "ENOSYS"; break;
    case ENOSPC: code = "ENOSPC"; break;
    case EROFS: code = "EROFS"; break;
    case ENOTEMPTY: code = "ENOTEMPTY"; break;
    case EBUSY: code = "EBUSY"; break;
    case EIO: code = "EIO"; break;
    case EDQUOT: code = "EDQUOT"; break;
    case ENXIO: code = "ENXIO"; break;
    case EPIPE: code = "EPIPE"; break;
    case ECONNRESET: code = "ECONNRESET"; break;
    case ECONNABORTED: code = "ECONNABORTED"; break;
    case ETIMEDOUT: code = "ETIMEDOUT"; break;
    case EHOSTUNREACH: code = "EHOSTUNREACH"; break;
    case ENETUNREACH: code = "ENETUNREACH"; break;
    case ENETDOWN: code = "ENETDOWN"; break;
    default: break;
  }
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s (%s)", syscall, strerror(err), code);
  napi_value js_code, js_msg, error, js_errno, js_syscall;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &js_msg) != napi_ok ||
      napi_create_error(env, js_code, js_msg, &error) != napi_ok) {
    return NULL;
  }
  napi_create_int32(env, -err, &js_errno);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &js_syscall);
  napi_set_named_property(env, error, "errno", js_errno);
  napi_set_named_property(env, error, "syscall", js_syscall);
  return error;
}

static napi_value throw_errno(napi_env env, int err, const char* syscall) {
  napi_value error = errno_error(env, err, syscall);
  if (error == NULL) napi_throw_error(env, "EADDON", syscall);
  else napi_throw(env, error);
  return NULL;
}

// peerCred(fd) -> {pid, uid, gid}: the credentials the kernel recorded for the peer at connect()
// time; they cannot be forged by the client, which is why the API trusts them for ownership.
static napi_value peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type = napi_undefined;
  if (argc >= 1) CHECK(env, napi_typeof(env, argv[0], &type));
  if (type != napi_number) {
    napi_throw_type_error(env, "EINVAL", "peerCred(fd): fd must be a number");
    return NULL;
  }
  int32_t fd;
  CHECK(env, napi_get_value_int32(env, argv[0], &fd));
  if (fd < 0) return throw_errno(env, EBADF, "getsockopt(SO_PEERCRED)");

  struct ucred cred;
  socklen_t len = sizeof cred;
  memset(&cred, 0, sizeof cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return throw_errno(env, errno, "getsockopt(SO_PEERCRED)");
  }

  napi_value result, pid, uid, gid;
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_create_int32(env, (int32_t)cred.pid, &pid));
  CHECK(env, napi_create_uint32(env, (uint32_t)cred.uid, &uid));
  CHECK(env, napi_create_uint32(env, (uint32_t)cred.gid, &gid));
  CHECK(env, napi_set_named_property(env, result, "pid", pid));
  CHECK(env, napi_set_named_property(env, result, "uid", uid));
  CHECK(env, napi_set_named_property(env, result, "gid", gid));
  return result;
}

// sdNotify(state, socketPath?) -> boolean. Follows sd_notify(3): one datagram on an AF_UNIX
// SOCK_DGRAM socket; '@' means the abstract namespace (leading NUL, length without terminator).
// Returns false when there is no socket to talk to (not under systemd, or a vsock: address this
// minimal client does not speak); throws when a socket is named but the send fails.
static napi_value sd_notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type = napi_undefined;
  if (argc >= 1) CHECK(env, napi_typeof(env, argv[0], &type));
  if (type != napi_string) {
    napi_throw_type_error(env, "EINVAL", "sdNotify(state): state must be a string");
    return NULL;
  }
  size_t state_len;
  CHECK(env, napi_get_value_string_utf8(env, argv[0], NULL, 0, &state_len));
  char* state = malloc(state_len + 1);
  if (state == NULL) return throw_errno(env, ENOMEM, "malloc");
  napi_get_value_string_utf8(env, argv[0], state, state_len + 1, &state_len);

  // The socket path: an explicit second argument wins (tests, callers that captured the env
  // early); otherwise $NOTIFY_SOCKET, exactly like libsystemd.
  char path_buf[sizeof(((struct sockaddr_un*)0)->sun_path) + 1];
  const char* path = NULL;
  napi_valuetype path_type = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &path_type);
  if (path_type == napi_string) {
    size_t plen;
    napi_get_value_string_utf8(env, argv[1], NULL, 0, &plen);
    if (plen >= sizeof path_buf) {
      free(state);
      return throw_errno(env, ENAMETOOLONG, "sd_notify");
    }
    napi_get_value_string_utf8(env, argv[1], path_buf, sizeof path_buf, &plen);
    path = path_buf;
  } else {
    path = getenv("NOTIFY_SOCKET");
  }

  napi_value result;
  if (path == NULL || path[0] == '\0' || (path[0] != '/' && path[0] != '@')) {
    free(state);
    CHECK(env, napi_get_boolean(env, false, &result));
    return result;
  }

  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t path_len = strlen(path);
  if (path_len > sizeof addr.sun_path || (path[0] == '/' && path_len == sizeof addr.sun_path)) {
    free(state);
    return throw_errno(env, ENAMETOOLONG, "sd_notify");
  }
  memcpy(addr.sun_path, path, path_len);
  if (path[0] == '@') addr.sun_path[0] = '\0';
  // Abstract names are length-delimited, so the address length must not include a terminator.
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len +
                                   (path[0] == '/' ? 1 : 0));

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    free(state);
    return throw_errno(env, err, "socket");
  }
  ssize_t sent = sendto(fd, state, state_len, MSG_NOSIGNAL, (struct sockaddr*)&addr, addr_len);
  int err = errno;
  close(fd);
  free(state);
  if (sent < 0) return throw_errno(env, err, "sendto");

  CHECK(env, napi_get_boolean(env, true, &result));
  return result;
}

// ---- files beneath a held directory ------------------------------------------------------------

#define PATH_ARG_MAX 4096

static int arg_int(napi_env env, napi_value v, int32_t* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

// The one integer argument of fstatFd/hasAcl/userGroups; throws a TypeError with `usage` and returns 0 when absent.
static int one_int_arg(napi_env env, napi_callback_info info, int32_t* out, const char* usage) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !arg_int(env, argv[0], out)) {
    napi_throw_type_error(env, "EINVAL", usage);
    return 0;
  }
  return 1;
}

// Copies a JS string into buf (PATH_ARG_MAX); rejects non-strings, NUL bytes and over-long values.
static int arg_path(napi_env env, napi_value v, char* buf) {
  napi_valuetype t;
  size_t len;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 || len >= PATH_ARG_MAX) return 0;
  napi_get_value_string_utf8(env, v, buf, PATH_ARG_MAX, &len);
  return strlen(buf) == len;
}

// A relative path of plain names: no leading '/', no empty, "." or ".." component. RESOLVE_BENEATH
// would allow "a/../b"; refusing ".." outright keeps both code paths equally strict.
static int plain_relative(const char* p) {
  if (p[0] == '/') return 0;
  const char* c = p;
  for (;;) {
    const char* end = strchr(c, '/');
    size_t n = end ? (size_t)(end - c) : strlen(c);
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) return 0;
    if (!end) return 1;
    c = end + 1;
  }
}

static int is_single_name(const char* p) { return plain_relative(p) && strchr(p, '/') == NULL; }

// The fallback for kernels without openat2 (< 5.6): every directory on the way is opened with
// O_NOFOLLOW from the previous one, the last name with O_NOFOLLOW too. A symlink anywhere fails.
static int open_walk(int dirfd, const char* rel, int flags, mode_t mode) {
  char buf[PATH_ARG_MAX];
  strcpy(buf, rel);
  int cur = dirfd;
  char* c = buf;
  for (;;) {
    char* slash = strchr(c, '/');
    if (!slash) break;
    *slash = '\0';
    int next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    if (next < 0 && err == ENOTDIR) {
      struct stat st;
      if (fstatat(cur, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) err = ELOOP;
    }
    if (cur != dirfd) close(cur);
    if (next < 0) {
      errno = err;
      return -1;
    }
    cur = next;
    c = slash + 1;
  }
  int fd = openat(cur, c, flags | O_NOFOLLOW | O_CLOEXEC, mode);
  int err = errno;
  if (cur != dirfd) close(cur);
  errno = err;
  return fd;
}

static int open_beneath(int dirfd, const char* rel, int flags, mode_t mode, int walk_only) {
  if (!walk_only) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    for (int tries = 0; tries < 8; tries++) {
      long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
      if (fd >= 0) return (int)fd;
      // EAGAIN: a concurrent rename raced the lookup; the kernel asks us to try again.
      if (errno == EAGAIN) continue;
      if (errno != ENOSYS && errno != EPERM) return -1;
      // ENOSYS: old kernel; EPERM: a seccomp filter that does not know openat2.
      break;
    }
    if (errno == EAGAIN) return -1;
  }
  return open_walk(dirfd, rel, flags, mode);
}

// openBeneath(dirfd, relPath, flags, mode, walkOnly?) -> fd. walkOnly forces the O_NOFOLLOW walk
// (tests exercise both paths on one kernel).
static napi_value js_open_beneath(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t dirfd, flags, mode = 0;
  char rel[PATH_ARG_MAX];
  if (argc < 4 || !arg_int(env, argv[0], &dirfd) || !arg_path(env, argv[1], rel) || !arg_int(env, argv[2], &flags) ||
      !arg_int(env, argv[3], &mode)) {
    napi_throw_type_error(env, "EINVAL", "openBeneath(dirfd, relPath, flags, mode, walkOnly?)");
    return NULL;
  }
  if (!plain_relative(rel)) return throw_errno(env, EINVAL, "openBeneath(path)");
  bool walk_only = false;
  if (argc >= 5) napi_get_value_bool(env, argv[4], &walk_only);
  int fd = open_beneath(dirfd, rel, flags, (mode_t)mode, walk_only);
  if (fd < 0) return throw_errno(env, errno, walk_only ? "openat(O_NOFOLLOW walk)" : "openat2");
  napi_value out;
  CHECK(env, napi_create_int32(env, fd, &out));
  return out;
}

// mkdirAt(dirfd, name, mode): one new directory in a held one (EEXIST is thrown, callers decide).
static napi_value js_mkdir_at(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t dirfd, mode;
  char name[PATH_ARG_MAX];
  if (argc < 3 || !arg_int(env, argv[0], &dirfd) || !arg_path(env, argv[1], name) || !arg_int(env, argv[2], &mode)) {
    napi_throw_type_error(env, "EINVAL", "mkdirAt(dirfd, name, mode)");
    return NULL;
  }
  if (!is_single_name(name)) return throw_errno(env, EINVAL, "mkdirat(name)");
  if (mkdirat(dirfd, name, (mode_t)mode) != 0) return throw_errno(env, errno, "mkdirat");
  return NULL;
}

// renameAt(fromDirfd, fromName, toDirfd, toName): rename(2) never follows a symlink at either end.
static napi_value js_rename_at(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t from_fd, to_fd;
  char from[PATH_ARG_MAX], to[PATH_ARG_MAX];
  if (argc < 4 || !arg_int(env, argv[0], &from_fd) || !arg_path(env, argv[1], from) || !arg_int(env, argv[2], &to_fd) ||
      !arg_path(env, argv[3], to)) {
    napi_throw_type_error(env, "EINVAL", "renameAt(fromDirfd, fromName, toDirfd, toName)");
    return NULL;
  }
  if (!is_single_name(from) || !is_single_name(to)) return throw_errno(env, EINVAL, "renameat(name)");
  if (renameat(from_fd, from, to_fd, to) != 0) return throw_errno(env, errno, "renameat");
  return NULL;
}

// unlinkAt(dirfd, name, isDir) -> false when there was nothing to remove.
static napi_value js_unlink_at(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t dirfd;
  char name[PATH_ARG_MAX];
  bool is_dir = false;
  if (argc < 2 || !arg_int(env, argv[0], &dirfd) || !arg_path(env, argv[1], name)) {
    napi_throw_type_error(env, "EINVAL", "unlinkAt(dirfd, name, isDir?)");
    return NULL;
  }
  if (argc >= 3) napi_get_value_bool(env, argv[2], &is_dir);
  if (!is_single_name(name)) return throw_errno(env, EINVAL, "unlinkat(name)");
  napi_value out;
  if (unlinkat(dirfd, name, is_dir ? AT_REMOVEDIR : 0) != 0) {
    if (errno != ENOENT) return throw_errno(env, errno, "unlinkat");
    CHECK(env, napi_get_boolean(env, false, &out));
    return out;
  }
  CHECK(env, napi_get_boolean(env, true, &out));
  return out;
}

static napi_value stat_object(napi_env env, const struct stat* st) {
  napi_value o, v;
  if (napi_create_object(env, &o) != napi_ok) return NULL;
#define SETNUM(key, val)                                  \
  napi_create_double(env, (double)(val), &v);             \
  napi_set_named_property(env, o, key, v);
  SETNUM("mode", st->st_mode);
  SETNUM("uid", st->st_uid);
  SETNUM("gid", st->st_gid);
  SETNUM("size", st->st_size);
  SETNUM("nlink", st->st_nlink);
  SETNUM("dev", st->st_dev);
  SETNUM("ino", st->st_ino);
#undef SETNUM
  char ns[48];
  snprintf(ns, sizeof ns, "%lld.%09ld", (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
  napi_create_string_utf8(env, ns, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "mtime", v);
  // ctime cannot be set back by a user (utimes moves it forward), so it tells a rewrite apart.
  snprintf(ns, sizeof ns, "%lld.%09ld", (long long)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec);
  napi_create_string_utf8(env, ns, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "ctime", v);
  return o;
}

// statAt(dirfd, name) -> {mode, uid, gid, size, nlink, dev, ino, mtime, ctime} of the entry itself (a
// symlink is reported as one), or null when it does not exist.
static napi_value js_stat_at(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t dirfd;
  char name[PATH_ARG_MAX];
  if (argc < 2 || !arg_int(env, argv[0], &dirfd) || !arg_path(env, argv[1], name)) {
    napi_throw_type_error(env, "EINVAL", "statAt(dirfd, name)");
    return NULL;
  }
  if (!is_single_name(name)) return throw_errno(env, EINVAL, "fstatat(name)");
  struct stat st;
  napi_value out;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) return throw_errno(env, errno, "fstatat");
    CHECK(env, napi_get_null(env, &out));
    return out;
  }
  return stat_object(env, &st);
}

// fstatFd(fd): the same shape for an open descriptor (mtime with nanoseconds, dev/ino exact).
static napi_value js_fstat_fd(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!one_int_arg(env, info, &fd, "fstatFd(fd)")) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0) return throw_errno(env, errno, "fstat");
  return stat_object(env, &st);
}

// hasAcl(fd) -> true when the file carries an access ACL beyond its mode bits.
static napi_value js_has_acl(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!one_int_arg(env, info, &fd, "hasAcl(fd)")) return NULL;
  ssize_t n = fgetxattr(fd, "system.posix_acl_access", NULL, 0);
  if (n < 0 && errno != ENODATA && errno != ENOTSUP && errno != EOPNOTSUPP) return throw_errno(env, errno, "fgetxattr");
  napi_value out;
  CHECK(env, napi_get_boolean(env, n > 0, &out));
  return out;
}

// setRcvLowat(fd, bytes): the kernel wakes a reader of this TCP socket only once `bytes` are queued (or
// at EOF/error). Node has no setsockopt; the caller keeps `bytes` within what is still to come.
static napi_value js_set_rcv_lowat(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd, bytes;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !arg_int(env, argv[0], &fd) ||
      !arg_int(env, argv[1], &bytes) || bytes < 1) {
    napi_throw_type_error(env, "EINVAL", "setRcvLowat(fd, bytes >= 1)");
    return NULL;
  }
  int v = bytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v) != 0) return throw_errno(env, errno, "setsockopt");
  return NULL;
}

// sendFile(socketFd, fileFd, offset, count) -> Promise<{sent, full}>: sends up to `count` bytes of the file
// from `offset` into a non-blocking socket on a thread-pool thread, until the socket is full (`full`: it
// would block), the file ends (sent < count and not full) or an error (rejects with the errno's code). Both
// descriptors are dup()ed here, on the calling thread, and closed by the worker: if JavaScript closes the
// socket or the file meanwhile, their numbers may be reused at once, and a sendfile on a reused number would
// move another file's bytes or into another connection. The socket stays open until the worker is done.
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int out_fd, in_fd;
  off_t offset;
  size_t count, sent;
  int full, err;
} send_file_job;

static void send_file_execute(napi_env env, void* data) {
  (void)env;
  send_file_job* job = data;
  off_t off = job->offset;
  while (job->sent < job->count) {
    ssize_t n = sendfile(job->out_fd, job->in_fd, &off, job->count - job->sent);
    if (n > 0) {
      job->sent += (size_t)n;
      continue;
    }
    if (n == 0) break;  // the file ended early (it shrank)
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) job->full = 1;
    else job->err = errno;
    break;
  }
  close(job->out_fd);
  close(job->in_fd);
}

static void send_file_complete(napi_env env, napi_status status, void* data) {
  send_file_job* job = data;
  napi_value result = NULL;
  if (status != napi_ok) job->err = job->err ? job->err : ECANCELED;
  if (job->err != 0) {
    result = errno_error(env, job->err, "sendfile");
    if (result != NULL) napi_reject_deferred(env, job->deferred, result);
  } else {
    napi_value sent, full;
    if (napi_create_object(env, &result) == napi_ok && napi_create_double(env, (double)job->sent, &sent) == napi_ok &&
        napi_get_boolean(env, job->full != 0, &full) == napi_ok) {
      napi_set_named_property(env, result, "sent", sent);
      napi_set_named_property(env, result, "full", full);
      napi_resolve_deferred(env, job->deferred, result);
    }
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value js_send_file(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t out_fd, in_fd;
  double offset, count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || !arg_int(env, argv[0], &out_fd) ||
      !arg_int(env, argv[1], &in_fd) || napi_get_value_double(env, argv[2], &offset) != napi_ok ||
      napi_get_value_double(env, argv[3], &count) != napi_ok || out_fd < 0 || in_fd < 0 || !(offset >= 0) ||
      !(count >= 1) || offset > 9007199254740991.0 || count > 1073741824.0) {
    napi_throw_type_error(env, "EINVAL", "sendFile(socketFd, fileFd, offset >= 0, 1 <= count <= 1 GiB)");
    return NULL;
  }
  send_file_job* job = calloc(1, sizeof *job);
  if (job == NULL) return throw_errno(env, ENOMEM, "sendFile");
  job->out_fd = fcntl(out_fd, F_DUPFD_CLOEXEC, 0);
  if (job->out_fd < 0) {
    int err = errno;
    free(job);
    return throw_errno(env, err, "dup");
  }
  job->in_fd = fcntl(in_fd, F_DUPFD_CLOEXEC, 0);
  if (job->in_fd < 0) {
    int err = errno;
    close(job->out_fd);
    free(job);
    return throw_errno(env, err, "dup");
  }
  job->offset = (off_t)offset;
  job->count = (size_t)count;
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "ferry:sendFile", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, send_file_execute, send_file_complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    close(job->out_fd);
    close(job->in_fd);
    free(job);
    napi_throw_error(env, "EADDON", "ferry_native: could not queue sendFile");
    return NULL;
  }
  return promise;
}

// waitWritable(socketFd, timeoutMs) -> Promise<boolean>: true once the socket has room to send (or an error or
// hang-up is pending, which the next send reports), false after timeoutMs. Node can only wait for room by
// writing; this polls a dup() of the descriptor on Node's own loop (epoll tells a dup apart from the
// original, which libuv watches for reads meanwhile). The kernel reports room only once a third of the send
// buffer is free, so each sendfile after it moves a large batch. The dup keeps the socket open until the
// wait ends; the timeout bounds that when the connection was dropped meanwhile.
typedef struct {
  uv_poll_t poll;
  uv_timer_t timer;
  int fd;
  int open_handles;
  int settled;
  napi_env env;
  napi_deferred deferred;
  napi_async_context context;
} writable_wait;

static void writable_closed(uv_handle_t* h) {
  writable_wait* w = h->data;
  if (--w->open_handles > 0) return;
  close(w->fd);
  free(w);
}

static void writable_settle(writable_wait* w, int writable) {
  if (w->settled) return;
  w->settled = 1;
  uv_poll_stop(&w->poll);
  uv_timer_stop(&w->timer);
  // From a libuv callback: a callback scope, so the promise's reactions run when it closes (as MakeCallback).
  napi_handle_scope hs;
  if (napi_open_handle_scope(w->env, &hs) == napi_ok) {
    napi_value resource, value;
    napi_callback_scope cs;
    if (napi_create_object(w->env, &resource) == napi_ok &&
        napi_open_callback_scope(w->env, resource, w->context, &cs) == napi_ok) {
      if (napi_get_boolean(w->env, writable != 0, &value) == napi_ok) napi_resolve_deferred(w->env, w->deferred, value);
      napi_close_callback_scope(w->env, cs);
    }
    napi_close_handle_scope(w->env, hs);
  }
  napi_async_destroy(w->env, w->context);
  uv_close((uv_handle_t*)&w->poll, writable_closed);
  uv_close((uv_handle_t*)&w->timer, writable_closed);
}

static void writable_poll_cb(uv_poll_t* h, int status, int events) {
  (void)status;
  (void)events;
  writable_settle(h->data, 1);
}

static void writable_timer_cb(uv_timer_t* h) { writable_settle(h->data, 0); }

static napi_value js_wait_writable(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd, timeout_ms;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !arg_int(env, argv[0], &fd) ||
      !arg_int(env, argv[1], &timeout_ms) || fd < 0 || timeout_ms < 1) {
    napi_throw_type_error(env, "EINVAL", "waitWritable(socketFd, timeoutMs >= 1)");
    return NULL;
  }
  struct uv_loop_s* loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  writable_wait* w = calloc(1, sizeof *w);
  if (w == NULL) return throw_errno(env, ENOMEM, "waitWritable");
  w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (w->fd < 0) {
    int err = errno;
    free(w);
    return throw_errno(env, err, "dup");
  }
  w->env = env;
  w->poll.data = w;
  w->timer.data = w;
  napi_value promise, name;
  int rc = uv_poll_init_socket(loop, &w->poll, w->fd);
  if (rc != 0) {
    close(w->fd);
    free(w);
    return throw_errno(env, -rc, "uv_poll_init");
  }
  uv_timer_init(loop, &w->timer);
  w->open_handles = 2;
  if (napi_create_string_utf8(env, "ferry:waitWritable", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &w->context) != napi_ok || napi_create_promise(env, &w->deferred, &promise) != napi_ok) {
    w->settled = 1;
    uv_close((uv_handle_t*)&w->poll, writable_closed);
    uv_close((uv_handle_t*)&w->timer, writable_closed);
    napi_throw_error(env, "EADDON", "ferry_native: could not start waitWritable");
    return NULL;
  }
  rc = uv_poll_start(&w->poll, UV_WRITABLE | UV_DISCONNECT, writable_poll_cb);
  if (rc == 0) rc = uv_timer_start(&w->timer, writable_timer_cb, (uint64_t)timeout_ms, 0);
  if (rc != 0) writable_settle(w, 1);  // the next send reports what is wrong with the socket
  return promise;
}

// userGroups(uid) -> [gid…] the account's groups (primary first, getgrouplist), or null when the uid
// has no passwd entry. What a user could use on its own, looked up when the rights are checked.
static napi_value js_user_groups(napi_env env, napi_callback_info info) {
  int32_t uid;
  if (!one_int_arg(env, info, &uid, "userGroups(uid)")) return NULL;
  if (uid < 0) {
    napi_throw_type_error(env, "EINVAL", "userGroups(uid)");
    return NULL;
  }
  struct passwd pw, *found = NULL;
  char buf[16384];
  napi_value out;
  if (getpwuid_r((uid_t)uid, &pw, buf, sizeof buf, &found) != 0 || found == NULL) {
    CHECK(env, napi_get_null(env, &out));
    return out;
  }
  int n = 64;
  gid_t* groups = NULL;
  for (int tries = 0; tries < 4; tries++) {
    gid_t* g = realloc(groups, sizeof(gid_t) * (size_t)n);
    if (g == NULL) {
      free(groups);
      return throw_errno(env, ENOMEM, "getgrouplist");
    }
    groups = g;
    int want = n;
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &want) >= 0) {
      n = want;
      break;
    }
    n = want > n ? want : n * 2;
    if (tries == 3) n = 0;
  }
  napi_create_array_with_length(env, (size_t)n, &out);
  for (int i = 0; i < n; i++) {
    napi_value v;
    napi_create_uint32(env, groups[i], &v);
    napi_set_element(env, out, (uint32_t)i, v);
  }
  free(groups);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "peerCred", NAPI_AUTO_LENGTH, peer_cred, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "peerCred", fn) != napi_ok ||
      napi_create_function(env, "sdNotify", NAPI_AUTO_LENGTH, sd_notify, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "sdNotify", fn) != napi_ok) {
    return NULL;
  }
  static const struct {
    const char* name;
    napi_callback cb;
  } fns[] = {
      {"openBeneath", js_open_beneath}, {"mkdirAt", js_mkdir_at}, {"renameAt", js_rename_at},
      {"unlinkAt", js_unlink_at},       {"statAt", js_stat_at},   {"fstatFd", js_fstat_fd},
      {"hasAcl", js_has_acl},           {"userGroups", js_user_groups}, {"setRcvLowat", js_set_rcv_lowat},
      {"sendFile", js_send_file},       {"waitWritable", js_wait_writable},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &fn) != napi_ok ||
        napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok) {
      return NULL;
    }
  }
  napi_value opath;
  if (napi_create_int32(env, O_PATH, &opath) != napi_ok || napi_set_named_property(env, exports, "O_PATH", opath) != napi_ok) {
    return NULL;
  }
  return exports;
}
