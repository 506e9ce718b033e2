/* bench: user-space benchmarks, the same static binary on this kernel and on Linux.
 *
 *   bench [-n N] [-l] [NAME...]
 *
 * Prints one line per benchmark (DESIGN.md, "The test and benchmark contract"):
 *
 *   BENCH <name> <median> cycles (p10=<x> p90=<y> n=<samples>)
 *
 * Every sample is a TSC delta (rdtsc) around one operation, less the cost of reading
 * the TSC twice; under QEMU -icount one tick is one guest instruction, so the numbers
 * are instruction counts (user and kernel together), the same from run to run. Where an
 * operation is a round trip between two parties, a sample is half of it (one way).
 *
 * NAMEs select benchmarks: a NAME matches when it is a substring of the benchmark's name
 * or an fnmatch(3) pattern for it. -n N sets the sample count of the cheap benchmarks
 * (default 1001); the expensive ones (threads, forks) take a fixed fraction of it.
 * -l lists the names.
 *
 * Only system calls are used: no /proc, no files. So it can run as pid 1
 * (init=/bin/bench) on either kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

/* From Linux's uapi <linux/futex.h> (musl does not ship kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

#define PAGE 4096UL

static int sample_count = 1001;
static uint64_t tsc_overhead;

/* rdtsc with compiler barriers: the measured code may not move across it. (It is not
 * an execution barrier on real hardware; under -icount there is nothing to reorder.) */
static inline uint64_t tsc(void) {
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint64_t t = __rdtsc();
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return t;
}

static uint64_t ticks(uint64_t start, uint64_t end) {
    uint64_t d = end - start;
    return d > tsc_overhead ? d - tsc_overhead : 0;
}

static void measure_overhead(void) {
    tsc_overhead = UINT64_MAX;
    for (int i = 0; i < 256; i++) {
        uint64_t a = tsc();
        uint64_t b = tsc();
        if (b - a < tsc_overhead) tsc_overhead = b - a;
    }
}

static int scaled(int divisor, int minimum) {
    int n = sample_count / divisor;
    return n < minimum ? minimum : n;
}

static long futex(int *word, int op, int value) { return syscall(SYS_futex, word, op, value, NULL, NULL, 0); }

/* CPUs we may run on, in order. Returns how many (at most max). */
static int allowed_cpus(int *cpus, int max) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) < 0) return 0;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &set)) cpus[n++] = c;
    return n;
}

static void pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set); /* 0: the calling thread */
}

static cpu_set_t original_affinity;

static void unpin(void) { sched_setaffinity(0, sizeof original_affinity, &original_affinity); }

/* Keep transparent huge pages out of the page-fault benchmarks: one 2 MiB fault would
 * serve 512 touches. MADV_NOHUGEPAGE is Linux's; elsewhere an EINVAL is harmless. */
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif

static char *map_pages(size_t pages) {
    char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    madvise(p, pages * PAGE, MADV_NOHUGEPAGE);
    return p;
}

/* ---- simple operations: one sample per call ---- */

#define SIMPLE_BENCH(fn_name, op)                          \
    static int fn_name(uint64_t *s, int n) {               \
        for (int i = 0; i < 64; i++) op;                   \
        for (int i = 0; i < n; i++) {                      \
            uint64_t t0 = tsc();                           \
            op;                                            \
            s[i] = ticks(t0, tsc());                       \
        }                                                  \
        return n;                                          \
    }

static int futex_word;
SIMPLE_BENCH(bench_null_syscall, syscall(SYS_getppid))
SIMPLE_BENCH(bench_yield, sched_yield())
SIMPLE_BENCH(bench_futex_wake_nowaiter, futex(&futex_word, FUTEX_WAKE_PRIVATE, 1))

static int bench_mmap_munmap(uint64_t *s, int n) {
    for (int i = -16; i < n; i++) {
        uint64_t t0 = tsc();
        void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(p, PAGE);
        uint64_t t = ticks(t0, tsc());
        if (p == MAP_FAILED) return 0;
        if (i >= 0) s[i] = t;
    }
    return n;
}

static int bench_pi_mutex_uncontended(uint64_t *s, int n) {
    pthread_mutexattr_t attr;
    pthread_mutex_t m;
    pthread_mutexattr_init(&attr);
    if (pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT) != 0) return 0;
    if (pthread_mutex_init(&m, &attr) != 0) return 0;
    for (int i = -64; i < n; i++) {
        uint64_t t0 = tsc();
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
        uint64_t t = ticks(t0, tsc());
        if (i >= 0) s[i] = t;
    }
    pthread_mutex_destroy(&m);
    pthread_mutexattr_destroy(&attr);
    return n;
}

/* ---- memory ---- */

static int bench_page_fault_anon(uint64_t *s, int n) {
    char *p = map_pages((size_t)n + 16);
    if (p == NULL) return 0;
    for (int i = 0; i < 16; i++) p[(size_t)i * PAGE] = 1; /* warm the path */
    for (int i = 0; i < n; i++) {
        volatile char *page = p + (size_t)(i + 16) * PAGE;
        uint64_t t0 = tsc();
        *page = 1; /* first touch: demand-zero fault */
        s[i] = ticks(t0, tsc());
    }
    munmap(p, ((size_t)n + 16) * PAGE);
    return n;
}

/* A child that holds its copy of the parent's memory until told to go. */
static pid_t park_child(int *release_fd) {
    int p[2];
    if (pipe(p) < 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(p[1]);
        ssize_t unused = read(p[0], &c, 1);
        (void)unused;
        _exit(0);
    }
    close(p[0]);
    *release_fd = p[1];
    return pid;
}

static void release_child(pid_t pid, int release_fd) {
    close(release_fd);
    waitpid(pid, NULL, 0);
}

static int bench_cow_fault(uint64_t *s, int n) {
    enum { kRoundPages = 1024 };
    char *p = map_pages(kRoundPages);
    if (p == NULL) return 0;
    int taken = 0;
    while (taken < n) {
        for (size_t i = 0; i < kRoundPages; i++) p[i * PAGE] = 1; /* private, present */
        int release_fd;
        pid_t child = park_child(&release_fd);
        if (child < 0) break;
        /* Both now map every page read-only; the first write here copies one. */
        for (int i = 0; i < kRoundPages && taken < n; i++) {
            volatile char *page = p + (size_t)i * PAGE;
            uint64_t t0 = tsc();
            *page = 2;
            s[taken++] = ticks(t0, tsc());
        }
        release_child(child, release_fd);
    }
    munmap(p, kRoundPages * PAGE);
    return taken;
}

/* ---- processes and threads ---- */

static int bench_fork_exit_wait(uint64_t *s, int n) {
    for (int i = -2; i < n; i++) {
        uint64_t t0 = tsc();
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        if (pid < 0) return i > 0 ? i : 0;
        waitpid(pid, NULL, 0);
        uint64_t t = ticks(t0, tsc());
        if (i >= 0) s[i] = t;
    }
    return n;
}

static int bench_fork_cow_64m(uint64_t *s, int n) {
    size_t pages = (64UL << 20) / PAGE;
    char *p = map_pages(pages);
    if (p == NULL) return 0;
    for (size_t i = 0; i < pages; i++) p[i * PAGE] = (char)i; /* every page present */
    int taken = 0;
    for (int i = -1; i < n; i++) {
        uint64_t t0 = tsc();
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        if (pid < 0) break;
        waitpid(pid, NULL, 0);
        uint64_t t = ticks(t0, tsc());
        if (i >= 0) s[taken++] = t;
    }
    munmap(p, pages * PAGE);
    return taken;
}

static void *empty_thread(void *arg) { return arg; }

static int bench_thread_create_join(uint64_t *s, int n) {
    for (int i = -4; i < n; i++) {
        pthread_t t;
        uint64_t t0 = tsc();
        if (pthread_create(&t, NULL, empty_thread, NULL) != 0) return i > 0 ? i : 0;
        pthread_join(t, NULL);
        uint64_t d = ticks(t0, tsc());
        if (i >= 0) s[i] = d;
    }
    return n;
}

/* ---- switches: futex ping-pong between two threads ---- */

enum { kPing = 1, kPong = 0, kQuit = 2 };
static int turn;
static int partner_cpu;

static void *pong_thread(void *arg) {
    (void)arg;
    pin_to(partner_cpu);
    for (;;) {
        int v = __atomic_load_n(&turn, __ATOMIC_ACQUIRE);
        if (v == kQuit) return NULL;
        if (v != kPing) {
            futex(&turn, FUTEX_WAIT_PRIVATE, v);
            continue;
        }
        __atomic_store_n(&turn, kPong, __ATOMIC_RELEASE);
        futex(&turn, FUTEX_WAKE_PRIVATE, 1);
    }
}

/* One sample: ping, wait for the pong; half the round trip. */
static int ping_pong(uint64_t *s, int n, int my_cpu, int other_cpu) {
    turn = kPong;
    partner_cpu = other_cpu;
    pin_to(my_cpu);
    pthread_t t;
    if (pthread_create(&t, NULL, pong_thread, NULL) != 0) {
        unpin();
        return 0;
    }
    for (int i = -32; i < n; i++) {
        uint64_t t0 = tsc();
        __atomic_store_n(&turn, kPing, __ATOMIC_RELEASE);
        futex(&turn, FUTEX_WAKE_PRIVATE, 1);
        int v;
        while ((v = __atomic_load_n(&turn, __ATOMIC_ACQUIRE)) == kPing) futex(&turn, FUTEX_WAIT_PRIVATE, kPing);
        uint64_t d = ticks(t0, tsc());
        if (i >= 0) s[i] = d / 2;
    }
    __atomic_store_n(&turn, kQuit, __ATOMIC_RELEASE);
    futex(&turn, FUTEX_WAKE_PRIVATE, 1);
    pthread_join(t, NULL);
    unpin();
    return n;
}

static int bench_ctx_switch(uint64_t *s, int n) {
    int cpus[2];
    if (allowed_cpus(cpus, 1) < 1) return 0;
    return ping_pong(s, n, cpus[0], cpus[0]);
}

static int bench_ctx_switch_xcpu(uint64_t *s, int n) {
    int cpus[2];
    if (allowed_cpus(cpus, 2) < 2) return 0; /* one CPU: no line */
    return ping_pong(s, n, cpus[0], cpus[1]);
}

/* ---- pipes: one byte back and forth between two processes ---- */

static int bench_pipe_pingpong(uint64_t *s, int n) {
    int cpus[1];
    int to_child[2], to_parent[2];
    if (allowed_cpus(cpus, 1) < 1 || pipe(to_child) < 0 || pipe(to_parent) < 0) return 0;
    pin_to(cpus[0]); /* both on one CPU, like ctx_switch: a wake-up and a switch each way */
    pid_t pid = fork();
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        char c;
        while (read(to_child[0], &c, 1) == 1)
            if (write(to_parent[1], &c, 1) != 1) break;
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    int taken = 0;
    if (pid > 0) {
        for (int i = -32; i < n; i++) {
            char c = 'x';
            uint64_t t0 = tsc();
            if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1) break;
            uint64_t d = ticks(t0, tsc());
            if (i >= 0) s[taken++] = d / 2;
        }
    }
    close(to_child[1]);
    close(to_parent[0]);
    if (pid > 0) waitpid(pid, NULL, 0);
    unpin();
    return taken;
}

/* ---- driver ---- */

struct Bench {
    const char *name;
    int (*run)(uint64_t *samples, int n);
    int divisor; /* samples = sample_count / divisor */
    int minimum;
};

static const struct Bench kBenches[] = {
    {"null_syscall", bench_null_syscall, 1, 11},
    {"yield", bench_yield, 1, 11},
    {"ctx_switch", bench_ctx_switch, 1, 11},
    {"ctx_switch_xcpu", bench_ctx_switch_xcpu, 1, 11},
    {"futex_wake_nowaiter", bench_futex_wake_nowaiter, 1, 11},
    {"thread_create_join", bench_thread_create_join, 5, 11},
    {"fork_exit_wait", bench_fork_exit_wait, 10, 11},
    {"fork_cow_64m", bench_fork_cow_64m, 50, 5},
    {"cow_fault", bench_cow_fault, 1, 11},
    {"page_fault_anon", bench_page_fault_anon, 1, 11},
    {"mmap_munmap", bench_mmap_munmap, 1, 11},
    {"pi_mutex_uncontended", bench_pi_mutex_uncontended, 1, 11},
    {"pipe_pingpong", bench_pipe_pingpong, 1, 11},
};

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int selected(const char *name, int argc, char **argv, int first) {
    if (first >= argc) return 1;
    for (int i = first; i < argc; i++)
        if (strstr(name, argv[i]) != NULL || fnmatch(argv[i], name, 0) == 0) return 1;
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: bench [-n SAMPLES] [-l] [NAME...]\n");
    return 2;
}

int main(int argc, char **argv) {
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "-n") == 0 && first + 1 < argc) {
            sample_count = atoi(argv[first + 1]);
            if (sample_count < 1) return usage();
            first += 2;
        } else if (strcmp(argv[first], "-l") == 0) {
            for (size_t i = 0; i < sizeof kBenches / sizeof kBenches[0]; i++) printf("%s\n", kBenches[i].name);
            return 0;
        } else {
            return usage();
        }
    }
    sched_getaffinity(0, sizeof original_affinity, &original_affinity);
    measure_overhead();
    for (size_t b = 0; b < sizeof kBenches / sizeof kBenches[0]; b++) {
        const struct Bench *bench = &kBenches[b];
        if (!selected(bench->name, argc, argv, first)) continue;
        int n = scaled(bench->divisor, bench->minimum);
        uint64_t *samples = calloc((size_t)n, sizeof *samples);
        if (samples == NULL) return 1;
        int taken = bench->run(samples, n);
        if (taken > 0) {
            qsort(samples, (size_t)taken, sizeof *samples, cmp_u64);
            printf("BENCH %s %llu cycles (p10=%llu p90=%llu n=%d)\n", bench->name,
                   (unsigned long long)samples[taken / 2], (unsigned long long)samples[taken / 10],
                   (unsigned long long)samples[taken * 9 / 10], taken);
            fflush(stdout);
        }
        free(samples);
    }
    return 0;
}
