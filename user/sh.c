/* sh: a small shell.
 *
 *   sh               reads commands from stdin, prompt "$ " (when stdin may be a terminal)
 *   sh -c 'LINE'     runs one line and exits with its status
 *   sh FILE          runs the lines of FILE
 *
 * A line is a list of pipelines separated by ';' or '&' (which runs the pipeline before it
 * in the background); a pipeline is commands joined by '|'. Words are split on blanks;
 * "double quotes" and 'single quotes' group, a backslash escapes one character, '#' starts
 * a comment. $? expands to the status of the last pipeline, $$ to the shell's pid, $NAME
 * to an environment variable. Builtins: exit [N], wait.
 *
 * A command without '/' is looked up in $PATH, or in /bin then /tests when PATH is unset.
 *
 * Signals, without job control (no process groups, as in the original Unix shells): the
 * console sends SIGINT (Ctrl-C) to the foreground processes. The shell catches it, so it
 * survives (a caught signal only interrupts its wait or its read); a foreground child
 * starts with the default action and dies. Background children ignore SIGINT and SIGQUIT
 * (POSIX, "Shell Command Language" 2.11: asynchronous lists without job control).
 * Finished background jobs are reaped and reported before each prompt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { kMaxLine = 4096, kMaxArgs = 128, kMaxCmds = 16, kArena = 16384, kMaxJobs = 64 };

enum TokenKind { kWord, kPipe, kAmp, kSemi, kEnd };

struct Token {
    enum TokenKind kind;
    char *text; /* kWord only */
};

static int last_status;
static volatile sig_atomic_t got_sigint;
static pid_t jobs[kMaxJobs]; /* last pid of each background pipeline, 0 = free slot */

static void put(int fd, const char *s) {
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        s += n;
        len -= (size_t)n;
    }
}

static void on_sigint(int sig) {
    (void)sig;
    got_sigint = 1;
}

/* ---- line reading (read(2) directly: a caught SIGINT makes read return EINTR) ---- */

struct Reader {
    int fd;
    char buf[kMaxLine];
    size_t start, end;
};

/* Returns the line length (newline stripped), -1 at end of input, -2 when interrupted by
 * Ctrl-C (the partial line is dropped). Over-long lines are cut at kMaxLine - 1. */
static int read_line(struct Reader *r, char *line) {
    size_t len = 0;
    for (;;) {
        while (r->start < r->end) {
            char c = r->buf[r->start++];
            if (c == '\n') {
                line[len] = '\0';
                return (int)len;
            }
            if (len < kMaxLine - 1) line[len++] = c;
        }
        ssize_t n = read(r->fd, r->buf, sizeof r->buf);
        if (n < 0 && errno == EINTR) {
            if (got_sigint) {
                got_sigint = 0;
                return -2;
            }
            continue;
        }
        if (n <= 0) {
            if (len == 0) return -1;
            line[len] = '\0'; /* last line without a newline */
            return (int)len;
        }
        r->start = 0;
        r->end = (size_t)n;
    }
}

/* ---- parsing ---- */

struct Arena {
    char text[kArena];
    size_t used;
};

static int arena_put(struct Arena *a, char c) {
    if (a->used >= kArena) return -1;
    a->text[a->used++] = c;
    return 0;
}

static int arena_puts(struct Arena *a, const char *s) {
    while (*s)
        if (arena_put(a, *s++) < 0) return -1;
    return 0;
}

static int is_name_char(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Expands the $ at *p (p points just after it); advances *p. */
static int expand_dollar(struct Arena *a, const char **p) {
    char num[24];
    const char *s = *p;
    if (*s == '?') {
        snprintf(num, sizeof num, "%d", last_status);
        *p = s + 1;
        return arena_puts(a, num);
    }
    if (*s == '$') {
        snprintf(num, sizeof num, "%d", (int)getpid());
        *p = s + 1;
        return arena_puts(a, num);
    }
    if (!is_name_char(*s)) return arena_put(a, '$'); /* a lone '$' stays */
    char name[128];
    size_t n = 0;
    while (is_name_char(*s) && n < sizeof name - 1) name[n++] = *s++;
    name[n] = '\0';
    *p = s;
    const char *value = getenv(name);
    return value ? arena_puts(a, value) : 0;
}

/* Splits the next pipeline of a line into tokens, from *pos up to and including the ';',
 * '&' or end that ends it, and advances *pos past it. One pipeline at a time, because
 * "$?" must see the status of the pipeline before it. Returns the count (the last
 * token is kSemi, kAmp or kEnd), or -1 with a message printed. */
static int tokenize(const char **pos, struct Token *tokens, int max, struct Arena *a) {
    int count = 0;
    const char *p = *pos;
    a->used = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (count >= max - 1) {
            put(2, "sh: too many words\n");
            return -1;
        }
        struct Token *t = &tokens[count];
        if (*p == '\0' || *p == '#') {
            t->kind = kEnd;
            *pos = p + strlen(p);
            return count + 1;
        }
        if (*p == '|' || *p == '&' || *p == ';') {
            t->kind = *p == '|' ? kPipe : *p == '&' ? kAmp : kSemi;
            p++;
            count++;
            if (t->kind != kPipe) {
                *pos = p;
                return count;
            }
            continue;
        }
        t->kind = kWord;
        t->text = a->text + a->used;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '|' && *p != '&' && *p != ';') {
            int err = 0;
            if (*p == '"') {
                p++;
                while (*p && *p != '"' && !err) {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$')) {
                        err = arena_put(a, p[1]);
                        p += 2;
                    } else if (*p == '$') {
                        p++;
                        err = expand_dollar(a, &p);
                    } else {
                        err = arena_put(a, *p++);
                    }
                }
                if (*p != '"') {
                    put(2, "sh: missing closing \"\n");
                    return -1;
                }
                p++;
            } else if (*p == '\'') {
                p++;
                while (*p && *p != '\'' && !err) err = arena_put(a, *p++);
                if (*p != '\'') {
                    put(2, "sh: missing closing '\n");
                    return -1;
                }
                p++;
            } else if (*p == '\\' && p[1]) {
                err = arena_put(a, p[1]);
                p += 2;
            } else if (*p == '$') {
                p++;
                err = expand_dollar(a, &p);
            } else {
                err = arena_put(a, *p++);
            }
            if (err) {
                put(2, "sh: line too long\n");
                return -1;
            }
        }
        if (arena_put(a, '\0') < 0) {
            put(2, "sh: line too long\n");
            return -1;
        }
        count++;
    }
}

/* ---- running commands ---- */

static void report_job(pid_t pid, int status) {
    char buf[96];
    if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "[%d] killed by signal %d\n", (int)pid, WTERMSIG(status));
    else
        snprintf(buf, sizeof buf, "[%d] done, status %d\n", (int)pid, WEXITSTATUS(status));
    put(2, buf);
}

/* A child other than the foreground ones ended: report it if it led a background job. */
static void background_ended(pid_t pid, int status) {
    for (int i = 0; i < kMaxJobs; i++) {
        if (jobs[i] == pid) {
            jobs[i] = 0;
            report_job(pid, status);
        }
    }
}

static void reap_background(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) background_ended(pid, status);
}

static int status_code(int status) {
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* In the child: replace it with argv[0], searched in PATH when it has no '/'. */
static _Noreturn void exec_command(char **argv) {
    const char *name = argv[0];
    int error = ENOENT;
    if (strchr(name, '/') != NULL) {
        execve(name, argv, environ);
        error = errno;
    } else {
        const char *path = getenv("PATH");
        if (path == NULL || *path == '\0') path = "/bin:/tests";
        while (*path) {
            const char *colon = strchr(path, ':');
            size_t dir_len = colon ? (size_t)(colon - path) : strlen(path);
            char full[512];
            if (dir_len + strlen(name) + 2 <= sizeof full) {
                memcpy(full, path, dir_len);
                full[dir_len] = '/';
                strcpy(full + dir_len + 1, name);
                execve(full, argv, environ);
                /* Keep looking past "no such file"; remember a real error (EACCES, ENOEXEC)
                 * to report if nothing later works either. */
                if (errno != ENOENT && errno != ENOTDIR && error == ENOENT) error = errno;
            }
            path += dir_len;
            if (*path == ':') path++;
        }
    }
    char msg[600];
    if (error == ENOENT) {
        snprintf(msg, sizeof msg, "sh: %s: not found\n", name);
        put(2, msg);
        _exit(127);
    }
    snprintf(msg, sizeof msg, "sh: %s: %s\n", name, strerror(error));
    put(2, msg);
    _exit(126);
}

struct Command {
    char *argv[kMaxArgs];
    int argc;
};

static void builtin_wait(void) {
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid > 0) {
            background_ended(pid, status);
            last_status = status_code(status);
            continue;
        }
        if (errno == EINTR && !got_sigint) continue;
        got_sigint = 0;
        return; /* ECHILD: nothing left, or Ctrl-C */
    }
}

/* Runs builtins; returns 1 if argv was one. */
static int run_builtin(struct Command *cmd) {
    if (strcmp(cmd->argv[0], "exit") == 0) {
        int code = cmd->argc > 1 ? atoi(cmd->argv[1]) : last_status;
        exit(code & 0xff);
    }
    if (strcmp(cmd->argv[0], "wait") == 0) {
        last_status = 0;
        builtin_wait();
        return 1;
    }
    return 0;
}

static void run_pipeline(struct Command *cmds, int ncmds, int background) {
    if (ncmds == 1 && !background && run_builtin(&cmds[0])) return;

    pid_t pids[kMaxCmds];
    int prev_read = -1;
    int started = 0;
    for (int i = 0; i < ncmds; i++) {
        int p[2] = {-1, -1};
        if (i < ncmds - 1 && pipe2(p, O_CLOEXEC) < 0) {
            perror("sh: pipe");
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            perror("sh: fork");
            if (p[0] >= 0) {
                close(p[0]);
                close(p[1]);
            }
            break;
        }
        if (pid == 0) {
            signal(SIGINT, background ? SIG_IGN : SIG_DFL);
            signal(SIGQUIT, background ? SIG_IGN : SIG_DFL);
            signal(SIGPIPE, SIG_DFL);
            if (prev_read >= 0) dup2(prev_read, 0); /* dup2'd fds are not close-on-exec */
            if (p[1] >= 0) dup2(p[1], 1);
            exec_command(cmds[i].argv);
        }
        pids[started++] = pid;
        if (prev_read >= 0) close(prev_read);
        if (p[1] >= 0) close(p[1]);
        prev_read = p[0];
    }
    if (prev_read >= 0) close(prev_read);
    if (started == 0) {
        last_status = 1;
        return;
    }

    if (background) {
        pid_t leader = pids[started - 1];
        for (int i = 0; i < kMaxJobs; i++) {
            if (jobs[i] == 0) {
                jobs[i] = leader;
                break;
            }
        }
        char buf[32];
        snprintf(buf, sizeof buf, "[%d]\n", (int)leader);
        put(2, buf);
        last_status = 0;
        return;
    }

    /* Wait for every command of the pipeline; the last one's status is the pipeline's. */
    int remaining = started;
    int final_status = 0;
    while (remaining > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue; /* Ctrl-C: the children got it too */
            break;
        }
        int ours = 0;
        for (int i = 0; i < started; i++) {
            if (pids[i] == pid) {
                ours = 1;
                remaining--;
                if (i == started - 1) final_status = status;
            }
        }
        if (!ours) background_ended(pid, status);
    }
    got_sigint = 0;
    last_status = status_code(final_status);
    if (WIFSIGNALED(final_status)) {
        int sig = WTERMSIG(final_status);
        if (sig == SIGINT) {
            put(2, "\n");
        } else if (sig != SIGPIPE) {
            char buf[96];
            snprintf(buf, sizeof buf, "%s\n", strsignal(sig));
            put(2, buf);
        }
    }
}

static void run_line(const char *line) {
    static struct Token tokens[kMaxArgs * 2];
    static struct Arena arena;
    static struct Command cmds[kMaxCmds];
    const char *pos = line;
    while (*pos) {
        int count = tokenize(&pos, tokens, kMaxArgs * 2, &arena);
        if (count < 0) {
            last_status = 2;
            return;
        }
        /* tokens: words and '|', ended by one ';', '&' or end of line. */
        int ncmds = 0;
        memset(&cmds[0], 0, sizeof cmds[0]);
        for (int i = 0; i < count - 1; i++) {
            struct Token *t = &tokens[i];
            struct Command *cur = &cmds[ncmds];
            if (t->kind == kWord) {
                if (cur->argc >= kMaxArgs - 1) {
                    put(2, "sh: too many arguments\n");
                    last_status = 2;
                    return;
                }
                cur->argv[cur->argc++] = t->text;
                cur->argv[cur->argc] = NULL;
                continue;
            }
            /* kPipe */
            if (cur->argc == 0 || ncmds + 1 >= kMaxCmds) {
                put(2, cur->argc == 0 ? "sh: syntax error near '|'\n" : "sh: pipeline too long\n");
                last_status = 2;
                return;
            }
            ncmds++;
            memset(&cmds[ncmds], 0, sizeof cmds[ncmds]);
        }
        enum TokenKind end = tokens[count - 1].kind;
        if (cmds[ncmds].argc == 0) {
            /* Nothing before ';' or the end is fine (an empty line); an empty '&' or a
             * pipeline ending in '|' is not. */
            if (ncmds > 0 || end == kAmp) {
                put(2, "sh: syntax error\n");
                last_status = 2;
                return;
            }
            continue;
        }
        run_pipeline(cmds, ncmds + 1, end == kAmp);
    }
}

static int run_reader(struct Reader *r, int interactive) {
    static char line[kMaxLine];
    for (;;) {
        reap_background();
        if (interactive) put(1, "$ ");
        int n = read_line(r, line);
        if (n == -2) {
            put(1, "\n");
            continue;
        }
        if (n == -1) break;
        run_line(line);
    }
    if (interactive) put(1, "\n");
    return last_status;
}

int main(int argc, char **argv) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint; /* no SA_RESTART: Ctrl-C must interrupt read and waitpid */
    sigaction(SIGINT, &sa, NULL);
    signal(SIGQUIT, SIG_IGN);

    if (argc > 2 && strcmp(argv[1], "-c") == 0) {
        run_line(argv[2]);
        return last_status;
    }
    static struct Reader reader;
    if (argc > 1) {
        reader.fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (reader.fd < 0) {
            char msg[300];
            snprintf(msg, sizeof msg, "sh: %s: %s\n", argv[1], strerror(errno));
            put(2, msg);
            return 127;
        }
        return run_reader(&reader, 0);
    }
    /* Prompt unless stdin is known not to be a terminal (a pipe or a file answers ENOTTY;
     * a kernel without the ioctl yet still gets its prompt). */
    struct winsize ws;
    int interactive = ioctl(0, TIOCGWINSZ, &ws) == 0 || errno != ENOTTY;
    reader.fd = 0;
    return run_reader(&reader, interactive);
}
