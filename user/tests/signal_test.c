/* signal_test: signals. rt_sigaction handlers (siginfo, sa_mask, SA_NODEFER,
 * SA_RESETHAND, SA_RESTART, SIG_IGN), the signal frame (registers, FPU state and stack
 * alignment survive; rt_sigreturn), rt_sigprocmask (deferral, SIGKILL/SIGSTOP never
 * blocked), SIGCHLD, kill/tkill/tgkill, delivery to a thread that does not block the
 * signal, default actions (WTERMSIG), EINTR from blocking calls, dispositions across
 * fork and execve, and bad input. */
#define _GNU_SOURCE
#include "utest.h"

#include <pthread.h>
#include <sys/syscall.h>

extern char **environ;

/* The kernel's struct sigaction for rt_sigaction on x86-64 (not libc's). */
struct k_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

static pid_t gettid_raw(void) { return (pid_t)syscall(SYS_gettid); }

static volatile int count_usr1, count_usr2;
static volatile pid_t handler_tid;
static volatile int last_signo, last_code, last_pid, last_uid, last_status;

static void on_usr1(int sig) {
    (void)sig;
    count_usr1++;
    handler_tid = gettid_raw();
}

static void on_usr2(int sig) {
    (void)sig;
    count_usr2++;
}

static void on_info(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    last_signo = sig == si->si_signo ? sig : -1;
    last_code = si->si_code;
    last_pid = si->si_pid;
    last_uid = (int)si->si_uid;
    last_status = si->si_status;
    count_usr1++;
}

static void set_handler(int sig, void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void set_info_handler(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

static void reset_counts(void) {
    count_usr1 = count_usr2 = 0;
    handler_tid = 0;
    last_signo = last_code = last_pid = last_uid = last_status = 0;
}

/* ---- handlers ---- */

TEST(signal, handler_runs) {
    reset_counts();
    set_handler(SIGUSR1, on_usr1, 0);
    EXPECT_OK(raise(SIGUSR1));
    EXPECT_EQ(count_usr1, 1);
    EXPECT_EQ(handler_tid, gettid_raw());
    EXPECT_OK(kill(getpid(), SIGUSR1));
    EXPECT_EQ(count_usr1, 2); /* a signal to oneself arrives before kill returns to the caller */
    signal(SIGUSR1, SIG_DFL);
}

TEST(signal, siginfo) {
    reset_counts();
    set_info_handler(SIGUSR1, 0);
    EXPECT_OK(kill(getpid(), SIGUSR1));
    EXPECT_EQ(count_usr1, 1);
    EXPECT_EQ(last_signo, SIGUSR1);
    EXPECT_EQ(last_code, SI_USER);
    EXPECT_EQ(last_pid, getpid());
    EXPECT_EQ(last_uid, (int)getuid());
    EXPECT_OK(syscall(SYS_tkill, gettid_raw(), SIGUSR1));
    EXPECT_EQ(last_code, SI_TKILL);
    EXPECT_OK(syscall(SYS_tgkill, getpid(), gettid_raw(), SIGUSR1));
    EXPECT_EQ(last_code, SI_TKILL);
    EXPECT_EQ(count_usr1, 3);
    signal(SIGUSR1, SIG_DFL);
}

static volatile int aligned_ok = -1;

static void check_alignment(int sig) {
    (void)sig;
    /* The SysV ABI promises (rsp + 8) % 16 == 0 at function entry, and the compiler
     * relies on it to place this buffer: a misaligned signal frame shows here (and as
     * a crash in any movaps on the stack). */
    _Alignas(16) volatile char buf[16];
    buf[0] = 0;
    aligned_ok = ((uintptr_t)buf & 15) == 0;
}

TEST(signal, handler_stack_aligned) {
    set_handler(SIGUSR2, check_alignment, 0);
    aligned_ok = -1;
    raise(SIGUSR2);
    EXPECT_EQ(aligned_ok, 1);
    signal(SIGUSR2, SIG_DFL);
}

static volatile double handler_sink;

static void clobber_fpu(int sig) {
    volatile double x = sig;
    for (int i = 0; i < 50; i++) x = x * 1.5 + 0.3;
    handler_sink = x;
    count_usr1++;
}

/* A fixed floating-point computation whose inputs live in registers. */
static double fp_chunk(double seed) {
    double a = seed, b = seed * 0.5, c = 1.0;
    for (int i = 0; i < 20000; i++) {
        a = a * 0.999999 + b;
        b = b * 0.999998 + c;
        c = c * 0.999997 + 1e-6;
    }
    return a + b + c;
}

TEST(signal, registers_survive_async_handlers) {
    /* A child fires SIGUSR1 at us for a while; every interruption lands somewhere in
     * the middle of fp_chunk, whose state (general and XMM registers) the signal frame
     * must save and rt_sigreturn restore exactly. */
    reset_counts();
    set_handler(SIGUSR1, clobber_fpu, SA_RESTART);
    double expect = fp_chunk(3.25);
    pid_t parent = getpid();
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        for (int i = 0; i < 100; i++) {
            kill(parent, SIGUSR1);
            utest_sleep_ms(1);
        }
        _exit(0);
    }
    int mismatches = 0, chunks = 0, status;
    long long deadline = utest_now_ns() + 5000LL * 1000000;
    while (waitpid(pid, &status, WNOHANG) == 0 && utest_now_ns() < deadline) {
        mismatches += fp_chunk(3.25) != expect;
        chunks++;
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_GT(count_usr1, 0);
    EXPECT_GT(chunks, 0);
    signal(SIGUSR1, SIG_DFL);
}

static volatile int seq, usr1_end_seq, usr2_seq, nest_depth, max_nest;

static void usr1_raises_usr2(int sig) {
    (void)sig;
    raise(SIGUSR2); /* blocked by sa_mask: must wait until this handler returns */
    usr1_end_seq = ++seq;
}

static void usr2_records(int sig) {
    (void)sig;
    usr2_seq = ++seq;
}

TEST(signal, sa_mask_defers_other_signal) {
    seq = usr1_end_seq = usr2_seq = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr1_raises_usr2;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    set_handler(SIGUSR2, usr2_records, 0);
    raise(SIGUSR1);
    EXPECT_EQ(usr1_end_seq, 1);
    EXPECT_EQ(usr2_seq, 2);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

static void nesting(int sig) {
    nest_depth++;
    if (nest_depth > max_nest) max_nest = nest_depth;
    if (seq++ == 0) raise(sig); /* once */
    nest_depth--;
}

TEST(signal, own_signal_blocked_unless_nodefer) {
    seq = nest_depth = max_nest = 0;
    set_handler(SIGUSR1, nesting, 0);
    raise(SIGUSR1);
    EXPECT_EQ(seq, 2);      /* ran twice */
    EXPECT_EQ(max_nest, 1); /* but one after the other */
    seq = nest_depth = max_nest = 0;
    set_handler(SIGUSR1, nesting, SA_NODEFER);
    raise(SIGUSR1);
    EXPECT_EQ(seq, 2);
    EXPECT_EQ(max_nest, 2); /* nested */
    signal(SIGUSR1, SIG_DFL);
}

TEST(signal, sa_resethand) {
    reset_counts();
    set_handler(SIGUSR2, on_usr2, SA_RESETHAND);
    raise(SIGUSR2);
    EXPECT_EQ(count_usr2, 1);
    struct sigaction now;
    ASSERT_OK(sigaction(SIGUSR2, NULL, &now));
    EXPECT_TRUE(now.sa_handler == SIG_DFL); /* one-shot */
}

TEST(signal, ignored) {
    signal(SIGUSR1, SIG_IGN);
    EXPECT_OK(raise(SIGUSR1)); /* nothing happens: we are still here */
    EXPECT_OK(kill(getpid(), SIGUSR1));
    struct sigaction now;
    ASSERT_OK(sigaction(SIGUSR1, NULL, &now));
    EXPECT_TRUE(now.sa_handler == SIG_IGN);
    signal(SIGUSR1, SIG_DFL);
}

/* ---- masks ---- */

TEST(signal, sigprocmask_defers_delivery) {
    reset_counts();
    set_handler(SIGUSR1, on_usr1, 0);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    ASSERT_OK(sigprocmask(SIG_BLOCK, &block, &old));
    EXPECT_FALSE(sigismember(&old, SIGUSR1));
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1); /* standard signals do not queue: still one pending */
    EXPECT_EQ(count_usr1, 0);
    sigset_t now;
    ASSERT_OK(sigprocmask(SIG_SETMASK, NULL, &now));
    EXPECT_TRUE(sigismember(&now, SIGUSR1));
    ASSERT_OK(sigprocmask(SIG_UNBLOCK, &block, NULL));
    EXPECT_EQ(count_usr1, 1); /* delivered on the way out of rt_sigprocmask */
    signal(SIGUSR1, SIG_DFL);
}

TEST(signal, sigkill_sigstop_never_blocked) {
    unsigned long all = ~0UL, now = 0, old = 0;
    ASSERT_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8));
    ASSERT_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &now, 8));
    EXPECT_EQ(now & (1UL << (SIGKILL - 1)), 0);
    EXPECT_EQ(now & (1UL << (SIGSTOP - 1)), 0);
    EXPECT_NE(now & (1UL << (SIGUSR1 - 1)), 0);
    ASSERT_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8));
}

TEST(signal, sigprocmask_bad_input) {
    unsigned long set = 0, old;
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL); /* sigsetsize */
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)1, NULL, 8), EFAULT);
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, (void *)1, 8), EFAULT);
    ASSERT_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &old, 8)); /* how is ignored without a set */
}

/* ---- sigaction bad input ---- */

TEST(signal, sigkill_sigstop_uncatchable) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    EXPECT_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
    EXPECT_ERRNO(sigaction(SIGSTOP, &sa, NULL), EINVAL);
    sa.sa_handler = SIG_IGN;
    EXPECT_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
    EXPECT_OK(sigaction(SIGKILL, NULL, &old)); /* asking is fine */
    EXPECT_TRUE(old.sa_handler == SIG_DFL);
    struct k_sigaction k = {on_usr1, 0, NULL, 0};
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGKILL, &k, NULL, 8), EINVAL);
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGSTOP, &k, NULL, 8), EINVAL);
}

TEST(signal, sigaction_bad_input) {
    struct k_sigaction k = {SIG_DFL, 0, NULL, 0}, old;
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, 0, &k, NULL, 8), EINVAL);
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, 65, &k, NULL, 8), EINVAL);
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, -1, NULL, &old, 8), EINVAL);
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 4), EINVAL); /* sigsetsize */
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, (void *)1, NULL, 8), EFAULT);
    EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, (void *)1, 8), EFAULT);
    EXPECT_OK(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8));
}

/* ---- sending ---- */

static void *wait_for_usr1(void *arg) {
    (void)arg;
    for (int i = 0; i < 400 && count_usr1 == 0; i++) utest_sleep_ms(5);
    return NULL;
}

static volatile pid_t target_tid;

static void *report_tid_then_wait(void *arg) {
    (void)arg;
    target_tid = gettid_raw();
    return wait_for_usr1(NULL);
}

TEST(signal, tgkill_targets_thread) {
    reset_counts();
    target_tid = 0;
    set_handler(SIGUSR1, on_usr1, 0);
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, report_tid_then_wait, NULL), 0);
    for (int i = 0; i < 400 && target_tid == 0; i++) utest_sleep_ms(1);
    ASSERT_NE(target_tid, 0);
    EXPECT_OK(syscall(SYS_tgkill, getpid(), target_tid, SIGUSR1));
    pthread_join(t, NULL);
    EXPECT_EQ(count_usr1, 1);
    EXPECT_EQ(handler_tid, target_tid); /* ran on that thread, not on ours */
    signal(SIGUSR1, SIG_DFL);
}

TEST(signal, process_signal_goes_to_unblocking_thread) {
    reset_counts();
    target_tid = 0;
    set_handler(SIGUSR1, on_usr1, 0);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    /* The new thread starts with SIGUSR1 unblocked; then this one blocks it. */
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, report_tid_then_wait, NULL), 0);
    ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
    for (int i = 0; i < 400 && target_tid == 0; i++) utest_sleep_ms(1);
    EXPECT_OK(kill(getpid(), SIGUSR1));
    pthread_join(t, NULL);
    EXPECT_EQ(count_usr1, 1);
    EXPECT_EQ(handler_tid, target_tid);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    signal(SIGUSR1, SIG_DFL);
}

TEST(signal, kill_errors) {
    EXPECT_OK(kill(getpid(), 0)); /* signal 0: only checks the target exists */
    EXPECT_ERRNO(kill(0x3fffffff, 0), ESRCH);
    EXPECT_ERRNO(kill(0x3fffffff, SIGUSR1), ESRCH);
    EXPECT_ERRNO(kill(getpid(), 65), EINVAL);
    EXPECT_ERRNO(kill(getpid(), -1), EINVAL);
    EXPECT_ERRNO(syscall(SYS_tkill, 0, SIGUSR1), EINVAL);
    EXPECT_ERRNO(syscall(SYS_tkill, 0x3fffffff, 0), ESRCH);
    EXPECT_ERRNO(syscall(SYS_tkill, gettid_raw(), 65), EINVAL);
    EXPECT_ERRNO(syscall(SYS_tgkill, -1, gettid_raw(), 0), EINVAL);
    EXPECT_ERRNO(syscall(SYS_tgkill, getppid(), gettid_raw(), 0), ESRCH); /* tid not in that group */
    /* A reaped child's pid is gone. */
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(0);
    utest_wait(pid);
    EXPECT_ERRNO(kill(pid, 0), ESRCH);
}

/* ---- SIGCHLD ---- */

TEST(signal, sigchld_to_parent) {
    reset_counts();
    set_info_handler(SIGCHLD, SA_RESTART);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(5);
    for (int i = 0; i < 400 && count_usr1 == 0; i++) utest_sleep_ms(5);
    EXPECT_EQ(count_usr1, 1);
    EXPECT_EQ(last_signo, SIGCHLD);
    EXPECT_EQ(last_code, CLD_EXITED);
    EXPECT_EQ(last_pid, pid);
    EXPECT_EQ(last_status, 5);
    int status = utest_wait(pid);
    EXPECT_EQ(WEXITSTATUS(status), 5);

    reset_counts();
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        for (int i = 0; i < 500; i++) utest_sleep_ms(10);
        _exit(0);
    }
    kill(pid, SIGKILL);
    for (int i = 0; i < 400 && count_usr1 == 0; i++) utest_sleep_ms(5);
    EXPECT_EQ(last_code, CLD_KILLED);
    EXPECT_EQ(last_status, SIGKILL);
    EXPECT_CHILD_SIGNALED(pid, SIGKILL);
    signal(SIGCHLD, SIG_DFL);
}

/* ---- default actions ---- */

static pid_t child_raising(int sig) {
    pid_t pid = fork();
    if (pid == 0) {
        signal(sig, SIG_DFL);
        raise(sig);
        _exit(0); /* reached only if the default action is to ignore */
    }
    return pid;
}

TEST(signal, default_actions) {
    static const int terminating[] = {SIGTERM, SIGUSR1, SIGUSR2, SIGHUP, SIGINT, SIGALRM, SIGSEGV, SIGABRT};
    for (size_t i = 0; i < sizeof terminating / sizeof terminating[0]; i++) {
        pid_t pid = child_raising(terminating[i]);
        ASSERT_GE(pid, 0);
        EXPECT_CHILD_SIGNALED(pid, terminating[i]);
    }
    static const int ignored[] = {SIGCHLD, SIGURG, SIGWINCH};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
        pid_t pid = child_raising(ignored[i]);
        ASSERT_GE(pid, 0);
        EXPECT_CHILD_OK(pid);
    }
}

TEST(signal, fault_kills_with_sigsegv) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        volatile uintptr_t null_page = 8; /* through a variable: the compiler may not see it */
        *(volatile int *)null_page = 1;    /* nothing is mapped at page 0 */
        _exit(0);
    }
    EXPECT_CHILD_SIGNALED(pid, SIGSEGV);
}

TEST(signal, sigkill_ends_blocked_sleeper) {
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL); /* SIGKILL is not blockable */
        close(p[1]);
        char c;
        ssize_t unused = read(p[0], &c, 1); /* blocks forever: nobody writes */
        (void)unused;
        _exit(0);
    }
    close(p[0]);
    utest_sleep_ms(10);
    EXPECT_OK(kill(pid, SIGKILL));
    EXPECT_CHILD_SIGNALED(pid, SIGKILL);
    close(p[1]);
}

TEST(signal, blocked_signal_does_not_kill) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        sigset_t term;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        sigprocmask(SIG_BLOCK, &term, NULL);
        raise(SIGTERM);
        _exit(0); /* pending and blocked: exit is normal */
    }
    EXPECT_CHILD_OK(pid);
}

/* ---- EINTR and SA_RESTART ---- */

/* A child that sends SIGUSR1 to us every 20 ms, `count` times (0: until killed), then
 * writes one byte into p[1] and exits. Repeating matters: a slow machine may deliver the
 * first signal before we are blocked in the call under test; a later one then finds us
 * there. The byte ends a read that (wrongly) was never interrupted. */
static pid_t signal_repeatedly(int p[2], int count) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        for (int i = 0; i < (count > 0 ? count : 250); i++) {
            utest_sleep_ms(20);
            kill(parent, SIGUSR1);
        }
        ssize_t unused = write(p[1], "w", 1);
        (void)unused;
        _exit(0);
    }
    return pid;
}

TEST(signal, eintr_without_sa_restart) {
    reset_counts();
    set_handler(SIGUSR1, on_usr1, 0);
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = signal_repeatedly(p, 0);
    ASSERT_GE(pid, 0);
    close(p[1]);
    char c;
    EXPECT_ERRNO(read(p[0], &c, 1), EINTR); /* the handler ran; read was not restarted */
    EXPECT_GE(count_usr1, 1);
    kill(pid, SIGKILL); /* before the handler goes: no stray SIGUSR1 may find SIG_DFL */
    utest_wait(pid);
    close(p[0]);
    signal(SIGUSR1, SIG_DFL);
}

TEST(signal, sa_restart_restarts_read) {
    reset_counts();
    set_handler(SIGUSR1, on_usr1, SA_RESTART);
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = signal_repeatedly(p, 10);
    ASSERT_GE(pid, 0);
    close(p[1]);
    char c = 0;
    EXPECT_EQ(read(p[0], &c, 1), 1); /* restarted after each handler, then got the byte */
    EXPECT_EQ(c, 'w');
    EXPECT_GE(count_usr1, 1); /* (signals sent close together may merge: not exactly 10) */
    EXPECT_CHILD_OK(pid);
    close(p[0]);
    signal(SIGUSR1, SIG_DFL);
}

TEST(signal, nanosleep_eintr_reports_remaining) {
    reset_counts();
    set_handler(SIGUSR1, on_usr1, SA_RESTART); /* nanosleep is never restarted (signal(7)) */
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = signal_repeatedly(p, 0);
    ASSERT_GE(pid, 0);
    struct timespec req = {4, 0}, rem = {0, 0};
    EXPECT_ERRNO(nanosleep(&req, &rem), EINTR);
    EXPECT_GE(count_usr1, 1);
    EXPECT_TRUE(rem.tv_sec > 0 || rem.tv_nsec > 0);
    EXPECT_TRUE(rem.tv_sec < 4);
    kill(pid, SIGKILL);
    utest_wait(pid);
    close(p[0]);
    close(p[1]);
    signal(SIGUSR1, SIG_DFL);
}

/* ---- fork and execve ---- */

TEST(signal, fork_inherits_handlers_and_mask) {
    reset_counts();
    set_handler(SIGUSR1, on_usr1, 0);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        raise(SIGUSR1);
        EXPECT_EQ(count_usr1, 1);
        sigset_t now;
        sigprocmask(SIG_SETMASK, NULL, &now);
        EXPECT_TRUE(sigismember(&now, SIGUSR2));
        utest_child_exit();
    }
    EXPECT_CHILD_OK(pid);
    EXPECT_EQ(count_usr1, 0); /* the child's handler ran in the child */
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGUSR1, SIG_DFL);
}

/* `signal_test --helper exec-dispositions`: run after execve by the case below. */
static int helper_exec_dispositions(void) {
    struct sigaction usr1, usr2;
    sigaction(SIGUSR1, NULL, &usr1);
    sigaction(SIGUSR2, NULL, &usr2);
    sigset_t mask;
    sigprocmask(SIG_SETMASK, NULL, &mask);
    int ok = usr1.sa_handler == SIG_DFL   /* handlers are reset: their code is gone */
             && usr2.sa_handler == SIG_IGN /* ignored stays ignored */
             && sigismember(&mask, SIGTERM); /* the mask is kept */
    return ok ? 0 : 1;
}

TEST(signal, execve_resets_handlers_keeps_ignored_and_mask) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        set_handler(SIGUSR1, on_usr1, 0);
        signal(SIGUSR2, SIG_IGN);
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigprocmask(SIG_BLOCK, &block, NULL);
        char *argv[] = {(char *)utest_argv0, "--helper", "exec-dispositions", NULL};
        execve(argv[0], argv, environ);
        _exit(126);
    }
    EXPECT_CHILD_OK(pid);
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "--helper") == 0) return helper_exec_dispositions();
    return utest_main(argc, argv);
}
