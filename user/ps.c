/* ps: lists processes as "PID PPID S COMMAND".
 *
 * On Linux the process table is /proc/<pid>/stat (proc(5)). TeachOS has no /proc;
 * it answers the native call teachos_proc_list (number 500, docs/ABI.md) instead,
 * which Linux rejects with ENOSYS. With neither, ps lists only itself and says so.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct Proc {
    int pid, ppid;
    char state;
    char name[64];
};

/* Parses /proc/PID/stat: "pid (comm) state ppid ...". comm may hold spaces and ')',
 * so the name ends at the LAST ')'. */
static int read_stat(int pid, struct Proc *out) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    char *open_paren = strchr(buf, '(');
    char *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren) return -1;
    size_t len = (size_t)(close_paren - open_paren - 1);
    if (len >= sizeof out->name) len = sizeof out->name - 1;
    memcpy(out->name, open_paren + 1, len);
    out->name[len] = '\0';
    out->pid = pid;
    if (sscanf(close_paren + 1, " %c %d", &out->state, &out->ppid) != 2) return -1;
    return 0;
}

static int by_pid(const void *a, const void *b) { return ((const struct Proc *)a)->pid - ((const struct Proc *)b)->pid; }

/* TeachOS's process list (docs/ABI.md): 40-byte records. */
struct TeachosRecord {
    int pid, ppid, pgid, threads, state;
    char name[16];
    unsigned pad;
};

static int teachos_list(void) {
    static struct TeachosRecord records[1024];
    long n = syscall(500, records, sizeof records);
    if (n < 0) return -1;
    if (n > 1024) n = 1024;
    for (long i = 0; i < n; i++)
        printf("%6d %6d %c %.16s\n", records[i].pid, records[i].ppid, records[i].state ? 'Z' : 'R', records[i].name);
    return 0;
}

/* No process table to read: list ourselves, and say so. */
static int self_only(const char *argv0) {
    const char *name = strrchr(argv0, '/');
    name = name ? name + 1 : argv0;
    printf("%6d %6d R %s\n", (int)getpid(), (int)getppid(), name);
    fflush(stdout);
    fprintf(stderr, "ps: no process table\n");
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    printf("%6s %6s S COMMAND\n", "PID", "PPID");
    DIR *proc = opendir("/proc");
    if (proc == NULL) return teachos_list() == 0 ? 0 : self_only(argv[0]);
    size_t count = 0, cap = 64;
    struct Proc *procs = malloc(cap * sizeof *procs);
    struct dirent *e;
    while (procs != NULL && (e = readdir(proc)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        if (count == cap) {
            cap *= 2;
            struct Proc *bigger = realloc(procs, cap * sizeof *procs);
            if (bigger == NULL) break;
            procs = bigger;
        }
        if (read_stat(atoi(e->d_name), &procs[count]) == 0) count++;
    }
    closedir(proc);
    if (count == 0) { /* a /proc directory without processes in it */
        free(procs);
        return self_only(argv[0]);
    }
    qsort(procs, count, sizeof *procs, by_pid);
    for (size_t i = 0; i < count; i++)
        printf("%6d %6d %c %s\n", procs[i].pid, procs[i].ppid, procs[i].state, procs[i].name);
    free(procs);
    return 0;
}
