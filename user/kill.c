/* kill [-SIG | -s SIG] PID...   sends a signal (default SIGTERM) to each PID
 * kill -l                       lists the signal names
 *
 * SIG is a number (-9) or a name with or without "SIG", in any case (-KILL, -sigterm).
 * "--" ends the options, so "kill -- -1" names pid -1. Exit status 1 if any kill failed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    int number;
} kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},   {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},   {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},   {"URG", SIGURG},     {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},    {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

/* Returns the signal number SPEC names, or -1. */
static int parse_signal(const char *spec) {
    if (isdigit((unsigned char)spec[0])) {
        char *end;
        long n = strtol(spec, &end, 10);
        return (*end == '\0' && n >= 0 && n < 65) ? (int)n : -1;
    }
    if (strncasecmp(spec, "SIG", 3) == 0) spec += 3;
    for (size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; i++)
        if (strcasecmp(spec, kSignals[i].name) == 0) return kSignals[i].number;
    return -1;
}

static int usage(void) {
    fprintf(stderr, "usage: kill [-SIG | -s SIG] PID...\n       kill -l\n");
    return 2;
}

int main(int argc, char **argv) {
    int sig = SIGTERM;
    int i = 1;
    if (i < argc && strcmp(argv[i], "-l") == 0) {
        for (size_t k = 0; k < sizeof kSignals / sizeof kSignals[0]; k++)
            printf("%2d %s\n", kSignals[k].number, kSignals[k].name);
        return 0;
    }
    if (i < argc && strcmp(argv[i], "-s") == 0) {
        if (i + 1 >= argc) return usage();
        sig = parse_signal(argv[i + 1]);
        if (sig < 0) {
            fprintf(stderr, "kill: unknown signal %s\n", argv[i + 1]);
            return 2;
        }
        i += 2;
    } else if (i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0) {
        sig = parse_signal(argv[i] + 1);
        if (sig < 0) {
            fprintf(stderr, "kill: unknown signal %s\n", argv[i] + 1);
            return 2;
        }
        i++;
    }
    if (i < argc && strcmp(argv[i], "--") == 0) i++;
    if (i >= argc) return usage();
    int status = 0;
    for (; i < argc; i++) {
        char *end;
        long pid = strtol(argv[i], &end, 10);
        if (end == argv[i] || *end != '\0') {
            fprintf(stderr, "kill: %s: not a pid\n", argv[i]);
            status = 1;
            continue;
        }
        if (kill((pid_t)pid, sig) < 0) {
            fprintf(stderr, "kill: (%ld): %s\n", pid, strerror(errno));
            status = 1;
        }
    }
    return status;
}
