/* runner: runs the user-space test programs and sums up their TEST lines.
 *
 *   /tests/runner [-d DIR] [-t SECONDS] [GLOB...]
 *
 * Runs every executable regular file in DIR (default /tests), in name order, except
 * itself and the data directory; with GLOBs, only those whose name matches one of them
 * (fnmatch(3)). Each program's stdout and stderr go into a pipe the runner reads; every
 * line is echoed to the runner's stdout, and the "TEST <suite>.<name> PASS|FAIL|SKIP"
 * lines are counted. A program that exits non-zero or dies by a signal without having
 * printed a FAIL line counts as one more failure, "TEST <prog>.exit FAIL ..."; one still
 * running after SECONDS (default 60) is killed with SIGKILL and counts as
 * "TEST <prog>.timeout FAIL".
 *
 * Last line: "N passed, N failed" (", N skipped" when any were), the closing line of
 * DESIGN.md's test contract. Exit status 0 when nothing failed, 1 otherwise.
 *
 * Only plain system calls are used (no poll, no alarm): the pipe's read end is
 * non-blocking, and the runner alternates draining it, wait4(WNOHANG) and a short
 * nanosleep. It also reaps any other child it gets, so it can itself run as pid 1
 * (init=/tests/runner) and collect orphans.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { kMaxPrograms = 256, kLineMax = 4096 };

static int passed, failed, skipped;

static void write_all(const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(1, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

__attribute__((format(printf, 1, 2))) static void out(const char *fmt, ...) {
    char buf[kLineMax + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) write_all(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One program's output, split into lines. */
struct Output {
    char line[kLineMax];
    size_t len;
    int fails; /* FAIL lines seen from this program */
};

/* Counts a complete line: "TEST <suite>.<name> <VERDICT> ...". */
static void count_line(struct Output *o, const char *line) {
    if (strncmp(line, "TEST ", 5) != 0) return;
    const char *verdict = strchr(line + 5, ' ');
    if (verdict == NULL) return;
    verdict++;
    if (strncmp(verdict, "PASS", 4) == 0 && (verdict[4] == '\0' || verdict[4] == ' ')) {
        passed++;
    } else if (strncmp(verdict, "FAIL", 4) == 0 && (verdict[4] == '\0' || verdict[4] == ' ')) {
        failed++;
        o->fails++;
    } else if (strncmp(verdict, "SKIP", 4) == 0 && (verdict[4] == '\0' || verdict[4] == ' ')) {
        skipped++;
    }
}

static void end_line(struct Output *o) {
    o->line[o->len] = '\0';
    out("%s\n", o->line);
    count_line(o, o->line);
    o->len = 0;
}

static void feed(struct Output *o, const char *data, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\n') {
            end_line(o);
        } else {
            if (o->len == kLineMax - 1) end_line(o); /* an over-long line is cut, not lost */
            o->line[o->len++] = data[i];
        }
    }
}

/* Reads what the pipe holds now. Returns 1 at end of file, 0 otherwise. */
static int drain(int fd, struct Output *o) {
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            feed(o, buf, (size_t)n);
            continue;
        }
        if (n == 0) return 1;
        if (errno == EINTR) continue;
        return 0; /* EAGAIN: nothing more for now */
    }
}

static void nap(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits for pid without blocking on it (WNOHANG); reaps any other child on the way.
 * Returns 1 and its status once pid ended. */
static int poll_child(pid_t pid, int *status) {
    for (;;) {
        int st;
        pid_t r = wait4(-1, &st, WNOHANG, NULL);
        if (r == pid) {
            *status = st;
            return 1;
        }
        if (r <= 0) return 0; /* 0: still running; -1: ECHILD */
    }
}

static void run_program(const char *dir, const char *name, int timeout_s) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        out("TEST %s.exit FAIL runner: pipe: %s\n", name, strerror(errno));
        failed++;
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        out("TEST %s.exit FAIL runner: fork: %s\n", name, strerror(errno));
        failed++;
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        signal(SIGPIPE, SIG_DFL);
        char *argv[] = {path, NULL};
        execve(path, argv, environ);
        dprintf(2, "TEST %s.exit FAIL runner: execve %s: %s\n", name, path, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);

    static struct Output o;
    o.len = 0;
    o.fails = 0;
    long long deadline = now_ms() + (long long)timeout_s * 1000;
    int status = 0, ended = 0, eof = 0, timed_out = 0;
    long sleep_ms = 1;
    while (!ended) {
        if (!eof) eof = drain(p[0], &o);
        if (poll_child(pid, &status)) {
            ended = 1;
            break;
        }
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            timed_out = 1;
            break;
        }
        nap(sleep_ms);
        if (sleep_ms < 20) sleep_ms *= 2; /* quick programs end quickly; slow ones cost little */
    }
    /* The program is gone; whatever it wrote is in the pipe. A grandchild it left
     * behind may still hold the write end, so stop at EOF or after a short grace. */
    long long grace = now_ms() + 500;
    while (!eof) {
        eof = drain(p[0], &o);
        if (eof || now_ms() > grace) break;
        nap(5);
    }
    if (o.len > 0) end_line(&o);
    close(p[0]);

    if (timed_out) {
        out("TEST %s.timeout FAIL killed after %d s\n", name, timeout_s);
        failed++;
    } else if (o.fails == 0 && WIFSIGNALED(status)) {
        out("TEST %s.exit FAIL signal %d (%s)\n", name, WTERMSIG(status), strsignal(WTERMSIG(status)));
        failed++;
    } else if (o.fails == 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        out("TEST %s.exit FAIL status %d\n", name, WEXITSTATUS(status));
        failed++;
    }
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int usage(void) {
    out("usage: runner [-d DIR] [-t SECONDS] [GLOB...]\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *dir = "/tests";
    int timeout_s = 60;
    int opt;
    while ((opt = getopt(argc, argv, "d:t:")) != -1) {
        if (opt == 'd') dir = optarg;
        else if (opt == 't') timeout_s = atoi(optarg);
        else return usage();
    }
    if (timeout_s <= 0) return usage();
    /* The runner must outlive a test that breaks a pipe of its own. */
    signal(SIGPIPE, SIG_IGN);

    const char *self = strrchr(argv[0], '/');
    self = self ? self + 1 : argv[0];

    DIR *d = opendir(dir);
    if (d == NULL) {
        out("runner: %s: %s\n", dir, strerror(errno));
        out("0 passed, 1 failed\n");
        return 1;
    }
    static char *names[kMaxPrograms];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && count < kMaxPrograms) {
        const char *n = e->d_name;
        if (n[0] == '.' || strcmp(n, self) == 0 || strcmp(n, "runner") == 0 || strcmp(n, "data") == 0) continue;
        struct stat st;
        if (fstatat(dirfd(d), n, &st, 0) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) continue;
        if (optind < argc) {
            int match = 0;
            for (int g = optind; g < argc && !match; g++) match = fnmatch(argv[g], n, 0) == 0;
            if (!match) continue;
        }
        names[count++] = strdup(n);
    }
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], by_name);

    for (int i = 0; i < count; i++) {
        if (names[i] != NULL) run_program(dir, names[i], timeout_s);
    }
    if (skipped > 0)
        out("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        out("%d passed, %d failed\n", passed, failed);
    return failed > 0 ? 1 : 0;
}
