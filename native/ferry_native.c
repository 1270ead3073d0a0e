// ferry's only native code: the two OS calls Node does not expose — SO_PEERCRED on a Unix socket fd
// (who is the client) and sd_notify (talk to systemd). Plain C on node_api.h, no libsystemd link,
// so the addon builds anywhere the Node headers are; errors are thrown as Error{code, errno, syscall}.
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#define CHECK(env, call)                                                       \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error((env), "EADDON", "ferry_native: N-API call failed: " #call); \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

// Throws an Error carrying the errno as `errno` and a symbolic `code` where we know the name, the
// way Node's own fs/net errors look, so the TypeScript side can wrap it once with the original as cause.
static napi_value throw_errno(napi_env env, int err, const char* syscall) {
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
    default: break;
  }
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s (%s)", syscall, strerror(err), code);
  napi_value js_code, js_msg, error, js_errno, js_syscall;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &js_msg) != napi_ok ||
      napi_create_error(env, js_code, js_msg, &error) != napi_ok) {
    napi_throw_error(env, code, msg);
    return NULL;
  }
  napi_create_int32(env, -err, &js_errno);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &js_syscall);
  napi_set_named_property(env, error, "errno", js_errno);
  napi_set_named_property(env, error, "syscall", js_syscall);
  napi_throw(env, error);
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

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "peerCred", NAPI_AUTO_LENGTH, peer_cred, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "peerCred", fn) != napi_ok ||
      napi_create_function(env, "sdNotify", NAPI_AUTO_LENGTH, sd_notify, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "sdNotify", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}
