// The few POSIX calls Node does not expose, as a Node-API addon (ABI-stable:
// one binary serves every Node release with Node-API 8).
//
//   signals: the calling thread's signal mask (pthread_sigmask) and the
//            pending set, so a process started with SIGUSR1 blocked can
//            unblock it once its handler exists.
//   unix datagrams: AF_UNIX SOCK_DGRAM sockets whose addresses have their
//            exact length (an abstract name is not padded to sun_path's 108
//            bytes), with a receiving thread for listeners.
//   rlimit:  prlimit(2) on this or another process.
//   exec:    FD_CLOEXEC on a descriptor, and waitpid(WNOHANG) on one pid:
//            what a process that re-execs itself needs to keep a socket and
//            reap the children its new image's libuv does not know.
//
// Failures return -errno to JavaScript, which names them: no exception is
// built here, so the JS layer owns every message.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) return NULL;                                                            \
  } while (0)

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  if (napi_create_int64(env, v, &out) != napi_ok) return NULL;
  return out;
}

static napi_value make_double(napi_env env, double v) {
  napi_value out;
  if (napi_create_double(env, v, &out) != napi_ok) return NULL;
  return out;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  if (argc < want) {
    napi_throw_type_error(env, NULL, "forklift-posix: missing argument");
    return -1;
  }
  return 0;
}

// ---------------------------------------------------------------- signals

static napi_value sigset_to_array(napi_env env, const sigset_t *set) {
  napi_value arr;
  CHECK(napi_create_array(env, &arr));
  uint32_t n = 0;
  for (int s = 1; s < NSIG; s++) {
    if (sigismember(set, s) == 1) CHECK(napi_set_element(env, arr, n++, make_int(env, s)));
  }
  return arr;
}

// sigmask(how, signo): how 0 = query, 1 = block, 2 = unblock. Returns whether
// signo was blocked before, or -errno.
static napi_value js_sigmask(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t how, signo;
  if (get_args(env, info, 2, argv) || get_int(env, argv[0], &how) || get_int(env, argv[1], &signo))
    return NULL;
  if (signo < 1 || signo >= NSIG) return make_int(env, -EINVAL);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, signo);
  int op = how == 1 ? SIG_BLOCK : how == 2 ? SIG_UNBLOCK : SIG_BLOCK;
  int err = pthread_sigmask(op, how == 0 ? NULL : &set, &old);
  if (err) return make_int(env, -err);
  return make_int(env, sigismember(&old, signo) == 1 ? 1 : 0);
}

// blockedSignals(): the calling thread's blocked signal numbers.
static napi_value js_blocked(napi_env env, napi_callback_info info) {
  (void)info;
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, NULL, &old);
  return sigset_to_array(env, &old);
}

// pendingSignals(): signals raised while blocked, waiting for delivery.
static napi_value js_pending(napi_env env, napi_callback_info info) {
  (void)info;
  sigset_t set;
  if (sigpending(&set)) return make_int(env, -errno);
  return sigset_to_array(env, &set);
}

// ---------------------------------------------------------------- unix datagrams

// Fills `sa` from the encoded address (a path, or NUL + abstract name) and
// returns the exact length to pass the kernel, or -errno.
static int fill_address(napi_env env, napi_value buf, struct sockaddr_un *sa, socklen_t *len) {
  void *data;
  size_t n;
  if (napi_get_buffer_info(env, buf, &data, &n) != napi_ok) return -EINVAL;
  if (n == 0 || n > sizeof(sa->sun_path)) return -ENAMETOOLONG;
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  memcpy(sa->sun_path, data, n);
  // A path gets its terminating NUL when it fits (what SUN_LEN callers pass);
  // an abstract name is exactly its bytes: the kernel compares lengths.
  size_t used = n;
  if (((const char *)data)[0] != '\0' && n < sizeof(sa->sun_path)) used = n + 1;
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + used);
  return 0;
}

// The JS form of a peer address: a Buffer (path bytes, or NUL + name), or
// undefined for an unbound sender.
static napi_value address_value(napi_env env, const struct sockaddr_un *sa, socklen_t len) {
  napi_value out;
  size_t off = offsetof(struct sockaddr_un, sun_path);
  if (len <= off) {
    CHECK(napi_get_undefined(env, &out));
    return out;
  }
  size_t n = len - off;
  if (sa->sun_path[0] != '\0') n = strnlen(sa->sun_path, n);
  CHECK(napi_create_buffer_copy(env, n, sa->sun_path, NULL, &out));
  return out;
}

// socket(nonblocking): a new AF_UNIX SOCK_DGRAM fd (close-on-exec), or -errno.
static napi_value js_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool nonblocking;
  if (get_args(env, info, 1, argv) || napi_get_value_bool(env, argv[0], &nonblocking) != napi_ok)
    return NULL;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  return make_int(env, fd < 0 ? -errno : fd);
}

// setSendTimeout(fd, ms): how long send() on a blocking socket may wait for
// room in the receiver's queue (0 = forever); 0 or -errno.
static napi_value js_set_send_timeout(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  double ms;
  if (get_args(env, info, 2, argv) || get_int(env, argv[0], &fd) ||
      napi_get_value_double(env, argv[1], &ms) != napi_ok)
    return NULL;
  if (ms < 0 || ms != ms) return make_int(env, -EINVAL);
  struct timeval tv = {0};
  if (ms != (double)INFINITY) {
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)((ms - (double)tv.tv_sec * 1000) * 1000);
  }
  return make_int(env, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ? -errno : 0);
}

// bind(fd, address) / connect(fd, address): 0 or -errno. bind also asks for
// the sender's credentials on every datagram (SO_PASSCRED).
static napi_value bind_or_connect(napi_env env, napi_callback_info info, int do_bind) {
  napi_value argv[2];
  int32_t fd;
  if (get_args(env, info, 2, argv) || get_int(env, argv[0], &fd)) return NULL;
  struct sockaddr_un sa;
  socklen_t len;
  int err = fill_address(env, argv[1], &sa, &len);
  if (err) return make_int(env, err);
  if (do_bind) {
    int one = 1;
    if (bind(fd, (struct sockaddr *)&sa, len)) return make_int(env, -errno);
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one))) return make_int(env, -errno);
    return make_int(env, 0);
  }
  return make_int(env, connect(fd, (struct sockaddr *)&sa, len) ? -errno : 0);
}

static napi_value js_bind(napi_env env, napi_callback_info info) {
  return bind_or_connect(env, info, 1);
}

static napi_value js_connect(napi_env env, napi_callback_info info) {
  return bind_or_connect(env, info, 0);
}

// send(fd, data, address | null): bytes sent, or -errno (-EAGAIN when a
// non-blocking socket's peer queue is full). Never raises SIGPIPE.
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  if (get_args(env, info, 3, argv) || get_int(env, argv[0], &fd)) return NULL;
  void *data;
  size_t n;
  if (napi_get_buffer_info(env, argv[1], &data, &n) != napi_ok) return make_int(env, -EINVAL);
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[2], &t));
  ssize_t r;
  if (t == napi_null || t == napi_undefined) {
    do r = send(fd, data, n, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
  } else {
    struct sockaddr_un sa;
    socklen_t len;
    int err = fill_address(env, argv[2], &sa, &len);
    if (err) return make_int(env, err);
    do r = sendto(fd, data, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
    while (r < 0 && errno == EINTR);
  }
  return make_int(env, r < 0 ? -errno : r);
}

// One received datagram, carried from the receiving thread to JavaScript.
typedef struct {
  char *data;
  size_t len;
  struct sockaddr_un from;
  socklen_t from_len;
  int has_cred;
  struct ucred cred;
  int err;
} message_t;

// Reads one datagram without blocking. 0 on success, -EAGAIN when none waits.
static int read_message(int fd, message_t *m) {
  int size = 0;
  // SIOCINQ on a datagram socket is the size of the next datagram.
  if (ioctl(fd, FIONREAD, &size) < 0) size = 65536;
  m->data = malloc(size > 0 ? (size_t)size : 1);
  if (!m->data) return -ENOMEM;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct ucred))];
  } control;
  struct iovec iov = {.iov_base = m->data, .iov_len = size > 0 ? (size_t)size : 1};
  struct msghdr msg = {0};
  msg.msg_name = &m->from;
  msg.msg_namelen = sizeof(m->from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof(control.buf);
  ssize_t r;
  do r = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    int e = errno;
    free(m->data);
    m->data = NULL;
    return -e;
  }
  m->len = (size_t)r;
  m->from_len = msg.msg_namelen;
  m->has_cred = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      memcpy(&m->cred, CMSG_DATA(c), sizeof(m->cred));
      m->has_cred = 1;
    }
  }
  return 0;
}

// [data, from, pid, uid, gid] for JavaScript; takes ownership of m->data.
static napi_value message_value(napi_env env, message_t *m) {
  napi_value arr, data;
  CHECK(napi_create_array_with_length(env, 5, &arr));
  napi_status s = napi_create_buffer_copy(env, m->len, m->data, NULL, &data);
  free(m->data);
  m->data = NULL;
  if (s != napi_ok) return NULL;
  CHECK(napi_set_element(env, arr, 0, data));
  CHECK(napi_set_element(env, arr, 1, address_value(env, &m->from, m->from_len)));
  if (m->has_cred) {
    CHECK(napi_set_element(env, arr, 2, make_int(env, m->cred.pid)));
    CHECK(napi_set_element(env, arr, 3, make_int(env, m->cred.uid)));
    CHECK(napi_set_element(env, arr, 4, make_int(env, m->cred.gid)));
  }
  return arr;
}

// recv(fd): [data, from, pid, uid, gid], or -errno (-EAGAIN: nothing waiting).
static napi_value js_recv(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (get_args(env, info, 1, argv) || get_int(env, argv[0], &fd)) return NULL;
  message_t m;
  int err = read_message(fd, &m);
  if (err) return make_int(env, err);
  return message_value(env, &m);
}

// A receiving thread: poll()s the socket and an eventfd (the stop signal),
// hands every datagram to a JS callback through a thread-safe function.
//
// Lifetimes, all decided on the main thread: the thread ends when asked
// (unwatch, or the handle being collected) or when Node closes the
// thread-safe function (environment teardown). The function's finalizer
// joins the thread; the struct is freed once both the finalizer and the JS
// handle are gone. No thread-safe-function call is made from a finalizer
// (Node may hold the function's lock there).
typedef struct {
  int fd;
  int stop_fd;
  pthread_t thread;
  napi_threadsafe_function tsfn;
  volatile int closing;  // set by the tsfn finalizer: the thread must not release
  int joined;
  int tsfn_gone;
  int handle_gone;
} watch_t;

static void *watch_main(void *arg) {
  watch_t *w = arg;
  struct pollfd p[2] = {{.fd = w->fd, .events = POLLIN}, {.fd = w->stop_fd, .events = POLLIN}};
  int usable = 1;
  for (;;) {
    int r = poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (p[1].revents & POLLIN)) break;
    if (!(p[0].revents & (POLLIN | POLLERR | POLLHUP))) continue;
    message_t *m = calloc(1, sizeof(*m));
    if (!m) break;
    int err = read_message(w->fd, m);
    if (err == -EAGAIN || err == -EWOULDBLOCK) {
      free(m);
      continue;
    }
    m->err = err;
    // The queue is unbounded, so this never blocks: the JS side keeps up or
    // the memory grows, as a socket's receive buffer would.
    if (napi_call_threadsafe_function(w->tsfn, m, napi_tsfn_nonblocking) != napi_ok) {
      free(m->data);
      free(m);
      usable = 0;  // closing: no further calls
      break;
    }
    if (err) break;
  }
  if (usable && !w->closing) napi_release_threadsafe_function(w->tsfn, napi_tsfn_release);
  return NULL;
}

static void watch_call_js(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  message_t *m = data;
  if (env == NULL) {  // torn down: free what was still queued
    free(m->data);
    free(m);
    return;
  }
  napi_value argv[1], undefined;
  argv[0] = m->err ? make_int(env, m->err) : message_value(env, m);
  free(m->data);
  free(m);
  if (argv[0] == NULL) return;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, callback, 1, argv, NULL);
}

static void watch_wake(watch_t *w) {
  uint64_t one = 1;
  ssize_t ignored = write(w->stop_fd, &one, sizeof(one));
  (void)ignored;
}

static void watch_join(watch_t *w) {
  if (w->joined) return;
  w->joined = 1;
  watch_wake(w);
  pthread_join(w->thread, NULL);
}

// The thread-safe function is being destroyed (released, or teardown).
static void watch_tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  watch_t *w = data;
  w->closing = 1;
  watch_join(w);
  close(w->stop_fd);
  w->tsfn_gone = 1;
  if (w->handle_gone) free(w);
}

// The JS handle was collected: ask the thread to stop (it releases the
// function, whose finalizer joins it).
static void watch_handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  watch_t *w = data;
  w->handle_gone = 1;
  if (w->tsfn_gone) {
    free(w);
    return;
  }
  watch_wake(w);
}

// watch(fd, callback): starts the receiving thread; returns its handle (an
// external), or -errno. The fd must stay open until unwatch(handle).
static napi_value js_watch(napi_env env, napi_callback_info info) {
  napi_value argv[2], name, handle;
  int32_t fd;
  if (get_args(env, info, 2, argv) || get_int(env, argv[0], &fd)) return NULL;
  watch_t *w = calloc(1, sizeof(*w));
  if (!w) return make_int(env, -ENOMEM);
  w->fd = fd;
  w->stop_fd = eventfd(0, EFD_CLOEXEC);
  if (w->stop_fd < 0) {
    int e = errno;
    free(w);
    return make_int(env, -e);
  }
  CHECK(napi_create_string_utf8(env, "forklift-posix-dgram", NAPI_AUTO_LENGTH, &name));
  if (napi_create_external(env, w, watch_handle_finalize, NULL, &handle) != napi_ok) {
    close(w->stop_fd);
    free(w);
    return NULL;
  }
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, w, watch_tsfn_finalize, NULL,
                                      watch_call_js, &w->tsfn) != napi_ok) {
    close(w->stop_fd);
    w->tsfn_gone = 1;  // the handle's finalizer frees it
    return NULL;
  }
  // The thread must not take signals meant for the main thread's handlers.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int err = pthread_create(&w->thread, NULL, watch_main, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err) {
    w->joined = 1;  // no thread to join
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
    return make_int(env, -err);
  }
  return handle;
}

static watch_t *get_watch(napi_env env, napi_callback_info info, napi_value *argv, size_t n) {
  void *w;
  if (get_args(env, info, n, argv) || napi_get_value_external(env, argv[0], &w) != napi_ok)
    return NULL;
  return w;
}

// unwatch(handle): stops and joins the thread (which releases the function);
// idempotent.
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  watch_t *w = get_watch(env, info, argv, 1);
  if (!w) return NULL;
  if (!w->tsfn_gone) watch_join(w);
  return make_int(env, 0);
}

// watchRef(handle, ref): whether the receiving thread keeps the event loop alive.
static napi_value js_watch_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  watch_t *w = get_watch(env, info, argv, 2);
  bool ref;
  if (!w || napi_get_value_bool(env, argv[1], &ref) != napi_ok) return NULL;
  if (w->joined || w->tsfn_gone) return make_int(env, 0);
  napi_status s = ref ? napi_ref_threadsafe_function(env, w->tsfn)
                      : napi_unref_threadsafe_function(env, w->tsfn);
  return make_int(env, s == napi_ok ? 0 : -EINVAL);
}

// close(fd): 0 or -errno.
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (get_args(env, info, 1, argv) || get_int(env, argv[0], &fd)) return NULL;
  return make_int(env, close(fd) ? -errno : 0);
}

// ---------------------------------------------------------------- rlimit

static napi_value limit_value(napi_env env, rlim_t v) {
  return make_double(env, v == RLIM_INFINITY ? (double)INFINITY : (double)v);
}

static int limit_from(napi_env env, napi_value v, rlim_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d != d) return -EINVAL;
  *out = d == (double)INFINITY ? RLIM_INFINITY : (rlim_t)d;
  return 0;
}

// getrlimit(pid, resource): [soft, hard] (Infinity = unlimited), or -errno.
static napi_value js_getrlimit(napi_env env, napi_callback_info info) {
  napi_value argv[2], arr;
  int32_t pid, resource;
  if (get_args(env, info, 2, argv) || get_int(env, argv[0], &pid) || get_int(env, argv[1], &resource))
    return NULL;
  struct rlimit old;
  if (prlimit(pid, resource, NULL, &old)) return make_int(env, -errno);
  CHECK(napi_create_array_with_length(env, 2, &arr));
  CHECK(napi_set_element(env, arr, 0, limit_value(env, old.rlim_cur)));
  CHECK(napi_set_element(env, arr, 1, limit_value(env, old.rlim_max)));
  return arr;
}

// setrlimit(pid, resource, soft, hard): 0 or -errno.
static napi_value js_setrlimit(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t pid, resource;
  if (get_args(env, info, 4, argv) || get_int(env, argv[0], &pid) || get_int(env, argv[1], &resource))
    return NULL;
  struct rlimit lim;
  if (limit_from(env, argv[2], &lim.rlim_cur) || limit_from(env, argv[3], &lim.rlim_max))
    return make_int(env, -EINVAL);
  return make_int(env, prlimit(pid, resource, &lim, NULL) ? -errno : 0);
}

// ---------------------------------------------------------------- exec

// setCloexec(fd, on): 0 or -errno.
static napi_value js_set_cloexec(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  bool on;
  if (get_args(env, info, 2, argv) || get_int(env, argv[0], &fd) ||
      napi_get_value_bool(env, argv[1], &on) != napi_ok)
    return NULL;
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return make_int(env, -errno);
  int next = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (next != flags && fcntl(fd, F_SETFD, next) < 0) return make_int(env, -errno);
  return make_int(env, 0);
}

// mainThread(): whether the calling thread is the process's main thread, whose
// thread id is the pid. Cheaper than loading worker_threads (~5 ms of CPU).
static napi_value js_main_thread(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  if (napi_get_boolean(env, (pid_t)syscall(SYS_gettid) == getpid(), &v) != napi_ok) return NULL;
  return v;
}

// reap(pid): null while it runs, [code, signal] once reaped (-1 for the one
// that does not apply), or -errno (ECHILD: not our child, or reaped already).
static napi_value js_reap(napi_env env, napi_callback_info info) {
  napi_value argv[1], arr, nul;
  int32_t pid;
  if (get_args(env, info, 1, argv) || get_int(env, argv[0], &pid)) return NULL;
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0) return make_int(env, -errno);
  if (r == 0) {
    CHECK(napi_get_null(env, &nul));
    return nul;
  }
  CHECK(napi_create_array_with_length(env, 2, &arr));
  CHECK(napi_set_element(env, arr, 0, make_int(env, WIFEXITED(status) ? WEXITSTATUS(status) : -1)));
  CHECK(napi_set_element(env, arr, 1, make_int(env, WIFSIGNALED(status) ? WTERMSIG(status) : -1)));
  return arr;
}

// ---------------------------------------------------------------- module

static int set_int_prop(napi_env env, napi_value obj, const char *name, int64_t v) {
  return napi_set_named_property(env, obj, name, make_int(env, v)) == napi_ok ? 0 : -1;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor fns[] = {
      {"sigmask", NULL, js_sigmask, NULL, NULL, NULL, napi_default, NULL},
      {"blockedSignals", NULL, js_blocked, NULL, NULL, NULL, napi_default, NULL},
      {"pendingSignals", NULL, js_pending, NULL, NULL, NULL, napi_default, NULL},
      {"socket", NULL, js_socket, NULL, NULL, NULL, napi_default, NULL},
      {"setSendTimeout", NULL, js_set_send_timeout, NULL, NULL, NULL, napi_default, NULL},
      {"bind", NULL, js_bind, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, js_recv, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default, NULL},
      {"watchRef", NULL, js_watch_ref, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"getrlimit", NULL, js_getrlimit, NULL, NULL, NULL, napi_default, NULL},
      {"setrlimit", NULL, js_setrlimit, NULL, NULL, NULL, napi_default, NULL},
      {"setCloexec", NULL, js_set_cloexec, NULL, NULL, NULL, napi_default, NULL},
      {"reap", NULL, js_reap, NULL, NULL, NULL, napi_default, NULL},
      {"mainThread", NULL, js_main_thread, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns) != napi_ok)
    return NULL;
  // The resource numbers differ between architectures: take them from libc.
  napi_value res;
  if (napi_create_object(env, &res) != napi_ok) return NULL;
  if (set_int_prop(env, res, "as", RLIMIT_AS) || set_int_prop(env, res, "core", RLIMIT_CORE) ||
      set_int_prop(env, res, "cpu", RLIMIT_CPU) || set_int_prop(env, res, "data", RLIMIT_DATA) ||
      set_int_prop(env, res, "fsize", RLIMIT_FSIZE) ||
      set_int_prop(env, res, "locks", RLIMIT_LOCKS) ||
      set_int_prop(env, res, "memlock", RLIMIT_MEMLOCK) ||
      set_int_prop(env, res, "msgqueue", RLIMIT_MSGQUEUE) ||
      set_int_prop(env, res, "nice", RLIMIT_NICE) ||
      set_int_prop(env, res, "nofile", RLIMIT_NOFILE) ||
      set_int_prop(env, res, "nproc", RLIMIT_NPROC) || set_int_prop(env, res, "rss", RLIMIT_RSS) ||
      set_int_prop(env, res, "rtprio", RLIMIT_RTPRIO) ||
      set_int_prop(env, res, "rttime", RLIMIT_RTTIME) ||
      set_int_prop(env, res, "sigpending", RLIMIT_SIGPENDING) ||
      set_int_prop(env, res, "stack", RLIMIT_STACK))
    return NULL;
  if (napi_set_named_property(env, exports, "rlimits", res) != napi_ok) return NULL;
  return exports;
}
