/*
 * What a blocked reader's wake-up costs on this machine, against polling (docs/benchmarks.md, fourteenth pass).
 * A client sends SIZE bytes over loopback TCP, a forked server reads them and replies with 100 bytes, ITERATIONS
 * times; it prints the mean round trip over the last 90 %. With POLL=1 the client reads its reply with
 * recv(MSG_DONTWAIT) in a loop instead of blocking; with SERVER_POLL=1 the server reads the same way.
 *
 *   gcc -O2 -o /tmp/loopback-pingpong scripts/loopback-pingpong.c
 *   /tmp/loopback-pingpong SIZE ITERATIONS POLL [SERVER_POLL] [PORT]
 *   e.g. /tmp/loopback-pingpong 131000 3000 0; /tmp/loopback-pingpong 131000 3000 1
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Reads exactly count bytes; polls (never sleeps in the kernel) when poll is set. */
static int read_exactly(int s, char *buffer, int count, int poll)
{
    int got = 0;
    while (got < count) {
        int n = recv(s, buffer + got, count - got, poll ? MSG_DONTWAIT : 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) return -1;
        got += n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s SIZE ITERATIONS POLL [SERVER_POLL] [PORT]\n", argv[0]);
        return 2;
    }
    int size = atoi(argv[1]), iterations = atoi(argv[2]), poll = atoi(argv[3]);
    int server_poll = argc > 4 ? atoi(argv[4]) : 0, port = argc > 5 ? atoi(argv[5]) : 12999, one = 1;
    char reply[100] = {0};

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1) != 0) {
        perror("bind/listen");
        return 1;
    }
    if (fork() == 0) {
        int s = accept(listener, NULL, NULL);
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char *request = malloc(size);
        for (int i = 0; i < iterations; i++) {
            if (read_exactly(s, request, size, server_poll) != 0) _exit(1);
            send(s, reply, sizeof reply, 0);
        }
        _exit(0);
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("connect");
        return 1;
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char *request = calloc(size, 1);
    double start = 0;
    for (int i = 0; i < iterations; i++) {
        if (i == iterations / 10) start = now_us();
        send(s, request, size, 0);
        if (read_exactly(s, reply, sizeof reply, poll) != 0) return 1;
    }
    double elapsed = now_us() - start;
    printf("size %d, client %s, server %s: %.1f us per round trip\n", size, poll ? "polls" : "blocks",
           server_poll ? "polls" : "blocks", elapsed / (iterations - iterations / 10));
    wait(NULL);
    return 0;
}
