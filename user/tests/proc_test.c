/* proc_test: processes. fork trees, wait4 (WNOHANG, any child, statuses, bad input),
 * getpid/getppid/gettid, execve (programs, argv/envp, close-on-exec, errors), vfork,
 * exit vs exit_group from threads, set_tid_address / CLONE_CHILD_CLEARTID via
 * pthread_join, re-parenting of orphans. */
#define _GNU_SOURCE
#include "utest.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

static pid_t gettid_raw(void) { return (pid_t)syscall(SYS_gettid); }

/* ---- identities ---- */

TEST(proc, getpid_getppid_gettid) {
    pid_t me = getpid();
    EXPECT_GT(me, 0);
    EXPECT_GT(getppid(), 0);
    EXPECT_NE(getppid(), me);
    /* The main thread's tid is the process id (the thread-group id). */
    EXPECT_EQ(gettid_raw(), me);
    EXPECT_EQ(getpid(), me); /* stable */
}

TEST(proc, fork_child_identity) {
    pid_t parent = getpid();
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        pid_t ids[3] = {getpid(), getppid(), gettid_raw()};
        ssize_t unused = write(p[1], ids, sizeof ids);
        (void)unused;
        _exit(0);
    }
    pid_t ids[3] = {0, 0, 0};
    EXPECT_EQ(read(p[0], ids, sizeof ids), (long)sizeof ids);
    EXPECT_EQ(ids[0], pid);     /* fork returned the child's pid */
    EXPECT_EQ(ids[1], parent);  /* the child's parent is us */
    EXPECT_EQ(ids[2], pid);
    EXPECT_NE(pid, parent);
    EXPECT_CHILD_OK(pid);
    close(p[0]);
    close(p[1]);
}

static void *tid_thread(void *arg) {
    pid_t *out = arg;
    out[0] = gettid_raw();
    out[1] = getpid();
    return NULL;
}

TEST(proc, gettid_in_thread) {
    pid_t ids[2] = {0, 0};
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, tid_thread, ids), 0);
    ASSERT_EQ(pthread_join(t, NULL), 0);
    EXPECT_EQ(ids[1], getpid());   /* same process */
    EXPECT_NE(ids[0], getpid());   /* its own thread id */
    EXPECT_GT(ids[0], 0);
}

/* ---- exit statuses and wait4 ---- */

TEST(proc, exit_statuses) {
    static const int codes[] = {0, 1, 42, 127, 255, 256, 257};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) _exit(codes[i]);
        int status = 0;
        EXPECT_EQ(wait4(pid, &status, 0, NULL), pid);
        EXPECT_TRUE(WIFEXITED(status));
        EXPECT_FALSE(WIFSIGNALED(status));
        EXPECT_EQ(WEXITSTATUS(status), codes[i] & 0xff); /* only the low 8 bits survive */
    }
}

/* Each process of the tree forks `fanout` children down to `depth` and exits with the
 * number of processes in its subtree; the root must count them all. */
static int fork_tree(int depth, int fanout) {
    if (depth == 0) return 1;
    pid_t kids[8];
    int n = 0;
    for (int i = 0; i < fanout; i++) {
        pid_t pid = fork();
        if (pid < 0) break;
        if (pid == 0) _exit(fork_tree(depth - 1, fanout));
        kids[n++] = pid;
    }
    int total = 1;
    for (int i = 0; i < n; i++) {
        int status;
        if (waitpid(kids[i], &status, 0) == kids[i] && WIFEXITED(status)) total += WEXITSTATUS(status);
    }
    return total;
}

TEST(proc, fork_tree) {
    /* depth 4, fanout 2: 1 + 2 + 4 + 8 + 16 = 31 processes. */
    EXPECT_EQ(fork_tree(4, 2), 31);
    /* depth 2, fanout 6: 1 + 6 + 36 = 43. */
    EXPECT_EQ(fork_tree(2, 6), 43);
}

TEST(proc, fork_wait_many_sequential) {
    for (int i = 0; i < 100; i++) {
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) _exit(i & 0x7f);
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), i & 0x7f);
    }
}

TEST(proc, wait4_wnohang) {
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        char c;
        close(p[1]);
        ssize_t n = read(p[0], &c, 1); /* blocks until the parent writes */
        _exit(n == 1 ? c : 99);
    }
    close(p[0]);
    int status = -1;
    /* Still running: WNOHANG returns 0 and leaves the status alone. */
    EXPECT_EQ(wait4(pid, &status, WNOHANG, NULL), 0);
    EXPECT_EQ(wait4(-1, &status, WNOHANG, NULL), 0);
    char c = 7;
    EXPECT_EQ(write(p[1], &c, 1), 1);
    close(p[1]);
    struct rusage ru;
    EXPECT_EQ(wait4(pid, &status, 0, &ru), pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 7);
    /* Reaped: it is gone. */
    EXPECT_ERRNO(wait4(pid, &status, WNOHANG, NULL), ECHILD);
}

TEST(proc, wait4_any_collects_each_once) {
    enum { kKids = 6 };
    pid_t kids[kKids];
    for (int i = 0; i < kKids; i++) {
        kids[i] = fork();
        ASSERT_GE(kids[i], 0);
        if (kids[i] == 0) {
            utest_sleep_ms(5 * (kKids - i)); /* end in reverse order of creation */
            _exit(10 + i);
        }
    }
    int seen[kKids] = {0};
    for (int n = 0; n < kKids; n++) {
        int status;
        pid_t pid = wait4(-1, &status, 0, NULL);
        ASSERT_GT(pid, 0);
        int found = 0;
        for (int i = 0; i < kKids; i++) {
            if (kids[i] == pid) {
                found = 1;
                seen[i]++;
                EXPECT_TRUE(WIFEXITED(status));
                EXPECT_EQ(WEXITSTATUS(status), 10 + i);
            }
        }
        EXPECT_TRUE(found);
    }
    for (int i = 0; i < kKids; i++) EXPECT_EQ(seen[i], 1);
    int status;
    EXPECT_ERRNO(wait4(-1, &status, 0, NULL), ECHILD);
}

TEST(proc, wait4_specific_pid_skips_others) {
    pid_t early = fork();
    ASSERT_GE(early, 0);
    if (early == 0) _exit(1);
    pid_t late = fork();
    ASSERT_GE(late, 0);
    if (late == 0) {
        utest_sleep_ms(20);
        _exit(2);
    }
    utest_sleep_ms(5); /* `early` is very likely a zombie by now */
    int status;
    EXPECT_EQ(wait4(late, &status, 0, NULL), late);
    EXPECT_EQ(WEXITSTATUS(status), 2);
    EXPECT_EQ(wait4(early, &status, 0, NULL), early); /* the zombie kept its status */
    EXPECT_EQ(WEXITSTATUS(status), 1);
}

TEST(proc, wait4_null_status) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(3);
    EXPECT_EQ(wait4(pid, NULL, 0, NULL), pid);
}

TEST(proc, wait4_bad_input) {
    int status;
    EXPECT_ERRNO(wait4(-1, &status, 0, NULL), ECHILD);           /* no children at all */
    EXPECT_ERRNO(wait4(0x3fffffff, &status, 0, NULL), ECHILD);   /* not a child */
    EXPECT_ERRNO(wait4(getppid(), &status, WNOHANG, NULL), ECHILD);
    EXPECT_ERRNO(wait4(-1, &status, 0x1000, NULL), EINVAL);      /* unknown option bit */
    EXPECT_ERRNO(wait4(-1, &status, WNOWAIT, NULL), EINVAL);     /* waitid's, not wait4's */

    /* Unwritable status or rusage pointers: EFAULT (Linux reaps the child all the same,
     * so each gets its own child; a kernel that checks first leaves it for waitpid). */
    for (int i = 0; i < 2; i++) {
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) _exit(0);
        utest_sleep_ms(5);
        if (i == 0)
            EXPECT_ERRNO(wait4(pid, (int *)1, 0, NULL), EFAULT);
        else
            EXPECT_ERRNO(wait4(pid, &status, 0, (struct rusage *)1), EFAULT);
        waitpid(pid, &status, WNOHANG);
    }
}

/* ---- threads and process exit ---- */

static void *exit_group_thread(void *arg) {
    (void)arg;
    utest_sleep_ms(10);
    _exit(7); /* exit_group: ends every thread of the process */
    return NULL;
}

TEST(proc, exit_group_from_thread) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, exit_group_thread, NULL) != 0) _exit(90);
        for (int i = 0; i < 500; i++) utest_sleep_ms(10); /* killed long before this ends */
        _exit(91);
    }
    int status = utest_wait(pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 7);
}

static void *last_thread(void *arg) {
    (void)arg;
    utest_sleep_ms(20);
    exit(3);
    return NULL;
}

TEST(proc, main_thread_exit_leaves_process_running) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, last_thread, NULL) != 0) _exit(90);
        pthread_exit(NULL); /* the thread exit (SYS_exit) of the main thread only */
    }
    int status = utest_wait(pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
}

static void *join_value_thread(void *arg) { return (void *)((long)arg * 3); }

TEST(proc, clone_child_cleartid_join) {
    /* pthread_join waits on the tid word the kernel clears and futex-wakes at thread exit
     * (CLONE_CHILD_CLEARTID); many short threads in a row catch a missed wake-up. */
    for (long i = 0; i < 200; i++) {
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, NULL, join_value_thread, (void *)i), 0);
        void *ret = NULL;
        ASSERT_EQ(pthread_join(t, &ret), 0);
        ASSERT_EQ((long)ret, i * 3);
    }
}

TEST(proc, set_tid_address) {
    /* set_tid_address returns the caller's tid. Done in a child: the main thread's
     * clear-child-tid word belongs to musl (its thread-list lock), and the child's copy
     * can be pointed elsewhere without harm. */
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        static volatile int word;
        long r = syscall(SYS_set_tid_address, &word);
        EXPECT_EQ(r, getpid());
        utest_child_exit();
    }
    EXPECT_CHILD_OK(pid);
}

/* ---- execve ---- */

static int run_capture(char *const argv[], char *const envp[], char *out, size_t out_size) {
    int p[2];
    if (pipe(p) < 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execve(argv[0], argv, envp);
        _exit(126);
    }
    close(p[1]);
    size_t used = 0;
    for (;;) {
        ssize_t n = read(p[0], out + used, out_size - 1 - used);
        if (n <= 0) break;
        used += (size_t)n;
        if (used == out_size - 1) break;
    }
    out[used] = '\0';
    close(p[0]);
    return utest_wait(pid);
}

TEST(proc, execve_true_false) {
    char *argv_true[] = {(char *)UPATH("/bin/true"), NULL};
    char out[64];
    int st = run_capture(argv_true, environ, out, sizeof out);
    EXPECT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 0);
    char *argv_false[] = {(char *)UPATH("/bin/false"), NULL};
    st = run_capture(argv_false, environ, out, sizeof out);
    EXPECT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 1);
}

TEST(proc, execve_passes_argv) {
    char *argv[] = {(char *)UPATH("/bin/echo"), "hello", "exec world", "", "x", NULL};
    char out[128];
    int st = run_capture(argv, environ, out, sizeof out);
    EXPECT_EQ(WEXITSTATUS(st), 0);
    EXPECT_STREQ(out, "hello exec world  x\n");
}

/* `proc_test --helper KIND ...` is run by the execve cases below. */
static int helper(int argc, char **argv) {
    const char *kind = argv[2];
    if (strcmp(kind, "env") == 0) {
        /* Print argc, the arguments and two variables, then check the layout the SysV
         * ABI promises: argv[argc] == NULL and envp right after it. */
        const char *a = getenv("UTEST_A"), *b = getenv("UTEST_B");
        printf("argc=%d last=%s A=%s B=%s null=%d envnext=%d\n", argc, argv[argc - 1], a ? a : "-",
               b ? b : "-", argv[argc] == NULL, environ == argv + argc + 1);
        return 0;
    }
    if (strcmp(kind, "fds") == 0) {
        /* argv[3] must be closed (it was close-on-exec), argv[4] open. */
        int closed_fd = atoi(argv[3]), open_fd = atoi(argv[4]);
        int ok = fcntl(closed_fd, F_GETFD) == -1 && errno == EBADF && fcntl(open_fd, F_GETFD) == 0;
        char c;
        ok = ok && read(open_fd, &c, 1) == 1 && c == 'h';
        return ok ? 0 : 1;
    }
    return 2;
}

TEST(proc, execve_argv_envp_layout) {
    char *argv[] = {(char *)utest_argv0, "--helper", "env", "three", "four", NULL};
    char *envp[] = {"UTEST_A=alpha", "UTEST_B=with space", NULL};
    char out[256];
    int st = run_capture(argv, envp, out, sizeof out);
    EXPECT_EQ(WEXITSTATUS(st), 0);
    EXPECT_STREQ(out, "argc=5 last=four A=alpha B=with space null=1 envnext=1\n");
    /* An empty environment. */
    char *no_env[] = {NULL};
    st = run_capture(argv, no_env, out, sizeof out);
    EXPECT_STREQ(out, "argc=5 last=four A=- B=- null=1 envnext=1\n");
}

TEST(proc, execve_close_on_exec) {
    int cloexec_fd = open(UPATH("/tests/data/hello.txt"), O_RDONLY | O_CLOEXEC);
    int kept_fd = open(UPATH("/tests/data/hello.txt"), O_RDONLY);
    ASSERT_GE(cloexec_fd, 0);
    ASSERT_GE(kept_fd, 0);
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", cloexec_fd);
    snprintf(b, sizeof b, "%d", kept_fd);
    char *argv[] = {(char *)utest_argv0, "--helper", "fds", a, b, NULL};
    char out[64];
    int st = run_capture(argv, environ, out, sizeof out);
    EXPECT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 0);
    close(cloexec_fd);
    close(kept_fd);
}

TEST(proc, execve_errors) {
    char *argv[] = {"x", NULL};
    EXPECT_ERRNO(execve(UPATH("/nonexistent/program"), argv, environ), ENOENT);
    EXPECT_ERRNO(execve(UPATH("/bin/no_such_tool"), argv, environ), ENOENT);
    EXPECT_ERRNO(execve("", argv, environ), ENOENT);
    /* A directory is not executable. */
    EXPECT_ERRNO(execve(UPATH("/tests/data"), argv, environ), EACCES);
    /* A path through a regular file. */
    EXPECT_ERRNO(execve(UPATH("/bin/true/x"), argv, environ), ENOTDIR);
    /* Not ELF, and ELF that is garbage: ENOEXEC (elf_test has the malformed variants). */
    EXPECT_ERRNO(execve(UPATH("/tests/data/not_elf"), argv, environ), ENOEXEC);
    EXPECT_ERRNO(execve(UPATH("/tests/data/bad_elf"), argv, environ), ENOEXEC);
    /* Without an execute bit. */
    EXPECT_ERRNO(execve(UPATH("/tests/data/hello.txt"), argv, environ), EACCES);
}

TEST(proc, execve_bad_pointers) {
    char *argv[] = {"x", NULL};
    EXPECT_ERRNO(syscall(SYS_execve, (char *)1, argv, environ), EFAULT);
    EXPECT_ERRNO(syscall(SYS_execve, UPATH("/bin/true"), (char **)1, environ), EFAULT);
    EXPECT_ERRNO(syscall(SYS_execve, UPATH("/bin/true"), argv, (char **)1), EFAULT);
    char *bad_argv[] = {"x", (char *)1, NULL};
    EXPECT_ERRNO(syscall(SYS_execve, UPATH("/bin/true"), bad_argv, environ), EFAULT);
    char *bad_envp[] = {"A=1", (char *)1, NULL};
    EXPECT_ERRNO(syscall(SYS_execve, UPATH("/bin/true"), argv, bad_envp), EFAULT);
}

TEST(proc, execve_from_thread_kills_other_threads) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        /* A thread that would exit(5) later; execve must end it (and the new program
         * exits 0). */
        pthread_t t;
        if (pthread_create(&t, NULL, last_thread, NULL) != 0) _exit(90);
        char *argv[] = {(char *)UPATH("/bin/true"), NULL};
        execve(argv[0], argv, environ);
        _exit(91);
    }
    int status = utest_wait(pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

/* ---- vfork ---- */

static volatile int vfork_shared;

TEST(proc, vfork_exec) {
    char *argv[] = {(char *)UPATH("/bin/false"), NULL};
    pid_t pid = vfork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        execve(argv[0], argv, environ);
        _exit(126);
    }
    int status = utest_wait(pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1);
}

TEST(proc, vfork_shares_memory_and_suspends_parent) {
    /* vfork(2): the child runs in the parent's memory (CLONE_VM) and the parent is
     * suspended until the child calls execve or _exit (CLONE_VFORK). */
    vfork_shared = 0;
    pid_t pid = vfork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        vfork_shared = 1;
        _exit(0);
    }
    EXPECT_EQ(vfork_shared, 1); /* written by the child before we resumed */
    EXPECT_CHILD_OK(pid);
}

/* ---- orphans ---- */

TEST(proc, orphan_reparented) {
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        pid_t me_parent = getpid();
        pid_t grandchild = fork();
        if (grandchild == 0) {
            /* Wait (bounded) for our parent to die and for us to be adopted. */
            for (int i = 0; i < 1000 && getppid() == me_parent; i++) utest_sleep_ms(5);
            pid_t ids[2] = {me_parent, getppid()};
            ssize_t unused = write(p[1], ids, sizeof ids);
            (void)unused;
            _exit(0);
        }
        _exit(grandchild > 0 ? 0 : 1);
    }
    close(p[1]);
    EXPECT_CHILD_OK(child);
    pid_t ids[2] = {0, 0};
    EXPECT_EQ(read(p[0], ids, sizeof ids), (long)sizeof ids);
    EXPECT_EQ(ids[0], child);
    EXPECT_NE(ids[1], child);  /* adopted: by pid 1 or by a subreaper, never by nobody */
    EXPECT_GT(ids[1], 0);
    close(p[0]);
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "--helper") == 0) return helper(argc, argv);
    return utest_main(argc, argv);
}
