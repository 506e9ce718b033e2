/* ls [-l] [-a] [PATH...]: lists directories (sorted by name) or names files.
 *
 *   -l   long form: type and permission bits, size in bytes, name
 *   -a   include names starting with '.'
 *
 * Directories are read with opendir/readdir (musl: getdents64), metadata with
 * fstatat(2) relative to the directory's fd (newfstatat).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int long_form, show_all;

static void mode_string(mode_t mode, char out[11]) {
    char type = '?';
    if (S_ISREG(mode)) type = '-';
    else if (S_ISDIR(mode)) type = 'd';
    else if (S_ISLNK(mode)) type = 'l';
    else if (S_ISCHR(mode)) type = 'c';
    else if (S_ISBLK(mode)) type = 'b';
    else if (S_ISFIFO(mode)) type = 'p';
    else if (S_ISSOCK(mode)) type = 's';
    const char *rwx = "rwxrwxrwx";
    out[0] = type;
    for (int i = 0; i < 9; i++) out[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
    out[10] = '\0';
}

static void print_entry(int dirfd, const char *name, const char *shown) {
    if (!long_form) {
        printf("%s\n", shown);
        return;
    }
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        fprintf(stderr, "ls: %s: %s\n", shown, strerror(errno));
        return;
    }
    char mode[11];
    mode_string(st.st_mode, mode);
    printf("%s %10lld %s\n", mode, (long long)st.st_size, shown);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list_dir(const char *path) {
    DIR *dir = opendir(path);
    if (dir == NULL) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t count = 0, cap = 64;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while (names != NULL && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.' && !show_all) continue;
        if (count == cap) {
            cap *= 2;
            char **bigger = realloc(names, cap * sizeof *names);
            if (bigger == NULL) break;
            names = bigger;
        }
        names[count] = strdup(e->d_name);
        if (names[count] != NULL) count++;
    }
    if (names == NULL) {
        closedir(dir);
        return 1;
    }
    qsort(names, count, sizeof *names, by_name);
    for (size_t i = 0; i < count; i++) {
        print_entry(dirfd(dir), names[i], names[i]);
        free(names[i]);
    }
    free(names);
    closedir(dir);
    return 0;
}

int main(int argc, char **argv) {
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
        if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        }
        for (const char *f = argv[first] + 1; *f; f++) {
            if (*f == 'l') long_form = 1;
            else if (*f == 'a') show_all = 1;
            else {
                fprintf(stderr, "ls: unknown option -%c\nusage: ls [-l] [-a] [PATH...]\n", *f);
                return 2;
            }
        }
    }
    const char *dot[] = {"."};
    const char **paths = first < argc ? (const char **)argv + first : dot;
    int npaths = first < argc ? argc - first : 1;
    int status = 0;
    for (int i = 0; i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) < 0) {
            fprintf(stderr, "ls: %s: %s\n", paths[i], strerror(errno));
            status = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            print_entry(AT_FDCWD, paths[i], paths[i]);
            continue;
        }
        if (npaths > 1) printf("%s%s:\n", i > 0 ? "\n" : "", paths[i]);
        status |= list_dir(paths[i]);
    }
    return status;
}
