/*
 * rawsock: the few socket calls tsvs needs that Node.js lacks (TECH.md §6): raw IP
 * sockets with ancillary data (received TTL / hop limit, ifindex, destination; sent
 * hop limit and source), and AF_PACKET for gratuitous ARP. Plain N-API, no other deps.
 * Every function throws an Error whose `code` is the errno name on failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define MAX_PACKET 65536

typedef struct {
  int fd;
  int family;
  napi_env env;
  uv_poll_t *poll;      /* non-NULL while reading */
  napi_ref callback;    /* the JS readable callback while reading */
  napi_ref self;        /* keeps the handle alive while reading */
} rawsock;

static napi_value throw_errno(napi_env env, const char *syscall) {
  int err = errno;
  char message[128];
  snprintf(message, sizeof message, "%s: %s", syscall, strerror(err));
  const char *name = strerrorname_np(err);
  napi_throw_error(env, name ? name : "EUNKNOWN", message);
  return NULL;
}

#define CHECK(call)                                                              \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      const napi_extended_error_info *info;                                      \
      napi_get_last_error_info(env, &info);                                      \
      bool pending;                                                              \
      napi_is_exception_pending(env, &pending);                                  \
      if (!pending) napi_throw_error(env, "EINVAL", info->error_message ? info->error_message : "invalid argument"); \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

static napi_value throw_invalid(napi_env env, const char *message) {
  napi_throw_type_error(env, "EINVAL", message);
  return NULL;
}

static void stop_reading(rawsock *s);

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  rawsock *s = data;
  stop_reading(s);
  if (s->fd >= 0) close(s->fd);
  free(s);
}

static napi_value get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < expected) return throw_invalid(env, "too few arguments");
  napi_value ok;
  napi_get_boolean(env, true, &ok);
  return ok;
}

static rawsock *unwrap(napi_env env, napi_value value) {
  rawsock *s = NULL;
  if (napi_get_value_external(env, value, (void **)&s) != napi_ok || s == NULL) {
    throw_invalid(env, "not a rawsock handle");
    return NULL;
  }
  if (s->fd < 0) {
    napi_throw_error(env, "EBADF", "socket is closed");
    return NULL;
  }
  return s;
}

/* open(family, type, protocol): protocol is the IP protocol, or the ethertype for AF_PACKET. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  int32_t family, type, protocol;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_int32(env, argv[1], &type));
  CHECK(napi_get_value_int32(env, argv[2], &protocol));
  if (family != AF_INET && family != AF_INET6 && family != AF_PACKET) return throw_invalid(env, "family must be AF_INET, AF_INET6 or AF_PACKET");
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, family == AF_PACKET ? htons((uint16_t)protocol) : protocol);
  if (fd < 0) return throw_errno(env, "socket");
  rawsock *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  s->fd = fd;
  s->family = family;
  s->env = env;
  napi_value handle;
  if (napi_create_external(env, s, finalize, NULL, &handle) != napi_ok) {
    close(fd);
    free(s);
    napi_throw_error(env, "ENOMEM", "cannot create handle");
    return NULL;
  }
  return handle;
}

/* setIntOption(handle, level, name, value) */
static napi_value js_set_int_option(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  rawsock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  int32_t level, name, value;
  CHECK(napi_get_value_int32(env, argv[1], &level));
  CHECK(napi_get_value_int32(env, argv[2], &name));
  CHECK(napi_get_value_int32(env, argv[3], &value));
  int v = value;
  if (setsockopt(s->fd, level, name, &v, sizeof v) < 0) return throw_errno(env, "setsockopt");
  return NULL;
}

/* getIntOption(handle, level, name) -> number */
static napi_value js_get_int_option(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  rawsock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  int32_t level, name;
  CHECK(napi_get_value_int32(env, argv[1], &level));
  CHECK(napi_get_value_int32(env, argv[2], &name));
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(s->fd, level, name, &v, &len) < 0) return throw_errno(env, "getsockopt");
  napi_value result;
  CHECK(napi_create_int32(env, v, &result));
  return result;
}

/* setBufferOption(handle, level, name, buffer): ip_mreqn, ipv6_mreq, a device name, ... */
static napi_value js_set_buffer_option(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  rawsock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  int32_t level, name;
  CHECK(napi_get_value_int32(env, argv[1], &level));
  CHECK(napi_get_value_int32(env, argv[2], &name));
  void *data;
  size_t length;
  CHECK(napi_get_buffer_info(env, argv[3], &data, &length));
  if (setsockopt(s->fd, level, name, data, (socklen_t)length) < 0) return throw_errno(env, "setsockopt");
  return NULL;
}

/* bindLink(handle, ifindex, ethertype): an AF_PACKET socket receives only from that interface. */
static napi_value js_bind_link(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  rawsock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->family != AF_PACKET) return throw_invalid(env, "bindLink needs an AF_PACKET socket");
  int32_t ifindex, protocol;
  CHECK(napi_get_value_int32(env, argv[1], &ifindex));
  CHECK(napi_get_value_int32(env, argv[2], &protocol));
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons((uint16_t)protocol), .sll_ifindex = ifindex};
  if (bind(s->fd, (struct sockaddr *)&sll, sizeof sll) < 0) return throw_errno(env, "bind");
  return NULL;
}

static int optional_int(napi_env env, napi_value object, const char *key, int32_t *out) {
  bool has = false;
  napi_value value;
  napi_valuetype type;
  if (napi_has_named_property(env, object, key, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, object, key, &value) != napi_ok) return -1;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (type == napi_undefined) return 0;
  return napi_get_value_int32(env, value, out) == napi_ok ? 1 : -1;
}

static int optional_buffer(napi_env env, napi_value object, const char *key, void **data, size_t *length) {
  bool has = false;
  napi_value value;
  napi_valuetype type;
  if (napi_has_named_property(env, object, key, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, object, key, &value) != napi_ok) return -1;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (type == napi_undefined) return 0;
  return napi_get_buffer_info(env, value, data, length) == napi_ok ? 1 : -1;
}

/*
 * sendIp(handle, data, destination, options): destination is 4 or 16 address bytes;
 * options.ifindex and options.source become IP_PKTINFO / IPV6_PKTINFO, options.hopLimit
 * becomes IP_TTL / IPV6_HOPLIMIT ancillary data.
 */
static napi_value js_send_ip(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  rawsock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->family == AF_PACKET) return throw_invalid(env, "sendIp needs an AF_INET or AF_INET6 socket");
  void *data, *dst, *src = NULL;
  size_t length, dst_length, src_length = 0;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length));
  CHECK(napi_get_buffer_info(env, argv[2], &dst, &dst_length));
  int32_t ifindex = 0, hop_limit = -1;
  int has_ifindex = optional_int(env, argv[3], "ifindex", &ifindex);
  int has_hop = optional_int(env, argv[3], "hopLimit", &hop_limit);
  int has_src = optional_buffer(env, argv[3], "source", &src, &src_length);
  if (has_ifindex < 0 || has_hop < 0 || has_src < 0) return throw_invalid(env, "bad send options");

  struct sockaddr_storage to = {0};
  socklen_t to_length;
  char control[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))] = {0};
  struct iovec iov = {.iov_base = data, .iov_len = length};
  struct msghdr msg = {.msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  size_t used = 0;
  if (s->family == AF_INET) {
    if (dst_length != 4 || (has_src > 0 && src_length != 4)) return throw_invalid(env, "IPv4 addresses have 4 bytes");
    struct sockaddr_in *sin = (struct sockaddr_in *)&to;
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_addr, dst, 4);
    to_length = sizeof *sin;
    if (has_ifindex > 0 || has_src > 0) {
      struct in_pktinfo pktinfo = {.ipi_ifindex = ifindex};
      if (has_src > 0) memcpy(&pktinfo.ipi_spec_dst, src, 4);
      cmsg->cmsg_level = IPPROTO_IP;
      cmsg->cmsg_type = IP_PKTINFO;
      cmsg->cmsg_len = CMSG_LEN(sizeof pktinfo);
      memcpy(CMSG_DATA(cmsg), &pktinfo, sizeof pktinfo);
      used += CMSG_SPACE(sizeof pktinfo);
      cmsg = (struct cmsghdr *)(control + used);
    }
    if (has_hop > 0) {
      cmsg->cmsg_level = IPPROTO_IP;
      cmsg->cmsg_type = IP_TTL;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(cmsg), &hop_limit, sizeof(int));
      used += CMSG_SPACE(sizeof(int));
    }
  } else {
    if (dst_length != 16 || (has_src > 0 && src_length != 16)) return throw_invalid(env, "IPv6 addresses have 16 bytes");
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;
    sin6->sin6_family = AF_INET6;
    memcpy(&sin6->sin6_addr, dst, 16);
    if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&sin6->sin6_addr)) sin6->sin6_scope_id = (uint32_t)ifindex;
    to_length = sizeof *sin6;
    if (has_ifindex > 0 || has_src > 0) {
      struct in6_pktinfo pktinfo = {.ipi6_ifindex = (unsigned)ifindex};
      if (has_src > 0) memcpy(&pktinfo.ipi6_addr, src, 16);
      cmsg->cmsg_level = IPPROTO_IPV6;
      cmsg->cmsg_type = IPV6_PKTINFO;
      cmsg->cmsg_len = CMSG_LEN(sizeof pktinfo);
      memcpy(CMSG_DATA(cmsg), &pktinfo, sizeof pktinfo);
      used += CMSG_SPACE(sizeof pktinfo);
      cmsg = (struct cmsghdr *)(control + used);
    }
    if (has_hop > 0) {
      cmsg->cmsg_level = IPPROTO_IPV6;
      cmsg->cmsg_type = IPV6_HOPLIMIT;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(cmsg), &hop_limit, sizeof(int));
      used += CMSG_SPACE(sizeof(int));
    }
  }
  msg.msg_namelen = to_length;
  msg.msg_controllen = used;
  if (used == 0) msg.msg_control = NULL;
  if (sendmsg(s->fd, &msg, 0) < 0) return throw_errno(env, "sendmsg");
  return NULL;
}

/* sendLink(handle, frame, ifindex, destinationMac): frame is a whole Ethernet frame. */
static napi_value js_send_link(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  rawsock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->family != AF_PACKET) return throw_invalid(env, "sendLink needs an AF_PACKET socket");
  void *data, *mac;
  size_t length, mac_length;
  int32_t ifindex;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length));
  CHECK(napi_get_value_int32(env, argv[2], &ifindex));
  CHECK(napi_get_buffer_info(env, argv[3], &mac, &mac_length));
  if (mac_length != ETH_ALEN) return throw_invalid(env, "a MAC address has 6 bytes");
  if (length < ETH_HLEN) return throw_invalid(env, "frame shorter than an Ethernet header");
  struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = ETH_ALEN};
  memcpy(&to.sll_protocol, (char *)data + 12, 2);
  memcpy(to.sll_addr, mac, ETH_ALEN);
  if (sendto(s->fd, data, length, 0, (struct sockaddr *)&to, sizeof to) < 0) return throw_errno(env, "sendto");
  return NULL;
}

static void set_int(napi_env env, napi_value object, const char *key, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, object, key, v);
}

static void set_bytes(napi_env env, napi_value object, const char *key, const void *bytes, size_t length) {
  napi_value v;
  napi_create_buffer_copy(env, length, bytes, NULL, &v);
  napi_set_named_property(env, object, key, v);
}

/*
 * Reads until EAGAIN, calling callback(null, data, info) per packet, or callback(error) once.
 * From the event loop (uv_poll) callbacks go through napi_make_callback; from drain(), which
 * JS calls, through napi_call_function.
 */
static void read_all(rawsock *s, int status, bool from_js) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, global;
  napi_get_reference_value(env, s->callback, &callback);
  napi_get_global(env, &global);
  static unsigned char buffer[MAX_PACKET];
  char control[512];
  for (int budget = 0; budget < 256 && status == 0 && s->poll; budget++) {
    struct sockaddr_storage from;
    struct iovec iov = {.iov_base = buffer, .iov_len = sizeof buffer};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(s->fd, &msg, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      status = -errno;
      break;
    }
    napi_value data, details, args[3];
    napi_create_buffer_copy(env, (size_t)n, buffer, NULL, &data);
    napi_create_object(env, &details);
    if (msg.msg_flags & MSG_TRUNC) set_int(env, details, "truncated", 1);
    if (from.ss_family == AF_INET) {
      set_bytes(env, details, "source", &((struct sockaddr_in *)&from)->sin_addr, 4);
    } else if (from.ss_family == AF_INET6) {
      set_bytes(env, details, "source", &((struct sockaddr_in6 *)&from)->sin6_addr, 16);
    } else if (from.ss_family == AF_PACKET) {
      struct sockaddr_ll *sll = (struct sockaddr_ll *)&from;
      set_int(env, details, "ifindex", sll->sll_ifindex);
      set_int(env, details, "packetType", sll->sll_pkttype);
      set_int(env, details, "protocol", ntohs(sll->sll_protocol));
      set_bytes(env, details, "linkSource", sll->sll_addr, sll->sll_halen <= 8 ? sll->sll_halen : 8);
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo p;
        memcpy(&p, CMSG_DATA(c), sizeof p);
        set_int(env, details, "ifindex", p.ipi_ifindex);
        set_bytes(env, details, "destination", &p.ipi_addr, 4);
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
        int ttl;
        memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
        set_int(env, details, "hopLimit", ttl);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        struct in6_pktinfo p;
        memcpy(&p, CMSG_DATA(c), sizeof p);
        set_int(env, details, "ifindex", (int)p.ipi6_ifindex);
        set_bytes(env, details, "destination", &p.ipi6_addr, 16);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
        int hops;
        memcpy(&hops, CMSG_DATA(c), sizeof hops);
        set_int(env, details, "hopLimit", hops);
      }
    }
    napi_get_null(env, &args[0]);
    args[1] = data;
    args[2] = details;
    napi_value ignored;
    /* A throwing callback surfaces as an uncaught exception, like any other event handler. */
    napi_status called = from_js ? napi_call_function(env, global, callback, 3, args, &ignored) : napi_make_callback(env, NULL, global, callback, 3, args, &ignored);
    if (called != napi_ok) break;
  }
  if (status < 0 && s->poll) {
    napi_value error, code, message;
    const char *name = strerrorname_np(-status);
    napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(-status), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &error);
    napi_value ignored;
    if (from_js) napi_call_function(env, global, callback, 1, &error, &ignored);
    else napi_make_callback(env, NULL, global, callback, 1, &error, &ignored);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  read_all(poll->data, status, false);
}

static void free_poll(uv_handle_t *handle) { free(handle); }

static void stop_reading(rawsock *s) {
  if (!s->poll) return;
  uv_poll_stop(s->poll);
  uv_close((uv_handle_t *)s->poll, free_poll);
  s->poll = NULL;
  napi_delete_reference(s->env, s->callback);
  s->callback = NULL;
  /* Called from the finalizer too, when self is already gone. */
  if (s->self) {
    napi_delete_reference(s->env, s->self);
    s->self = NULL;
  }
}

/* startReading(handle, callback): callback(error, data, info) for every packet received. */
static napi_value js_start_reading(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  rawsock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->poll) {
    napi_throw_error(env, "EALREADY", "already reading");
    return NULL;
  }
  napi_valuetype type;
  CHECK(napi_typeof(env, argv[1], &type));
  if (type != napi_function) return throw_invalid(env, "callback must be a function");
  struct uv_loop_s *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_t *poll = malloc(sizeof *poll);
  if (!poll) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  int rc = uv_poll_init(loop, poll, s->fd);
  if (rc < 0) {
    free(poll);
    errno = -rc;
    return throw_errno(env, "uv_poll_init");
  }
  poll->data = s;
  CHECK(napi_create_reference(env, argv[1], 1, &s->callback));
  CHECK(napi_create_reference(env, argv[0], 1, &s->self));
  s->poll = poll;
  rc = uv_poll_start(poll, UV_READABLE, on_readable);
  if (rc < 0) {
    stop_reading(s);
    errno = -rc;
    return throw_errno(env, "uv_poll_start");
  }
  return NULL;
}

static napi_value js_stop_reading(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  rawsock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  stop_reading(s);
  return NULL;
}

/*
 * drain(handle): delivers, synchronously, every packet already queued on a socket that is
 * reading, so that a timer handled before the event loop's poll phase sees them first.
 */
static napi_value js_drain(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  rawsock *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->poll) read_all(s, 0, true);
  return NULL;
}

/* close(handle): stops reading and closes the descriptor; a second close is a no-op. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  rawsock *s = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&s) != napi_ok || !s) return throw_invalid(env, "not a rawsock handle");
  stop_reading(s);
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  return NULL;
}

/* ifIndex(name) -> number */
static napi_value js_if_index(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char name[IF_NAMESIZE + 1];
  size_t length;
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length));
  unsigned index = if_nametoindex(name);
  if (index == 0) return throw_errno(env, "if_nametoindex");
  napi_value result;
  CHECK(napi_create_uint32(env, index, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"setIntOption", NULL, js_set_int_option, NULL, NULL, NULL, napi_default, NULL},
      {"getIntOption", NULL, js_get_int_option, NULL, NULL, NULL, napi_default, NULL},
      {"setBufferOption", NULL, js_set_buffer_option, NULL, NULL, NULL, napi_default, NULL},
      {"bindLink", NULL, js_bind_link, NULL, NULL, NULL, napi_default, NULL},
      {"sendIp", NULL, js_send_ip, NULL, NULL, NULL, napi_default, NULL},
      {"sendLink", NULL, js_send_link, NULL, NULL, NULL, napi_default, NULL},
      {"startReading", NULL, js_start_reading, NULL, NULL, NULL, napi_default, NULL},
      {"stopReading", NULL, js_stop_reading, NULL, NULL, NULL, napi_default, NULL},
      {"drain", NULL, js_drain, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"ifIndex", NULL, js_if_index, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
