/* shell_test: the programs of /bin, run the way a user runs them. sh (-c, scripts on
 * stdin, quoting, $?, pipelines, exit statuses, '&' and wait, "not found", surviving
 * SIGINT while the foreground job dies of it), init (runs its argument, exits with its
 * status), and the tools echo, cat, ls, sleep, true, false, kill, ps.
 *
 * Every program runs with PATH set to this tree's /bin and /tests, so on a Linux host
 * the shell finds these tools and not the host's. */
#define _GNU_SOURCE
#include "utest.h"

#include <fcntl.h>

struct Run {
    int status;
    char out[4096];
    char err[1024];
    long long elapsed_ns;
};

static char path_env[2 * PATH_MAX + 8];

static char **test_env(void) {
    static char *env[2];
    snprintf(path_env, sizeof path_env, "PATH=%s:%s", UPATH("/bin"), UPATH("/tests"));
    env[0] = path_env;
    env[1] = NULL;
    return env;
}

static void read_all(int fd, char *buf, size_t size) {
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, size - 1 - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        used += (size_t)n;
        if (used == size - 1) {
            char sink[256]; /* keep draining so the child never blocks on a full pipe */
            while (read(fd, sink, sizeof sink) > 0) {
            }
            break;
        }
    }
    buf[used] = '\0';
}

/* Runs argv (argv[0] a path in the tree, e.g. "/bin/sh") with `input` on stdin;
 * collects stdout, stderr, the wait status and the time it took. */
static void run(struct Run *r, char *const argv_in[], const char *input) {
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)UPATH(argv_in[0]);
    for (int i = 1; argv_in[i] != NULL && argc < 15; i++) argv[argc++] = argv_in[i];
    argv[argc] = NULL;

    int in[2], out[2], err[2];
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (pipe(in) < 0 || pipe(out) < 0 || pipe(err) < 0) return;
    long long start = utest_now_ns();
    pid_t pid = fork();
    if (pid < 0) return;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        for (int fd = 3; fd < 64; fd++) close(fd);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execve(argv[0], argv, test_env());
        _exit(126);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (input != NULL) {
        ssize_t unused = write(in[1], input, strlen(input));
        (void)unused;
    }
    close(in[1]);
    read_all(out[0], r->out, sizeof r->out);
    read_all(err[0], r->err, sizeof r->err);
    close(out[0]);
    close(err[0]);
    r->status = utest_wait(pid);
    r->elapsed_ns = utest_now_ns() - start;
}

static int exit_code(const struct Run *r) {
    return r->status != -1 && WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1;
}

static void sh_c(struct Run *r, const char *line) {
    char *argv[] = {"/bin/sh", "-c", (char *)line, NULL};
    run(r, argv, NULL);
}

/* ---- sh ---- */

TEST(sh, runs_a_command) {
    struct Run r;
    sh_c(&r, "echo hello world");
    EXPECT_STREQ(r.out, "hello world\n");
    EXPECT_EQ(exit_code(&r), 0);
}

TEST(sh, exit_statuses) {
    struct Run r;
    sh_c(&r, "exit 7");
    EXPECT_EQ(exit_code(&r), 7);
    sh_c(&r, "false");
    EXPECT_EQ(exit_code(&r), 1);
    sh_c(&r, "false; echo $?; true; echo $?");
    EXPECT_STREQ(r.out, "1\n0\n");
    sh_c(&r, "sh -c 'exit 42'; echo \"status $?\"");
    EXPECT_STREQ(r.out, "status 42\n");
}

TEST(sh, quoting) {
    struct Run r;
    sh_c(&r, "echo \"a  b\" 'c  d' e\\ f \"\" g # a comment");
    EXPECT_STREQ(r.out, "a  b c  d e f  g\n");
    sh_c(&r, "echo 'no $? here' \"but $? here\"");
    EXPECT_STREQ(r.out, "no $? here but 0 here\n");
}

TEST(sh, pipelines) {
    struct Run r;
    sh_c(&r, "echo one two | cat | cat");
    EXPECT_STREQ(r.out, "one two\n");
    char line[PATH_MAX + 64];
    snprintf(line, sizeof line, "cat %s | cat | cat", UPATH("/tests/data/hello.txt"));
    sh_c(&r, line);
    EXPECT_STREQ(r.out, "hello, world\n");
    sh_c(&r, "true | false");
    EXPECT_EQ(exit_code(&r), 1); /* the last command's status */
    sh_c(&r, "false | true");
    EXPECT_EQ(exit_code(&r), 0);
    sh_c(&r, "echo a|cat;echo b");
    EXPECT_STREQ(r.out, "a\nb\n");
}

TEST(sh, not_found) {
    struct Run r;
    sh_c(&r, "no_such_command_here x");
    EXPECT_EQ(exit_code(&r), 127);
    EXPECT_TRUE(strstr(r.err, "not found") != NULL);
    sh_c(&r, "/no/such/path; echo $?");
    EXPECT_STREQ(r.out, "127\n");
}

TEST(sh, syntax_errors) {
    struct Run r;
    sh_c(&r, "| cat");
    EXPECT_EQ(exit_code(&r), 2);
    sh_c(&r, "echo \"unterminated");
    EXPECT_EQ(exit_code(&r), 2);
}

TEST(sh, script_on_stdin) {
    struct Run r;
    char *argv[] = {"/bin/sh", NULL};
    run(&r, argv, "echo first\n\necho second | cat\nexit 3\necho never\n");
    EXPECT_STREQ(r.out, "first\nsecond\n"); /* stdin is a pipe: no prompt */
    EXPECT_EQ(exit_code(&r), 3);
    run(&r, argv, "false\n"); /* end of input: the last status */
    EXPECT_EQ(exit_code(&r), 1);
}

TEST(sh, background_and_wait) {
    struct Run r;
    sh_c(&r, "sleep 0.05 & echo started; wait; echo done $?");
    EXPECT_STREQ(r.out, "started\ndone 0\n");
    EXPECT_GE(r.elapsed_ns, 50 * 1000000LL);
    EXPECT_TRUE(strchr(r.err, '[') != NULL); /* "[pid]" */
    /* Without wait, the shell does not wait for it (its status is the exit's). */
    sh_c(&r, "sleep 0.05 & exit 4");
    EXPECT_EQ(exit_code(&r), 4);
}

TEST(sh, sigint_kills_job_not_shell) {
    /* Like Ctrl-C on a terminal: SIGINT to the shell's process group while `sleep 5`
     * runs in the foreground. The sleep dies (status 130), the shell goes on. SIGINT is
     * sent every 100 ms until the shell reports: the first ones may come before the
     * job has started (the shell catches those and carries on). */
    int in[2], out[2];
    ASSERT_OK(pipe(in));
    ASSERT_OK(pipe(out));
    long long start = utest_now_ns();
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        for (int fd = 3; fd < 64; fd++) close(fd);
        signal(SIGINT, SIG_DFL);
        char *argv[] = {(char *)UPATH("/bin/sh"), NULL};
        execve(argv[0], argv, test_env());
        _exit(126);
    }
    setpgid(pid, pid); /* either side may win the race; both ask */
    close(in[0]);
    close(out[1]);
    static const char script[] = "sleep 5\necho after $?\n";
    EXPECT_EQ(write(in[1], script, sizeof script - 1), (long)sizeof script - 1);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    char buf[256] = {0};
    size_t used = 0;
    int kill_errno = 0;
    for (int i = 0; i < 40 && strstr(buf, "after") == NULL; i++) {
        utest_sleep_ms(100);
        if (kill(-pid, SIGINT) < 0) {
            kill_errno = errno;
            break;
        }
        ssize_t n = read(out[0], buf + used, sizeof buf - 1 - used);
        if (n > 0) used += (size_t)n;
    }
    close(in[1]); /* end of the script: the shell exits */
    fcntl(out[0], F_SETFL, 0);
    for (;;) {
        ssize_t n = read(out[0], buf + used, sizeof buf - 1 - used);
        if (n <= 0) break;
        used += (size_t)n;
    }
    close(out[0]);
    int status = utest_wait(pid);
    if (kill_errno != 0) SKIP("no process groups to signal (%s)", utest_errname(kill_errno));
    EXPECT_TRUE(strstr(buf, "after 130\n") != NULL);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_LT(utest_now_ns() - start, 4500 * 1000000LL); /* sleep 5 did not run out */
}

/* ---- init ---- */

TEST(init, runs_argument_and_returns_status) {
    struct Run r;
    char *false_argv[] = {"/bin/init", (char *)UPATH("/bin/false"), NULL};
    run(&r, false_argv, NULL);
    EXPECT_EQ(exit_code(&r), 1);
    char *sh_argv[] = {"/bin/init", (char *)UPATH("/bin/sh"), "-c", "echo from init; exit 5", NULL};
    run(&r, sh_argv, NULL);
    EXPECT_EQ(exit_code(&r), 5);
    EXPECT_STREQ(r.out, "from init\n");
    /* Killed by a signal: 128 + its number, as a shell would say. */
    char *kill_argv[] = {"/bin/init", (char *)UPATH("/bin/sh"), "-c", "kill -TERM $$", NULL};
    run(&r, kill_argv, NULL);
    EXPECT_EQ(exit_code(&r), 128 + SIGTERM);
    char *missing_argv[] = {"/bin/init", "/no/such/program", NULL};
    run(&r, missing_argv, NULL);
    EXPECT_EQ(exit_code(&r), 127);
}

/* ---- tools ---- */

TEST(tools, echo) {
    struct Run r;
    char *a1[] = {"/bin/echo", "-n", "a", "b", NULL};
    run(&r, a1, NULL);
    EXPECT_STREQ(r.out, "a b");
    char *a2[] = {"/bin/echo", NULL};
    run(&r, a2, NULL);
    EXPECT_STREQ(r.out, "\n");
    EXPECT_EQ(exit_code(&r), 0);
}

TEST(tools, true_false) {
    struct Run r;
    char *t[] = {"/bin/true", "ignored", NULL};
    run(&r, t, NULL);
    EXPECT_EQ(exit_code(&r), 0);
    char *f[] = {"/bin/false", NULL};
    run(&r, f, NULL);
    EXPECT_EQ(exit_code(&r), 1);
}

TEST(tools, cat) {
    struct Run r;
    char *files[] = {"/bin/cat", (char *)UPATH("/tests/data/hello.txt"), "-", (char *)UPATH("/tests/data/hello.txt"),
                     NULL};
    run(&r, files, "stdin in the middle\n");
    EXPECT_STREQ(r.out, "hello, world\nstdin in the middle\nhello, world\n");
    EXPECT_EQ(exit_code(&r), 0);
    char *missing[] = {"/bin/cat", (char *)UPATH("/tests/data/missing"), NULL};
    run(&r, missing, NULL);
    EXPECT_EQ(exit_code(&r), 1);
    EXPECT_TRUE(strstr(r.err, "missing") != NULL);
    char *big[] = {"/bin/cat", (char *)UPATH("/tests/data/lines.txt"), NULL};
    run(&r, big, NULL);
    EXPECT_EQ(strlen(r.out), 1800);
}

TEST(tools, ls) {
    struct Run r;
    char *dir[] = {"/bin/ls", (char *)UPATH("/tests/data"), NULL};
    run(&r, dir, NULL);
    EXPECT_EQ(exit_code(&r), 0);
    const char *hello = strstr(r.out, "hello.txt\n"), *lines = strstr(r.out, "lines.txt\n");
    EXPECT_TRUE(hello != NULL && lines != NULL && hello < lines); /* sorted */
    EXPECT_TRUE(strstr(r.out, "\n.") == NULL && r.out[0] != '.'); /* no dot files without -a */
    char *one[] = {"/bin/ls", "-l", (char *)UPATH("/tests/data/hello.txt"), NULL};
    run(&r, one, NULL);
    EXPECT_EQ(strncmp(r.out, "-r", 2), 0);
    EXPECT_TRUE(strstr(r.out, " 13 ") != NULL);
    char *bin[] = {"/bin/ls", "-l", (char *)UPATH("/bin"), NULL};
    run(&r, bin, NULL);
    EXPECT_TRUE(strstr(r.out, "x ") != NULL && strstr(r.out, " sh\n") != NULL);
    char *missing[] = {"/bin/ls", (char *)UPATH("/no/such/dir"), NULL};
    run(&r, missing, NULL);
    EXPECT_EQ(exit_code(&r), 1);
}

TEST(tools, sleep) {
    struct Run r;
    char *s[] = {"/bin/sleep", "0.05", NULL};
    run(&r, s, NULL);
    EXPECT_EQ(exit_code(&r), 0);
    EXPECT_GE(r.elapsed_ns, 50 * 1000000LL);
    char *bad[] = {"/bin/sleep", "soon", NULL};
    run(&r, bad, NULL);
    EXPECT_EQ(exit_code(&r), 1);
}

TEST(tools, kill) {
    static const struct {
        const char *arg;
        int sig;
    } forms[] = {{"-9", SIGKILL}, {"-KILL", SIGKILL}, {"-TERM", SIGTERM}, {"-sigusr1", SIGUSR1}, {NULL, SIGTERM}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        pid_t victim = fork();
        ASSERT_GE(victim, 0);
        if (victim == 0) {
            for (int k = 0; k < 500; k++) utest_sleep_ms(10);
            _exit(0);
        }
        char pid_text[16];
        snprintf(pid_text, sizeof pid_text, "%d", (int)victim);
        struct Run r;
        char *with_sig[] = {"/bin/kill", (char *)forms[i].arg, pid_text, NULL};
        char *plain[] = {"/bin/kill", pid_text, NULL};
        run(&r, forms[i].arg ? with_sig : plain, NULL);
        EXPECT_EQ(exit_code(&r), 0);
        EXPECT_CHILD_SIGNALED(victim, forms[i].sig);
    }
    struct Run r;
    char *gone[] = {"/bin/kill", "-TERM", "1073741823", NULL};
    run(&r, gone, NULL);
    EXPECT_EQ(exit_code(&r), 1);
    char *bad_sig[] = {"/bin/kill", "-NOPE", "1", NULL};
    run(&r, bad_sig, NULL);
    EXPECT_EQ(exit_code(&r), 2);
}

TEST(tools, ps) {
    struct Run r;
    char *argv[] = {"/bin/ps", NULL};
    run(&r, argv, NULL);
    EXPECT_EQ(exit_code(&r), 0);
    EXPECT_TRUE(strstr(r.out, "PID") != NULL);
    EXPECT_TRUE(strstr(r.out, " ps\n") != NULL); /* it lists at least itself */
}

UTEST_MAIN()
