/* utest.h: a tiny test framework for the user-space test programs.
 *
 * A test program is one .c file:
 *
 *     #include "utest.h"
 *
 *     TEST(file, open_missing) {
 *         EXPECT_ERRNO(open("/nope", O_RDONLY), ENOENT);
 *     }
 *
 *     UTEST_MAIN()
 *
 * Every case prints exactly one line on stdout (DESIGN.md, "The test and
 * benchmark contract"):
 *
 *     TEST <suite>.<name> PASS
 *     TEST <suite>.<name> FAIL <file>:<line>: <reason>
 *     TEST <suite>.<name> SKIP <reason>
 *
 * written with one write(2) straight to fd 1: no stdio buffer that a crash or a
 * fork could lose or duplicate. The program's exit status is the number of
 * failed cases (at most 100). Arguments are optional globs (fnmatch(3)) on
 * "<suite>.<name>" that select cases; "-l" lists them.
 *
 * EXPECT_EQ/NE/LT/LE/GT/GE compare both sides converted to long long (so an unsigned
 * value at the top of its range, like RLIM_INFINITY, reads as negative: compare those with
 * EXPECT_TRUE). EXPECT_ERRNO(call, E) wants call to return -1 with errno == E; EXPECT_OK
 * wants it not to return -1.
 *
 * EXPECT_* records a failure and goes on; ASSERT_* records it and returns from
 * the case (so use ASSERT_* only in the TEST body or in void helpers).
 *
 * Forking: only the test process prints TEST lines. A failed EXPECT/ASSERT in
 * a forked child writes a diagnostic to stderr (not a TEST line) and counts in
 * that child's utest_child_failures; the child ends with utest_child_exit(),
 * whose status the parent checks with EXPECT_CHILD_OK(pid). An ASSERT failing
 * in a child exits it at once with status UTEST_CHILD_FAILED.
 *
 * Paths: the programs live at /tests in the initrd, fixtures at /tests/data.
 * To run the same binaries from a directory on a Linux host, UPATH("/tests/data/x")
 * prefixes the root the program was started from: the part of argv[0] before
 * its last "/tests/" (made absolute), or $UTEST_ROOT if set ("" in the initrd).
 *
 * Header-only on purpose: each test program is a single translation unit.
 */
#ifndef UTEST_H
#define UTEST_H

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UTEST_MAX_CASES 256
#define UTEST_CHILD_FAILED 99

typedef void (*utest_fn)(void);

struct utest_case {
    const char *suite;
    const char *name;
    utest_fn fn;
    int line;
};

static struct utest_case utest_cases[UTEST_MAX_CASES];
static int utest_case_count;
static pid_t utest_pid;             /* the process that prints TEST lines */
static const char *utest_argv0 = "";
static char utest_root[PATH_MAX];
static const struct utest_case *utest_current;
static int utest_current_failures;  /* in the test process, for utest_current */
static int utest_child_failures;    /* in a forked child */
static char utest_first_reason[512];
static char utest_skip_reason[256];
static int utest_skipped;

/* Registration runs from ELF constructors (.init_array, which musl's start-up
 * code walks), so a case needs no list kept by hand. */
#define TEST(suite, name)                                                        \
    static void utest_##suite##_##name(void);                                    \
    __attribute__((constructor)) static void utest_reg_##suite##_##name(void) {  \
        utest_register(#suite, #name, utest_##suite##_##name, __LINE__);          \
    }                                                                            \
    static void utest_##suite##_##name(void)

static void utest_register(const char *suite, const char *name, utest_fn fn, int line) {
    if (utest_case_count < UTEST_MAX_CASES) {
        struct utest_case *c = &utest_cases[utest_case_count++];
        c->suite = suite;
        c->name = name;
        c->fn = fn;
        c->line = line;
    }
}

/* write(2) all of it, retrying short writes and EINTR. */
static void utest_write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

__attribute__((format(printf, 2, 3))) static void utest_printf(int fd, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) {
        n = sizeof buf - 1;
        buf[n - 1] = '\n';
    }
    utest_write_all(fd, buf, (size_t)n);
}

static int utest_in_child(void) { return getpid() != utest_pid; }

/* Symbolic names make FAIL lines readable: "got -1/ENOSYS" beats "errno 38". */
__attribute__((unused)) static const char *utest_errname(int e) {
    static const struct { int e; const char *name; } names[] = {
        {0, "0"}, {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EINTR, "EINTR"}, {EIO, "EIO"},
        {ENXIO, "ENXIO"}, {E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"}, {EBADF, "EBADF"}, {ECHILD, "ECHILD"},
        {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"}, {EACCES, "EACCES"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"},
        {EEXIST, "EEXIST"}, {EXDEV, "EXDEV"}, {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
        {EINVAL, "EINVAL"}, {ENFILE, "ENFILE"}, {EMFILE, "EMFILE"}, {ENOTTY, "ENOTTY"}, {EFBIG, "EFBIG"},
        {ENOSPC, "ENOSPC"}, {ESPIPE, "ESPIPE"}, {EROFS, "EROFS"}, {EMLINK, "EMLINK"}, {EPIPE, "EPIPE"},
        {EDOM, "EDOM"}, {ERANGE, "ERANGE"}, {EDEADLK, "EDEADLK"}, {ENAMETOOLONG, "ENAMETOOLONG"},
        {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"}, {ELOOP, "ELOOP"}, {EOVERFLOW, "EOVERFLOW"},
        {ETIMEDOUT, "ETIMEDOUT"}, {EOWNERDEAD, "EOWNERDEAD"}, {ENOTRECOVERABLE, "ENOTRECOVERABLE"},
        {EOPNOTSUPP, "EOPNOTSUPP"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].e == e) return names[i].name;
    static char other[32];
    snprintf(other, sizeof other, "errno %d", e);
    return other;
}

/* Records one failure. The first one of a case becomes the FAIL line's reason;
 * later ones (and all of a child's) go to stderr so none is lost. */
__attribute__((format(printf, 3, 4))) static void utest_fail(const char *file, int line, const char *fmt, ...) {
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    if (utest_in_child()) {
        __atomic_add_fetch(&utest_child_failures, 1, __ATOMIC_SEQ_CST);
        utest_printf(2, "utest: child %d: %s:%d: %s\n", (int)getpid(), base, line, reason);
        return;
    }
    if (__atomic_fetch_add(&utest_current_failures, 1, __ATOMIC_SEQ_CST) == 0) {
        snprintf(utest_first_reason, sizeof utest_first_reason, "%.60s:%d: %.400s", base, line, reason);
    } else {
        utest_printf(2, "utest: %s:%d: %s\n", base, line, reason);
    }
}

/* A child that ran EXPECTs ends with this: 0 when all held. */
__attribute__((unused)) static _Noreturn void utest_child_exit(void) { _exit(utest_child_failures ? UTEST_CHILD_FAILED : 0); }

#define UTEST_ASSERT_ACTION()                                      \
    do {                                                           \
        if (utest_in_child()) _exit(UTEST_CHILD_FAILED);           \
        return;                                                    \
    } while (0)

#define UTEST_CHECK_TRUE(cond, text, action)                                                 \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            utest_fail(__FILE__, __LINE__, "expected %s", text);                              \
            action;                                                                          \
        }                                                                                    \
    } while (0)

#define UTEST_CHECK_CMP(a, op, b, action)                                                            \
    do {                                                                                             \
        long long utest_a_ = (long long)(a);                                                         \
        long long utest_b_ = (long long)(b);                                                         \
        if (!(utest_a_ op utest_b_)) {                                                               \
            utest_fail(__FILE__, __LINE__, "expected %s %s %s, got %lld (0x%llx) vs %lld (0x%llx)", #a, #op, #b, \
                       utest_a_, (unsigned long long)utest_a_, utest_b_, (unsigned long long)utest_b_);  \
            action;                                                                                  \
        }                                                                                            \
    } while (0)

/* call must fail: return -1 (or MAP_FAILED, which is -1 too) with errno == e. */
#define UTEST_CHECK_ERRNO(call, e, action)                                                               \
    do {                                                                                                 \
        errno = 0;                                                                                       \
        long utest_r_ = (long)(call);                                                                    \
        int utest_e_ = errno;                                                                            \
        if (utest_r_ != -1 || utest_e_ != (e)) {                                                         \
            utest_fail(__FILE__, __LINE__, "expected %s to fail with %s, got %ld (errno %s)", #call,       \
                       utest_errname(e), utest_r_, utest_errname(utest_e_));                             \
            action;                                                                                      \
        }                                                                                                \
    } while (0)

/* call must succeed: not return -1. */
#define UTEST_CHECK_OK(call, action)                                                                     \
    do {                                                                                                 \
        errno = 0;                                                                                       \
        long utest_r_ = (long)(call);                                                                    \
        if (utest_r_ == -1) {                                                                            \
            int utest_e_ = errno;                                                                        \
            utest_fail(__FILE__, __LINE__, "%s failed: %s", #call, utest_errname(utest_e_));               \
            action;                                                                                      \
        }                                                                                                \
    } while (0)

#define UTEST_CHECK_STREQ(a, b, action)                                                                  \
    do {                                                                                                 \
        const char *utest_sa_ = (a), *utest_sb_ = (b);                                                    \
        if (utest_sa_ == NULL || utest_sb_ == NULL || strcmp(utest_sa_, utest_sb_) != 0) {                \
            utest_fail(__FILE__, __LINE__, "expected %s == %s, got \"%.80s\" vs \"%.80s\"", #a, #b,        \
                       utest_sa_ ? utest_sa_ : "(null)", utest_sb_ ? utest_sb_ : "(null)");               \
            action;                                                                                      \
        }                                                                                                \
    } while (0)

#define EXPECT_TRUE(c) UTEST_CHECK_TRUE(c, #c, (void)0)
#define EXPECT_FALSE(c) UTEST_CHECK_TRUE(!(c), "!(" #c ")", (void)0)
#define EXPECT_EQ(a, b) UTEST_CHECK_CMP(a, ==, b, (void)0)
#define EXPECT_NE(a, b) UTEST_CHECK_CMP(a, !=, b, (void)0)
#define EXPECT_LT(a, b) UTEST_CHECK_CMP(a, <, b, (void)0)
#define EXPECT_LE(a, b) UTEST_CHECK_CMP(a, <=, b, (void)0)
#define EXPECT_GT(a, b) UTEST_CHECK_CMP(a, >, b, (void)0)
#define EXPECT_GE(a, b) UTEST_CHECK_CMP(a, >=, b, (void)0)
#define EXPECT_ERRNO(call, e) UTEST_CHECK_ERRNO(call, e, (void)0)
#define EXPECT_OK(call) UTEST_CHECK_OK(call, (void)0)
#define EXPECT_STREQ(a, b) UTEST_CHECK_STREQ(a, b, (void)0)

#define ASSERT_TRUE(c) UTEST_CHECK_TRUE(c, #c, UTEST_ASSERT_ACTION())
#define ASSERT_FALSE(c) UTEST_CHECK_TRUE(!(c), "!(" #c ")", UTEST_ASSERT_ACTION())
#define ASSERT_EQ(a, b) UTEST_CHECK_CMP(a, ==, b, UTEST_ASSERT_ACTION())
#define ASSERT_NE(a, b) UTEST_CHECK_CMP(a, !=, b, UTEST_ASSERT_ACTION())
#define ASSERT_LT(a, b) UTEST_CHECK_CMP(a, <, b, UTEST_ASSERT_ACTION())
#define ASSERT_LE(a, b) UTEST_CHECK_CMP(a, <=, b, UTEST_ASSERT_ACTION())
#define ASSERT_GT(a, b) UTEST_CHECK_CMP(a, >, b, UTEST_ASSERT_ACTION())
#define ASSERT_GE(a, b) UTEST_CHECK_CMP(a, >=, b, UTEST_ASSERT_ACTION())
#define ASSERT_ERRNO(call, e) UTEST_CHECK_ERRNO(call, e, UTEST_ASSERT_ACTION())
#define ASSERT_OK(call) UTEST_CHECK_OK(call, UTEST_ASSERT_ACTION())
#define ASSERT_STREQ(a, b) UTEST_CHECK_STREQ(a, b, UTEST_ASSERT_ACTION())

#define FAIL(...)                                   \
    do {                                            \
        utest_fail(__FILE__, __LINE__, __VA_ARGS__); \
        UTEST_ASSERT_ACTION();                      \
    } while (0)

/* Ends the case as SKIP: for results that legitimately differ (for example no
 * huge pages reserved on a Linux host). */
#define SKIP(...)                                                                       \
    do {                                                                                \
        snprintf(utest_skip_reason, sizeof utest_skip_reason, __VA_ARGS__);             \
        utest_skipped = 1;                                                              \
        return;                                                                         \
    } while (0)

/* Waits for pid (retrying EINTR) and returns its wait status, or -1. */
__attribute__((unused)) static int utest_wait(pid_t pid) {
    int status;
    pid_t r;
    do {
        r = waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    return r == pid ? status : -1;
}

__attribute__((unused)) static const char *utest_describe_status(int status) {
    static char buf[64];
    if (status == -1)
        snprintf(buf, sizeof buf, "waitpid failed");
    else if (WIFEXITED(status))
        snprintf(buf, sizeof buf, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, sizeof buf, "wait status 0x%x", status);
    return buf;
}

/* The child must exit with status 0 (its EXPECTs held). */
#define EXPECT_CHILD_OK(pid)                                                                          \
    do {                                                                                              \
        int utest_st_ = utest_wait(pid);                                                              \
        if (!(utest_st_ != -1 && WIFEXITED(utest_st_) && WEXITSTATUS(utest_st_) == 0))                \
            utest_fail(__FILE__, __LINE__, "child %d: %s", (int)(pid), utest_describe_status(utest_st_)); \
    } while (0)

/* The child must have been killed by signal sig. */
#define EXPECT_CHILD_SIGNALED(pid, sig)                                                               \
    do {                                                                                              \
        int utest_st_ = utest_wait(pid);                                                              \
        if (!(utest_st_ != -1 && WIFSIGNALED(utest_st_) && WTERMSIG(utest_st_) == (sig)))             \
            utest_fail(__FILE__, __LINE__, "child %d: expected signal %d, got %s", (int)(pid), (sig),    \
                       utest_describe_status(utest_st_));                                             \
    } while (0)

/* Path of a file in the initrd tree, relative to where the tests run from. */
__attribute__((unused)) static const char *UPATH(const char *abs) {
    static char bufs[8][PATH_MAX];
    static unsigned next;
    char *buf = bufs[next++ % 8];
    size_t root_len = strlen(utest_root), abs_len = strlen(abs);
    if (root_len + abs_len >= PATH_MAX) root_len = 0; /* cannot happen: the root came from argv[0] */
    memcpy(buf, utest_root, root_len);
    memcpy(buf + root_len, abs, abs_len + 1);
    return buf;
}

__attribute__((unused)) static void utest_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

__attribute__((unused)) static long long utest_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A fatal signal in the test process itself still yields a FAIL line for the
 * case that was running. Forked children reset to the default action and die
 * as they would have (the parent checks how). */
static void utest_crash_handler(int sig) {
    if (!utest_in_child() && utest_current != NULL) {
        char buf[256];
        int n = snprintf(buf, sizeof buf, "TEST %s.%s FAIL crashed with signal %d (%s)\n", utest_current->suite,
                         utest_current->name, sig, strsignal(sig));
        if (n > 0) utest_write_all(1, buf, (size_t)n);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void utest_install_crash_handlers(void) {
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = utest_crash_handler;
        sa.sa_flags = SA_NODEFER;
        sigaction(sigs[i], &sa, NULL);
    }
}

static int utest_case_cmp(const void *a, const void *b) {
    return ((const struct utest_case *)a)->line - ((const struct utest_case *)b)->line;
}

static void utest_set_root(const char *argv0) {
    const char *env = getenv("UTEST_ROOT");
    if (env != NULL) {
        snprintf(utest_root, sizeof utest_root, "%s", env);
        return;
    }
    /* "/x/y/tests/prog" -> "/x/y"; "/tests/prog" -> ""; "tests/prog" -> the cwd */
    const char *last = NULL;
    for (const char *p = strstr(argv0, "/tests/"); p != NULL; p = strstr(p + 1, "/tests/")) last = p;
    size_t len = last ? (size_t)(last - argv0) : 0;
    if (len >= sizeof utest_root) len = 0;
    memcpy(utest_root, argv0, len);
    utest_root[len] = '\0';
    int relative = (len > 0 && argv0[0] != '/') || (last == NULL && strncmp(argv0, "tests/", 6) == 0);
    if (relative) {
        /* Made absolute, so UPATH results work with openat on any directory fd. */
        char cwd[PATH_MAX], rel[PATH_MAX];
        memcpy(rel, utest_root, len + 1);
        if (getcwd(cwd, sizeof cwd) != NULL && strlen(cwd) + len + 2 <= sizeof utest_root) {
            strcpy(utest_root, cwd);
            if (len > 0) {
                strcat(utest_root, "/");
                strcat(utest_root, rel);
            }
        }
    }
}

static int utest_main(int argc, char **argv) {
    utest_pid = getpid();
    utest_argv0 = argc > 0 ? argv[0] : "";
    utest_set_root(utest_argv0);
    qsort(utest_cases, (size_t)utest_case_count, sizeof utest_cases[0], utest_case_cmp);

    int list = 0, first_glob = 1;
    if (argc > 1 && strcmp(argv[1], "-l") == 0) {
        list = 1;
        first_glob = 2;
    }
    utest_install_crash_handlers();
    int failed = 0;
    for (int i = 0; i < utest_case_count; i++) {
        const struct utest_case *c = &utest_cases[i];
        char full[256];
        snprintf(full, sizeof full, "%s.%s", c->suite, c->name);
        if (argc > first_glob) {
            int match = 0;
            for (int g = first_glob; g < argc && !match; g++) match = fnmatch(argv[g], full, 0) == 0;
            if (!match) continue;
        }
        if (list) {
            utest_printf(1, "%s\n", full);
            continue;
        }
        utest_current = c;
        utest_current_failures = 0;
        utest_skipped = 0;
        utest_first_reason[0] = '\0';
        c->fn();
        if (utest_in_child()) {
            /* A forked child fell out of a case body: it must not go on to run
             * (and report) the following cases as a second test process. */
            utest_child_exit();
        }
        if (utest_current_failures > 0) {
            failed++;
            utest_printf(1, "TEST %s FAIL %s\n", full, utest_first_reason);
        } else if (utest_skipped) {
            utest_printf(1, "TEST %s SKIP %s\n", full, utest_skip_reason);
        } else {
            utest_printf(1, "TEST %s PASS\n", full);
        }
        utest_current = NULL;
    }
    return failed > 100 ? 100 : failed;
}

#define UTEST_MAIN() \
    int main(int argc, char **argv) { return utest_main(argc, argv); }

#endif
