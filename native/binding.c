/*
 * N-API glue for sock_sendfile.node: argument checks and value conversion only; every syscall is
 * behind sendfile.h.
 *
 * Invariants:
 * - Only node_api.h: no libuv, no C++ (Bun stubs uv_* and must load this file).
 * - No JS-callable function throws or crashes on any input: a bad argument is -EINVAL, a bad fd
 *   is whatever the kernel says (-EBADF, -ENOTSOCK, ...), both as plain numbers.
 * - sendfile, lseek and fstat allocate no objects: their hot path is a syscall between two number
 *   conversions.
 * - sendfileAsync's worker only ever sees its own dup()s of the caller's fds, closed after the
 *   callback's result is known, so closing the originals meanwhile cannot redirect its writes.
 *   Its callback always runs later, from the event loop, never before sendfileAsync returns.
 * - The worker reads JS memory in one place only, the cancel Int32Array's element 0: a reference
 *   keeps the array alive until the callback has run, and napi_get_typedarray_info has moved its
 *   data off the V8 heap, so the pointer stays put (detaching its buffer meanwhile is the
 *   caller's bug, as for any memory handed to native code).
 * - A worker waits for a slow socket at most maxWaitMs in all, and no longer than SS_WAIT_SLICE_MS
 *   between looks at the cancel flag: it holds a libuv pool thread for that long, no longer.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <node_api.h>

#include "sendfile.h"

/* Reads an fd argument: a non-integer or out-of-int32 number is EINVAL, a negative one EBADF. */
static int get_fd(napi_env env, napi_value v, int *fd) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -EINVAL;
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != floor(d)) return -EINVAL;
  if (d < 0) return -EBADF;
  *fd = (int)d;
  return 0;
}

/* Reads an offset or length: a number that is an integer in [0, 2^53 - 1]. */
static int get_u53(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -EINVAL;
  if (!(d >= 0 && d <= SS_MAX_SAFE) || d != floor(d)) return -EINVAL;
  *out = (int64_t)d;
  return 0;
}

/* Fetches exactly `want` arguments into argv; false when fewer were passed. */
static bool get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t want) {
  size_t argc = want;
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= want;
}

static napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

/* sendfile(sockFd, fileFd, offset, length) -> bytes moved, 0 at EOF, or -errno */
static napi_value js_sendfile(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, argv, 4)) return num(env, -EINVAL);
  int sock, file, r;
  int64_t offset, length;
  if ((r = get_fd(env, argv[0], &sock)) || (r = get_fd(env, argv[1], &file)) ||
      (r = get_u53(env, argv[2], &offset)) || (r = get_u53(env, argv[3], &length))) {
    return num(env, r);
  }
  return num(env, (double)ss_sendfile(sock, file, offset, length));
}

/* What sendfileAsync waits for POLLOUT in all when not told: a few slices, so a slow reader
 * costs one round trip to JS per 50 ms instead of one per socket buffer. */
#define DEFAULT_MAX_WAIT_MS 50

typedef struct {
  napi_async_work work;
  napi_ref callback;
  napi_ref cancel_ref; /* keeps the cancel array alive, or NULL */
  const int32_t *cancel; /* its element 0, or NULL */
  int sock; /* our dup, or -1 */
  int file; /* our dup, or -1 */
  int64_t offset;
  int64_t length;
  int64_t max_wait_ms;
  int64_t result;
  int64_t late; /* -errno that ended the call after bytes moved, or 0 */
} async_req;

static void async_execute(napi_env env, void *data) {
  (void)env;
  async_req *req = data;
  if (req->result != 0) return; /* dup failed: nothing to do, the errno is already set */
  req->result = ss_sendfile_wait(req->sock, req->file, req->offset, req->length, req->max_wait_ms,
                                 req->cancel, &req->late);
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null);
}

/* Reads the optional cancel argument: undefined/null (none) or an Int32Array of length >= 1. */
static int get_cancel(napi_env env, napi_value v, const int32_t **out) {
  *out = NULL;
  if (is_nullish(env, v)) return 0;
  bool is_ta;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return -EINVAL;
  napi_typedarray_type type;
  size_t n;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &n, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array || n < 1 || data == NULL) {
    return -EINVAL;
  }
  *out = data;
  return 0;
}

/* Reads the optional maxWaitMs: undefined/null (the default) or an integer in [0, 2^31 - 1]. */
static int get_wait(napi_env env, napi_value v, int64_t *out) {
  *out = DEFAULT_MAX_WAIT_MS;
  if (is_nullish(env, v)) return 0;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -EINVAL;
  /* The bound keeps the budget in ns far inside int64 and the wait meaningful. */
  if (!(d >= 0 && d <= 2147483647.0) || d != floor(d)) return -EINVAL;
  *out = (int64_t)d;
  return 0;
}

static void async_complete(napi_env env, napi_status status, void *data) {
  async_req *req = data;
  ss_close(req->sock);
  ss_close(req->file);
  int64_t result = status == napi_cancelled ? -ECANCELED : req->result;

  napi_value cb, global, args[2];
  if (napi_get_reference_value(env, req->callback, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &global) == napi_ok) {
    args[0] = num(env, (double)result);
    args[1] = num(env, status == napi_cancelled ? 0 : (double)req->late);
    /* A throwing callback surfaces as the process's uncaught exception, like any other. */
    napi_value ignored;
    if (napi_call_function(env, global, cb, 2, args, &ignored) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
  napi_delete_reference(env, req->callback);
  if (req->cancel_ref != NULL) napi_delete_reference(env, req->cancel_ref);
  napi_delete_async_work(env, req->work);
  free(req);
}

/*
 * sendfileAsync(sockFd, fileFd, offset, length, callback, cancel?, maxWaitMs?) -> 0 when queued,
 * -EINVAL (and no callback) when an argument is not of the right kind. A bad fd is queued anyway
 * and reported to the callback, so fd errors reach the caller the same way whether found now or
 * on the thread. The callback gets (result, late): what ss_sendfile_wait returns, and the error
 * that ended it after bytes moved (0 if none).
 */
static napi_value js_sendfile_async(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) {
    return num(env, -EINVAL);
  }
  napi_valuetype t;
  if (napi_typeof(env, argv[4], &t) != napi_ok || t != napi_function) return num(env, -EINVAL);

  int sock = -1, file = -1, r;
  int64_t offset, length, max_wait_ms = DEFAULT_MAX_WAIT_MS;
  const int32_t *cancel = NULL;
  if ((r = get_u53(env, argv[2], &offset)) || (r = get_u53(env, argv[3], &length)) ||
      (argc > 5 && (r = get_cancel(env, argv[5], &cancel))) ||
      (argc > 6 && (r = get_wait(env, argv[6], &max_wait_ms)))) {
    return num(env, r);
  }
  int64_t fd_err = 0;
  if ((r = get_fd(env, argv[0], &sock)) || (r = get_fd(env, argv[1], &file))) {
    if (r == -EINVAL) return num(env, r);
    fd_err = r;
  }

  async_req *req = calloc(1, sizeof *req);
  if (req == NULL) return num(env, -ENOMEM);
  req->sock = req->file = -1;
  req->offset = offset;
  req->length = length;
  req->max_wait_ms = max_wait_ms;
  req->cancel = cancel;
  if (fd_err == 0) {
    int s = ss_dup(sock);
    int f = s < 0 ? s : ss_dup(file);
    if (s < 0) fd_err = s;
    else if (f < 0) fd_err = f;
    req->sock = s < 0 ? -1 : s;
    req->file = f < 0 ? -1 : f;
  }
  req->result = fd_err;

  napi_value name;
  if (cancel != NULL && napi_create_reference(env, argv[5], 1, &req->cancel_ref) != napi_ok) {
    req->cancel_ref = NULL;
    goto fail;
  }
  if (napi_create_reference(env, argv[4], 1, &req->callback) != napi_ok) goto fail;
  if (napi_create_string_latin1(env, "sock_sendfile", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, async_execute, async_complete, req, &req->work) !=
          napi_ok) {
    napi_delete_reference(env, req->callback);
    goto fail;
  }
  if (napi_queue_async_work(env, req->work) != napi_ok) {
    napi_delete_async_work(env, req->work);
    napi_delete_reference(env, req->callback);
    goto fail;
  }
  return num(env, 0);

fail:
  if (req->cancel_ref != NULL) napi_delete_reference(env, req->cancel_ref);
  ss_close(req->sock);
  ss_close(req->file);
  free(req);
  return num(env, -ENOMEM);
}

/* lseek(fd, offset) -> new offset or -errno (SEEK_SET) */
static napi_value js_lseek(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, argv, 2)) return num(env, -EINVAL);
  int fd, r;
  int64_t offset;
  if ((r = get_fd(env, argv[0], &fd)) || (r = get_u53(env, argv[1], &offset))) return num(env, r);
  return num(env, (double)ss_lseek(fd, offset));
}

/* fstat(fd, out: Float64Array(>= 2)) -> 0 or -errno; out = [size, st_mode & S_IFMT] */
static napi_value js_fstat(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, argv, 2)) return num(env, -EINVAL);
  int fd, r;
  if ((r = get_fd(env, argv[0], &fd))) return num(env, r);
  bool is_ta;
  if (napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta) return num(env, -EINVAL);
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || length < 2 || data == NULL) {
    return num(env, -EINVAL);
  }
  double size;
  int ftype;
  if ((r = ss_fstat(fd, &size, &ftype))) return num(env, r);
  ((double *)data)[0] = size;
  ((double *)data)[1] = ftype;
  return num(env, 0);
}

/* fadviseDontneed(fd) -> 0 or -errno */
static napi_value js_fadvise_dontneed(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, argv, 1)) return num(env, -EINVAL);
  int fd, r;
  if ((r = get_fd(env, argv[0], &fd))) return num(env, r);
  return num(env, ss_fadvise_dontneed(fd));
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"sendfile", js_sendfile},
      {"sendfileAsync", js_sendfile_async},
      {"lseek", js_lseek},
      {"fstat", js_fstat},
      {"fadviseDontneed", js_fadvise_dontneed},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok ||
        napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) {
      return NULL;
    }
  }
  napi_value backend;
  if (napi_create_string_latin1(env, ss_backend, NAPI_AUTO_LENGTH, &backend) != napi_ok ||
      napi_set_named_property(env, exports, "backend", backend) != napi_ok) {
    return NULL;
  }
  return exports;
}
