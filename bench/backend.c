/* backend.c: the HTTP endpoints the bench/ scripts probe. One thread, epoll,
 * loopback only. Each listener answers every request with a fixed status
 * (200 by default) and closes the connection, or "hangs": reads the request
 * and never answers (the connection stays open until the client gives up),
 * or is a plain TCP endpoint ("tcp"): it logs each connection it accepts and
 * closes it at once, reading nothing (what a TCP probe needs: the connect).
 *
 *   backend [-l LOG] [-c CTLPORT] [-r READYFILE] LISTEN...
 *
 * LISTEN is ADDR:PORT[=MODE] or a range A.B.C.X-Y:PORT[=MODE] (one listener
 * per address); every address must be in 127.0.0.0/8. MODE is an HTTP
 * status (200, 503, ...), "hang" or "tcp".
 *
 * -l LOG       one line per request: "UNIXTIME ADDR:PORT PATH MODE", UNIXTIME
 *              in seconds with microseconds (CLOCK_REALTIME, when the request
 *              was complete); a "tcp" listener logs "UNIXTIME ADDR:PORT - tcp"
 *              per connection, when it accepted it
 * -c CTLPORT   a control socket on 127.0.0.1:CTLPORT, one command a line:
 *                set ADDR:PORT MODE  -> "ok UNIXTIME" (the instant it switched)
 *                count              -> "ok REQUESTS"
 * -r READYFILE written (with "ready") once every socket listens
 *
 * Runs until SIGTERM or SIGINT. Build: cc -O2 -o backend backend.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MODE_HANG (-1)
#define MODE_TCP  (-2)
#define REQ_MAX   4096

enum kind { K_LISTEN, K_CONN, K_CTL_LISTEN, K_CTL };

struct listener {
    enum kind kind;
    int fd;
    int mode; /* status code, MODE_HANG or MODE_TCP */
    struct sockaddr_in addr;
    char name[32]; /* "ADDR:PORT" */
};

struct conn {
    enum kind kind;
    int fd;
    struct listener *l; /* NULL for control connections */
    size_t len;
    int answered; /* hanging: the request was logged, waiting for the close */
    char buf[REQ_MAX];
};

static volatile sig_atomic_t stop;
static struct listener **listeners;
static size_t nlisteners, listeners_cap;
static FILE *logf;
static unsigned long long requests;
static int ep;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void
die(const char *what)
{
    perror(what);
    exit(1);
}

static double
now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
watch(void *ptr, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = ptr};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        die("backend: epoll_ctl");
}

static int
parse_mode(const char *s)
{
    if (strcmp(s, "hang") == 0)
        return MODE_HANG;
    if (strcmp(s, "tcp") == 0)
        return MODE_TCP;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 100 || v > 599) {
        fprintf(stderr, "backend: bad mode '%s' (an HTTP status, 'hang' or 'tcp')\n", s);
        exit(2);
    }
    return (int)v;
}

static int
listen_on(struct sockaddr_in *sin)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("backend: socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)sin, sizeof *sin) < 0) {
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
        fprintf(stderr, "backend: bind %s:%u: %s\n", a, ntohs(sin->sin_port), strerror(errno));
        exit(1);
    }
    if (listen(fd, 4096) < 0)
        die("backend: listen");
    return fd;
}

static void
add_listener(uint32_t addr_host, unsigned port, int mode)
{
    struct listener *l = calloc(1, sizeof *l);
    if (!l)
        die("backend: calloc");
    l->kind = K_LISTEN;
    l->mode = mode;
    l->addr = (struct sockaddr_in){.sin_family = AF_INET,
                                   .sin_port = htons((uint16_t)port),
                                   .sin_addr.s_addr = htonl(addr_host)};
    char a[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &l->addr.sin_addr, a, sizeof a);
    snprintf(l->name, sizeof l->name, "%s:%u", a, port);
    l->fd = listen_on(&l->addr);
    if (nlisteners == listeners_cap) { /* tens of thousands for TCP endpoints */
        listeners_cap = listeners_cap ? 2 * listeners_cap : 64;
        listeners = realloc(listeners, listeners_cap * sizeof *listeners);
        if (!listeners)
            die("backend: realloc");
    }
    listeners[nlisteners++] = l;
    watch(l, l->fd, EPOLLIN);
}

/* ADDR:PORT[=MODE] or A.B.C.X-Y:PORT[=MODE] */
static void
parse_listen(const char *arg)
{
    char spec[128];
    snprintf(spec, sizeof spec, "%s", arg);
    int mode = 200;
    char *eq = strchr(spec, '=');
    if (eq) {
        *eq = 0;
        mode = parse_mode(eq + 1);
    }
    char *colon = strrchr(spec, ':');
    if (!colon) {
        fprintf(stderr, "backend: '%s': expected ADDR:PORT\n", arg);
        exit(2);
    }
    *colon = 0;
    unsigned port = (unsigned)atoi(colon + 1);
    unsigned last = 0;
    char *dash = strchr(spec, '-');
    if (dash) {
        *dash = 0;
        last = (unsigned)atoi(dash + 1);
    }
    struct in_addr in;
    if (inet_pton(AF_INET, spec, &in) != 1 || port == 0 || port > 65535) {
        fprintf(stderr, "backend: '%s': bad address or port\n", arg);
        exit(2);
    }
    uint32_t first = ntohl(in.s_addr);
    uint32_t end = dash ? (first & 0xffffff00u) | last : first;
    if ((first >> 24) != 127 || end < first || (end >> 24) != 127) {
        fprintf(stderr, "backend: '%s': only 127.0.0.0/8 addresses, ascending ranges\n", arg);
        exit(2);
    }
    for (uint32_t a = first; a <= end; a++)
        add_listener(a, port, mode);
}

static struct listener *
find_listener(const char *name)
{
    for (size_t i = 0; i < nlisteners; i++)
        if (strcmp(listeners[i]->name, name) == 0)
            return listeners[i];
    return NULL;
}

static void
conn_close(struct conn *c)
{
    close(c->fd); /* also removes it from the epoll set */
    free(c);
}

static void
write_all(int fd, const char *s, size_t n)
{
    /* Small replies to a fresh socket: the send buffer takes them whole. */
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static const char *
reason(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 503:
        return "Service Unavailable";
    case 500:
        return "Internal Server Error";
    case 404:
        return "Not Found";
    default:
        return "Status";
    }
}

/* A complete HTTP request sits in c->buf: log it, answer (or hang). Returns
 * 1 when the connection is done. */
static int
http_request(struct conn *c)
{
    char path[256] = "-";
    const char *sp = memchr(c->buf, ' ', c->len);
    if (sp) {
        const char *p = sp + 1, *e = memchr(p, ' ', (size_t)(c->buf + c->len - p));
        size_t n = e ? (size_t)(e - p) : 0;
        if (n && n < sizeof path) {
            memcpy(path, p, n);
            path[n] = 0;
        }
    }
    int mode = c->l->mode;
    if (mode == MODE_TCP) /* switched to plain TCP meanwhile: no HTTP any more */
        return 1;
    requests++;
    if (logf) {
        if (mode == MODE_HANG)
            fprintf(logf, "%.6f %s %s hang\n", now_real(), c->l->name, path);
        else
            fprintf(logf, "%.6f %s %s %d\n", now_real(), c->l->name, path, mode);
    }
    if (mode == MODE_HANG) {
        c->answered = 1;
        return 0;
    }
    char out[256];
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                     "Connection: close\r\n\r\n%03d",
                     mode, reason(mode), mode);
    write_all(c->fd, out, (size_t)n);
    return 1;
}

static int
ctl_command(struct conn *c, char *line)
{
    char cmd[16], target[64], mode[16], out[128];
    int k = sscanf(line, "%15s %63s %15s", cmd, target, mode);
    if (k >= 1 && strcmp(cmd, "count") == 0) {
        snprintf(out, sizeof out, "ok %llu\n", requests);
    } else if (k == 3 && strcmp(cmd, "set") == 0) {
        struct listener *l = find_listener(target);
        if (!l) {
            snprintf(out, sizeof out, "error: no listener %s\n", target);
        } else {
            l->mode = parse_mode(mode);
            double t = now_real();
            if (logf)
                fprintf(logf, "%.6f %s set %s\n", t, l->name, mode);
            snprintf(out, sizeof out, "ok %.6f\n", t);
        }
    } else {
        snprintf(out, sizeof out, "error: set ADDR:PORT MODE | count\n");
    }
    write_all(c->fd, out, strlen(out));
    return 0;
}

/* Readable: read what is there; 1 when the connection is done. */
static int
on_readable(struct conn *c)
{
    for (;;) {
        if (c->len == sizeof c->buf - 1) {
            if (c->kind == K_CTL || c->answered)
                c->len = 0; /* discard */
            else
                return 1; /* request too large */
        }
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
        if (r == 0)
            return 1;
        if (r < 0)
            return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
        c->len += (size_t)r;
        c->buf[c->len] = 0;
        if (c->kind == K_CTL) {
            char *nl;
            while ((nl = memchr(c->buf, '\n', c->len))) {
                *nl = 0;
                ctl_command(c, c->buf);
                size_t used = (size_t)(nl + 1 - c->buf);
                memmove(c->buf, nl + 1, c->len - used);
                c->len -= used;
            }
        } else if (!c->answered && strstr(c->buf, "\r\n\r\n")) {
            if (http_request(c))
                return 1;
        } else if (c->answered) {
            c->len = 0; /* a hanging endpoint ignores what follows */
        }
    }
}

static void
on_accept(struct listener *l)
{
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE)
                fprintf(stderr, "backend: out of file descriptors\n");
            return;
        }
        if (l->kind == K_LISTEN && l->mode == MODE_TCP) {
            requests++;
            if (logf)
                fprintf(logf, "%.6f %s - tcp\n", now_real(), l->name);
            close(fd);
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return;
        }
        c->kind = l->kind == K_CTL_LISTEN ? K_CTL : K_CONN;
        c->fd = fd;
        c->l = c->kind == K_CONN ? l : NULL;
        watch(c, fd, EPOLLIN | EPOLLRDHUP);
    }
}

int
main(int argc, char **argv)
{
    const char *logpath = NULL, *ready = NULL;
    int ctlport = 0, opt;
    while ((opt = getopt(argc, argv, "l:c:r:")) != -1) {
        switch (opt) {
        case 'l':
            logpath = optarg;
            break;
        case 'c':
            ctlport = atoi(optarg);
            break;
        case 'r':
            ready = optarg;
            break;
        default:
            fprintf(stderr, "usage: %s [-l LOG] [-c CTLPORT] [-r READYFILE] LISTEN...\n", argv[0]);
            return 2;
        }
    }
    if (optind >= argc && !ctlport) {
        fprintf(stderr, "backend: nothing to listen on\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (logpath) {
        logf = fopen(logpath, "a");
        if (!logf)
            die("backend: log file");
        setvbuf(logf, NULL, _IOFBF, 1 << 16);
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("backend: epoll_create1");
    for (int i = optind; i < argc; i++)
        parse_listen(argv[i]);
    if (ctlport) {
        struct listener *l = calloc(1, sizeof *l);
        l->kind = K_CTL_LISTEN;
        l->addr = (struct sockaddr_in){.sin_family = AF_INET,
                                       .sin_port = htons((uint16_t)ctlport),
                                       .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        l->fd = listen_on(&l->addr);
        watch(l, l->fd, EPOLLIN);
    }
    if (ready) {
        FILE *f = fopen(ready, "w");
        if (!f)
            die("backend: ready file");
        fprintf(f, "ready\n");
        fclose(f);
    }
    struct epoll_event evs[256];
    double last_flush = now_real();
    while (!stop) {
        int n = epoll_wait(ep, evs, 256, 100);
        if (n < 0 && errno != EINTR)
            die("backend: epoll_wait");
        for (int i = 0; i < n; i++) {
            enum kind k = *(enum kind *)evs[i].data.ptr;
            if (k == K_LISTEN || k == K_CTL_LISTEN) {
                on_accept(evs[i].data.ptr);
            } else {
                struct conn *c = evs[i].data.ptr;
                if (on_readable(c) || (evs[i].events & (EPOLLHUP | EPOLLERR)))
                    conn_close(c);
            }
        }
        if (logf && now_real() - last_flush > 0.2) {
            fflush(logf);
            last_flush = now_real();
        }
    }
    if (logf)
        fclose(logf);
    return 0;
}
