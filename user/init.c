/* init: the first process.
 *
 *   init                 runs /bin/sh, restarts it whenever it exits, forever
 *   init PROGRAM [ARG]   runs PROGRAM instead and exits with its status once it ends
 *                        (killed by a signal: 128 + the signal number, as shells report it)
 *
 * The kernel starts it as pid 1 with fds 0, 1 and 2 already on the console. Orphaned
 * processes are re-parented to pid 1, so init must reap every child, not only the one it
 * started: otherwise their zombies would stay forever (wait4(2): "a child that terminates,
 * but has not been waited for, becomes a zombie"). It blocks in wait4(-1), which returns
 * for any child, including adopted ones.
 *
 * Run on Linux as an ordinary process (pid != 1) it asks to be a child subreaper so that
 * orphans come to it there too (prctl(PR_SET_CHILD_SUBREAPER), Linux-specific; skipped
 * when it is pid 1, where it is not needed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void say(const char *msg) {
    ssize_t unused = write(2, msg, strlen(msg));
    (void)unused;
}

static pid_t spawn(char **argv) {
    pid_t pid = fork();
    if (pid == 0) {
        /* The child starts from default signal dispositions, whatever init set. */
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTSTP, SIG_DFL);
        execve(argv[0], argv, environ);
        char buf[256];
        snprintf(buf, sizeof buf, "init: cannot run %s: %s\n", argv[0], strerror(errno));
        say(buf);
        _exit(127);
    }
    if (pid < 0) {
        char buf[128];
        snprintf(buf, sizeof buf, "init: fork: %s\n", strerror(errno));
        say(buf);
    }
    return pid;
}

/* Reaps children until `main_child` ends; returns its wait status. */
static int reap_until(pid_t main_child) {
    for (;;) {
        int status;
        pid_t pid = wait4(-1, &status, 0, NULL);
        if (pid == main_child) return status;
        if (pid < 0 && errno == ECHILD) return -1; /* cannot happen while main_child lives */
        /* Any other pid: an orphan (or an earlier child) reaped; nothing more to do. */
    }
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* Ctrl-C on the console must not kill pid 1 (when pid 1 ends, the machine stops). */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);

    if (argc > 1) {
        pid_t pid = spawn(argv + 1);
        if (pid < 0) return 127;
        int status = reap_until(pid);
        if (status == -1) return 127;
        if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
    }

    char *sh_argv[] = {"/bin/sh", NULL};
    for (;;) {
        double started = now_seconds();
        pid_t pid = spawn(sh_argv);
        if (pid >= 0) reap_until(pid);
        /* A shell that dies at once (missing, broken) must not make init spin. */
        if (pid < 0 || now_seconds() - started < 1.0) {
            struct timespec second = {1, 0};
            nanosleep(&second, NULL);
        }
    }
}
