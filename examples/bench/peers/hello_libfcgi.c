/*
 * The libfcgi peer: the classic threaded FastCGI C app. 8 threads, each
 * looping on FCGX_Accept_r / FCGX_Finish_r, answering what `plaintext`
 * answers. As libfcgi works, a thread serves one connection at a time and
 * keeps it while the web server sets FCGI_KEEP_CONN.
 *
 *   cc -O2 -o hello_libfcgi hello_libfcgi.c -lfcgi -lpthread
 *   FCGI_BIND=127.0.0.1:9000 ./hello_libfcgi   (or ./hello_libfcgi unix:/tmp/l.sock)
 */
#include <fcgiapp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREADS 8
static const char DOC[] = "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          "Content-Length: 13\r\n\r\nHello, World!";
static int listen_fd;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    while (FCGX_Accept_r(&request) >= 0) {
        /* Nagle off, as any serious server does (no-op on unix sockets). */
        int one = 1;
        setsockopt(request.ipcFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        FCGX_PutStr(DOC, sizeof DOC - 1, request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : getenv("FCGI_BIND");
    if (!addr) { fprintf(stderr, "usage: hello_libfcgi HOST:PORT|unix:/path (or set FCGI_BIND)\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    if (strncmp(addr, "unix:", 5) == 0) {
        addr += 5;
        unlink(addr);
    }
    FCGX_Init();
    listen_fd = FCGX_OpenSocket(addr, 4096);
    if (listen_fd < 0) { fprintf(stderr, "hello_libfcgi: cannot listen on %s\n", addr); return 1; }
    fprintf(stderr, "hello_libfcgi: listening on %s with %d threads\n", addr, THREADS);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, serve, NULL);
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    return 0;
}
