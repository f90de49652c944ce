#ifndef SERIN_CLIBGIT2_SHIM_H
#define SERIN_CLIBGIT2_SHIM_H
/* Swift's incremental build does not always see a change to this header: touch Sources/SerinGit/LibGit2.swift. */
#include <git2.h>
#include <git2/sys/stream.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* git_libgit2_opts is variadic and cannot be imported into Swift: one typed wrapper per option Serin sets. */

static inline int serin_git_get_owner_validation(int *enabled) {
    return git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, enabled);
}

static inline int serin_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}

static inline int serin_git_set_ssl_cert_locations(const char *file, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, path);
}

static inline int serin_git_set_user_agent(const char *user_agent) {
    return git_libgit2_opts(GIT_OPT_SET_USER_AGENT, user_agent);
}

/*
 * Serin's socket stream: the TCP connections libgit2 opens for git://, http:// and https:// (TLS runs over it) and
 * for SSH. libgit2 1.5 has no network timeouts, so a server that accepts a connection and then says nothing would
 * hold a fetch or push, and the worker thread with it, forever; this stream gives up after `timeout_ms` with no
 * byte either way, and at once when the operation is cancelled.
 *
 * libgit2's SSH transport hands the socket to libssh2, which reads and writes it itself, past this stream. For SSH
 * a watcher thread per connection stands in: it shuts the socket down when the kernel's count of time since data
 * last went either way (TCP_INFO) reaches the timeout, or when the operation is cancelled, and libssh2's wait ends.
 * libgit2's SSH transport also reads `s` through its own socket stream type, so the fields up to `s` must stay
 * laid out as libgit2's (parent, host, port, s: the same in every libgit2 release since streams were added).
 */

/* What the operation running on this thread allows: set around each fetch or push, read when a stream opens. */
typedef struct {
    int timeout_ms;
    const int *cancelled;
    /* The remote is reached over SSH, whose I/O bypasses the stream: connections get a watcher. */
    int watch;
    /* Why a stream gave up, kept here too: over TLS, libgit2 reports mbedTLS's generic error instead. */
    char failure[512];
} serin_git_operation_limits;

typedef struct {
    git_stream parent;
    char *host;
    char *port;
    int s;
    int timeout_ms;
    const int *cancelled;
    serin_git_operation_limits *limits;
    int watching;
    int stop_watching;
    pthread_t watcher;
} serin_git_socket_stream;

/* A function's own static, not a global: Swift emits the header's functions into its module, not its variables. */
static inline serin_git_operation_limits *serin_git_current_limits(void) {
    static _Thread_local serin_git_operation_limits limits;
    return &limits;
}

static inline void serin_git_begin_operation(int timeout_ms, const int *cancelled, int watch) {
    serin_git_current_limits()->timeout_ms = timeout_ms;
    serin_git_current_limits()->cancelled = cancelled;
    serin_git_current_limits()->watch = watch;
    serin_git_current_limits()->failure[0] = 0;
}

/* Why a stream of the current operation gave up (a timeout, a cancellation), or "". */
static inline const char *serin_git_operation_failure(void) {
    return serin_git_current_limits()->failure;
}

static void serin_git_give_up(serin_git_operation_limits *limits, const char *message) {
    snprintf(limits->failure, sizeof limits->failure, "%s", message);
    git_error_set_str(GIT_ERROR_NET, message);
}

static void serin_git_describe_silence(char *message, size_t size, const char *doing, serin_git_socket_stream *st) {
    snprintf(message, size,
             "%s %s:%s: no answer for %d s, so the server is taken to have stopped answering "
             "(a slow server needs a longer --git-timeout)",
             doing, st->host, st->port, (st->timeout_ms + 999) / 1000);
}

static inline void serin_git_end_operation(void) {
    serin_git_current_limits()->timeout_ms = 0;
    serin_git_current_limits()->cancelled = NULL;
    serin_git_current_limits()->watch = 0;
}

static inline void serin_git_flag_set(int *flag) { __atomic_store_n(flag, 1, __ATOMIC_RELEASE); }

static inline long long serin_git_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Waits until the socket is ready for `events`: 0, or -1 with libgit2's error set (`doing` says for what). */
static int serin_git_wait(serin_git_socket_stream *st, short events, const char *doing) {
    long long deadline = st->timeout_ms > 0 ? serin_git_now_ms() + st->timeout_ms : 0;
    for (;;) {
        if (st->cancelled && __atomic_load_n(st->cancelled, __ATOMIC_ACQUIRE)) {
            serin_git_give_up(st->limits, "the transfer was cancelled");
            return -1;
        }
        int slice = 250;
        if (deadline) {
            long long left = deadline - serin_git_now_ms();
            if (left <= 0) {
                char message[512];
                serin_git_describe_silence(message, sizeof message, doing, st);
                serin_git_give_up(st->limits, message);
                return -1;
            }
            if (left < slice) slice = (int)left;
        }
        struct pollfd fd = { .fd = st->s, .events = events, .revents = 0 };
        int ready = poll(&fd, 1, slice);
        if (ready > 0) return 0;
        if (ready < 0 && errno != EINTR) {
            char message[256];
            snprintf(message, sizeof message, "%s %s:%s: %s", doing, st->host, st->port, strerror(errno));
            git_error_set_str(GIT_ERROR_NET, message);
            return -1;
        }
    }
}

static void serin_git_keep_alive(int s, int timeout_ms) {
    int on = 1;
    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    if (timeout_ms <= 0) return;
    /* Probes start after a third of the timeout and end the connection by about the timeout; unacknowledged data
     * ends it at the timeout itself. */
    int idle = timeout_ms / 3000 > 0 ? timeout_ms / 3000 : 1, interval = idle / 3 > 0 ? idle / 3 : 1, count = 3;
    unsigned int user_timeout = (unsigned int)timeout_ms;
    setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    setsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

/* The SSH connection's watcher: runs until the stream closes, or until it shuts the socket down. */
static void *serin_git_watch(void *argument) {
    serin_git_socket_stream *st = (serin_git_socket_stream *)argument;
    while (!__atomic_load_n(&st->stop_watching, __ATOMIC_ACQUIRE)) {
        char message[512] = "";
        if (st->cancelled && __atomic_load_n(st->cancelled, __ATOMIC_ACQUIRE)) {
            snprintf(message, sizeof message, "the transfer was cancelled");
        } else if (st->timeout_ms > 0) {
            struct tcp_info info;
            socklen_t length = sizeof info;
            if (getsockopt(st->s, IPPROTO_TCP, TCP_INFO, &info, &length) == 0) {
                unsigned int idle = info.tcpi_last_data_recv < info.tcpi_last_data_sent
                    ? info.tcpi_last_data_recv : info.tcpi_last_data_sent;
                if (idle >= (unsigned int)st->timeout_ms)
                    serin_git_describe_silence(message, sizeof message, "error receiving data from", st);
            }
        }
        if (message[0]) {
            /* Recorded before the shutdown wakes the operation's thread, which reads it once libgit2 returns. */
            snprintf(st->limits->failure, sizeof st->limits->failure, "%s", message);
            shutdown(st->s, SHUT_RDWR);
            return NULL;
        }
        poll(NULL, 0, 100);
    }
    return NULL;
}

static void serin_git_stop_watching(serin_git_socket_stream *st) {
    if (!st->watching) return;
    __atomic_store_n(&st->stop_watching, 1, __ATOMIC_RELEASE);
    pthread_join(st->watcher, NULL);
    st->watching = 0;
}

static int serin_git_socket_connect(git_stream *stream) {
    serin_git_socket_stream *st = (serin_git_socket_stream *)stream;
    struct addrinfo hints, *addresses = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int resolved = getaddrinfo(st->host, st->port, &hints, &addresses);
    if (resolved != 0) {
        char message[512];
        snprintf(message, sizeof message, "failed to resolve address for %s: %s", st->host, gai_strerror(resolved));
        git_error_set_str(GIT_ERROR_NET, message);
        return -1;
    }
    int failure = 0;
    for (struct addrinfo *address = addresses; address; address = address->ai_next) {
        int s = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, address->ai_protocol);
        if (s < 0) { failure = errno; continue; }
        st->s = s;
        if (connect(s, address->ai_addr, address->ai_addrlen) == 0) break;
        if (errno == EINPROGRESS) {
            if (serin_git_wait(st, POLLOUT, "failed to connect to") < 0) {
                close(s);
                st->s = -1;
                freeaddrinfo(addresses);
                return -1;
            }
            int error = 0;
            socklen_t length = sizeof error;
            if (getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) break;
            failure = error;
        } else {
            failure = errno;
        }
        close(s);
        st->s = -1;
    }
    freeaddrinfo(addresses);
    if (st->s < 0) {
        char message[512];
        snprintf(message, sizeof message, "failed to connect to %s: %s", st->host, strerror(failure ? failure : ECONNREFUSED));
        git_error_set_str(GIT_ERROR_OS, message);
        return -1;
    }
    serin_git_keep_alive(st->s, st->timeout_ms);
    if (st->limits->watch && (st->timeout_ms > 0 || st->cancelled)) {
        st->stop_watching = 0;
        if (pthread_create(&st->watcher, NULL, serin_git_watch, st) == 0) st->watching = 1;
    }
    return 0;
}

static ssize_t serin_git_socket_read(git_stream *stream, void *data, size_t length) {
    serin_git_socket_stream *st = (serin_git_socket_stream *)stream;
    for (;;) {
        if (serin_git_wait(st, POLLIN, "error receiving data from") < 0) return -1;
        ssize_t received = recv(st->s, data, length, 0);
        if (received >= 0) return received;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            char message[256];
            snprintf(message, sizeof message, "error receiving data from socket: %s", strerror(errno));
            git_error_set_str(GIT_ERROR_NET, message);
            return -1;
        }
    }
}

static ssize_t serin_git_socket_write(git_stream *stream, const char *data, size_t length, int flags) {
    serin_git_socket_stream *st = (serin_git_socket_stream *)stream;
    (void)flags;
    for (;;) {
        if (serin_git_wait(st, POLLOUT, "error sending data to") < 0) return -1;
        ssize_t sent = send(st->s, data, length, MSG_NOSIGNAL);
        if (sent >= 0) return sent;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            char message[256];
            snprintf(message, sizeof message, "error sending data to socket: %s", strerror(errno));
            git_error_set_str(GIT_ERROR_NET, message);
            return -1;
        }
    }
}

static int serin_git_socket_close(git_stream *stream) {
    serin_git_socket_stream *st = (serin_git_socket_stream *)stream;
    serin_git_stop_watching(st);
    if (st->s >= 0) close(st->s);
    st->s = -1;
    return 0;
}

static void serin_git_socket_free(git_stream *stream) {
    serin_git_socket_stream *st = (serin_git_socket_stream *)stream;
    serin_git_stop_watching(st);
    if (st->s >= 0) close(st->s);
    free(st->host);
    free(st->port);
    free(st);
}

static int serin_git_socket_init(git_stream **out, const char *host, const char *port) {
    serin_git_socket_stream *st = calloc(1, sizeof *st);
    if (!st) return -1;
    st->host = strdup(host);
    st->port = strdup(port);
    if (!st->host || !st->port) {
        free(st->host);
        free(st->port);
        free(st);
        return -1;
    }
    st->s = -1;
    st->timeout_ms = serin_git_current_limits()->timeout_ms;
    st->cancelled = serin_git_current_limits()->cancelled;
    st->limits = serin_git_current_limits();
    st->parent.version = GIT_STREAM_VERSION;
    st->parent.connect = serin_git_socket_connect;
    st->parent.read = serin_git_socket_read;
    st->parent.write = serin_git_socket_write;
    st->parent.close = serin_git_socket_close;
    st->parent.free = serin_git_socket_free;
    *out = &st->parent;
    return 0;
}

/* Makes every TCP connection libgit2 opens a Serin socket stream. Once per process, after git_libgit2_init. */
static inline int serin_git_register_socket_stream(void) {
    static git_stream_registration registration = { GIT_STREAM_VERSION, serin_git_socket_init, NULL };
    return git_stream_register(GIT_STREAM_STANDARD, &registration);
}

#endif
