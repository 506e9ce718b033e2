/* echo [-n] [ARG...]: writes the arguments separated by single spaces, then a newline
 * unless -n is given. One write(2) for the whole line when it fits the buffer, so lines
 * from concurrent writers do not interleave mid-line. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

static int write_all(const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(1, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv) {
    int newline = 1, first = 1;
    if (argc > 1 && strcmp(argv[1], "-n") == 0) {
        newline = 0;
        first = 2;
    }
    static char buf[8192];
    size_t used = 0;
    for (int i = first; i <= argc; i++) {
        const char *piece = i == argc ? (newline ? "\n" : "") : argv[i];
        size_t len = strlen(piece);
        int space = i > first && i < argc;
        if (used + len + (size_t)space > sizeof buf) {
            if (write_all(buf, used) < 0) return 1;
            used = 0;
        }
        if (space) buf[used++] = ' ';
        if (len > sizeof buf) {
            if (write_all(piece, len) < 0) return 1;
            continue;
        }
        memcpy(buf + used, piece, len);
        used += len;
    }
    return write_all(buf, used) < 0 ? 1 : 0;
}
