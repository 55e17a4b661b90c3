/*
 * The floor: the least work a FastCGI application server can do. One
 * thread, epoll, non-blocking sockets; it frames records and answers every
 * request with one precomputed response (the same bytes `plaintext`
 * sends), all requests of one read answered in one write. It parses no
 * params, runs no handler, allocates nothing per request: no framework
 * can beat it, so it measures what this machine and kernel allow.
 *
 * It honours FCGI_KEEP_CONN (closes after the request when clear) and
 * multiplexing (answers each request id as its FCGI_STDIN ends).
 *
 *   cc -O2 -o floor floor.c
 *   FCGI_BIND=127.0.0.1:9000 ./floor      (or ./floor unix:/tmp/floor.sock)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BODY "Hello, World!"
#define DOC "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n" \
            "Content-Length: 13\r\n\r\n" BODY

enum { BEGIN_REQUEST = 1, ABORT_REQUEST = 2, END_REQUEST = 3, STDIN = 5,
       STDOUT = 6, GET_VALUES = 9, GET_VALUES_RESULT = 10, UNKNOWN_TYPE = 11 };

static unsigned char response[256];
static size_t response_len;
static size_t id_offsets[3];   /* where the request id sits in `response` */

struct conn {
    int fd;
    int close_after;           /* a request without FCGI_KEEP_CONN was answered */
    unsigned char keep[256];   /* FCGI_KEEP_CONN per request id (low byte) */
    unsigned char *in;
    size_t in_len, in_cap;
    unsigned char *out;
    size_t out_len, out_off, out_cap;
};

static void put_header(unsigned char *p, int type, int id, int len, int pad) {
    p[0] = 1; p[1] = type; p[2] = id >> 8; p[3] = id & 0xff;
    p[4] = len >> 8; p[5] = len & 0xff; p[6] = pad; p[7] = 0;
}

static void build_response(void) {
    size_t doc = strlen(DOC), pad = (8 - doc % 8) % 8, n = 0;
    id_offsets[0] = n + 2;
    put_header(response + n, STDOUT, 0, doc, pad); n += 8;
    memcpy(response + n, DOC, doc); n += doc;
    memset(response + n, 0, pad); n += pad;
    id_offsets[1] = n + 2;
    put_header(response + n, STDOUT, 0, 0, 0); n += 8;
    id_offsets[2] = n + 2;
    put_header(response + n, END_REQUEST, 0, 8, 0); n += 8;
    memset(response + n, 0, 8); n += 8; /* app status 0, FCGI_REQUEST_COMPLETE */
    response_len = n;
}

static void reserve(unsigned char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t cap2 = *cap ? *cap : 4096;
    while (cap2 < need) cap2 *= 2;
    unsigned char *p = realloc(*buf, cap2);
    if (!p) { perror("realloc"); exit(1); }
    *buf = p; *cap = cap2;
}

static void answer(struct conn *c, int id) {
    reserve(&c->out, &c->out_cap, c->out_len + response_len);
    unsigned char *p = c->out + c->out_len;
    memcpy(p, response, response_len);
    for (int i = 0; i < 3; i++) {
        p[id_offsets[i]] = id >> 8;
        p[id_offsets[i] + 1] = id & 0xff;
    }
    c->out_len += response_len;
    if (!c->keep[id & 0xff]) c->close_after = 1;
}

static void get_values(struct conn *c) {
    /* FCGI_MPXS_CONNS=1, enough for clients that ask. */
    static const unsigned char pair[] = { 15, 1, 'F','C','G','I','_','M','P','X','S','_','C','O','N','N','S','1' };
    size_t len = sizeof pair, pad = (8 - len % 8) % 8;
    reserve(&c->out, &c->out_cap, c->out_len + 8 + len + pad);
    unsigned char *p = c->out + c->out_len;
    put_header(p, GET_VALUES_RESULT, 0, len, pad);
    memcpy(p + 8, pair, len);
    memset(p + 8 + len, 0, pad);
    c->out_len += 8 + len + pad;
}

/* Handles every whole record in the input; returns -1 on a bad record. */
static int parse(struct conn *c) {
    size_t at = 0;
    while (c->in_len - at >= 8) {
        unsigned char *h = c->in + at;
        int type = h[1], id = h[2] << 8 | h[3];
        size_t len = (size_t)h[4] << 8 | h[5], total = 8 + len + h[6];
        if (h[0] != 1) return -1;
        if (c->in_len - at < total) break;
        switch (type) {
        case BEGIN_REQUEST:
            if (len < 8) return -1;
            c->keep[id & 0xff] = h[8 + 2] & 1;
            break;
        case STDIN:
            if (len == 0) answer(c, id);
            break;
        case ABORT_REQUEST:
            answer(c, id);
            break;
        case GET_VALUES:
            get_values(c);
            break;
        default:
            break;
        }
        at += total;
    }
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
    return 0;
}

/* Writes pending output; returns 1 when all is written, 0 if the socket is
 * full, -1 on error. */
static int flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            return -1;
        }
        c->out_off += n;
    }
    c->out_off = c->out_len = 0;
    return 1;
}

static void drop(int ep, struct conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static int listen_on(const char *addr) {
    int fd;
    if (strncmp(addr, "unix:", 5) == 0) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strncpy(sa.sun_path, addr + 5, sizeof sa.sun_path - 1);
        unlink(sa.sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror(addr); exit(1); }
    } else {
        char host[256];
        const char *colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= sizeof host) { fprintf(stderr, "bad address %s\n", addr); exit(2); }
        memcpy(host, addr, colon - addr); host[colon - addr] = 0;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
        if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", host); exit(2); }
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror(addr); exit(1); }
    }
    if (listen(fd, 4096) < 0) { perror("listen"); exit(1); }
    return fd;
}

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : getenv("FCGI_BIND");
    if (!addr) { fprintf(stderr, "usage: floor HOST:PORT|unix:/path (or set FCGI_BIND)\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    build_response();
    int lfd = listen_on(addr), tcp = strncmp(addr, "unix:", 5) != 0;
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    fprintf(stderr, "floor: listening on %s\n", addr);
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        if (n < 0 && errno == EINTR) continue;
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    int one = 1;
                    if (tcp) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    if (!c) { close(fd); continue; }
                    c->fd = fd;
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            if (events[i].events & EPOLLOUT) {
                int r = flush_out(c);
                if (r < 0) { drop(ep, c); continue; }
                if (r == 0) continue;
                if (c->close_after) { drop(ep, c); continue; }
                struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
            }
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                reserve(&c->in, &c->in_cap, c->in_len + 65536);
                ssize_t got = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
                if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                if (got <= 0) { drop(ep, c); continue; }
                c->in_len += got;
                if (parse(c) < 0) { drop(ep, c); continue; }
                if (c->out_len == 0) continue;
                int r = flush_out(c);
                if (r < 0) { drop(ep, c); continue; }
                if (r == 0) {
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c };
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
                    continue;
                }
                if (c->close_after) drop(ep, c);
            }
        }
    }
}
