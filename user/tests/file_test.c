/* file_test: files of the initrd tree (read-only) and file descriptors. open/openat,
 * read, pread64, readv, lseek, close, fstat/newfstatat, getdents64, access, dup/dup2/dup3,
 * fcntl (FD_CLOEXEC, O_NONBLOCK, F_DUPFD), ioctl(TIOCGWINSZ), writev/pwrite64 on pipes,
 * offsets shared across fork; bad input for each (bad pointers, closed fds, huge
 * lengths, invalid flags, wrong file types).
 *
 * Fixtures: /tests/data/hello.txt = "hello, world\n" (13 bytes),
 *           /tests/data/lines.txt = "line 001\n" .. "line 200\n" (1800 bytes). */
#define _GNU_SOURCE
#include "utest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define HELLO "hello, world\n"
#define HELLO_LEN 13

static int open_data(const char *name, int flags) {
    char path[64];
    snprintf(path, sizeof path, "/tests/data/%s", name);
    return open(UPATH(path), flags);
}

/* ---- open, read, close ---- */

TEST(file, open_read_close) {
    int fd = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(fd, 3); /* 0, 1, 2 are taken */
    char buf[64];
    EXPECT_EQ(read(fd, buf, sizeof buf), HELLO_LEN);
    EXPECT_EQ(memcmp(buf, HELLO, HELLO_LEN), 0);
    EXPECT_EQ(read(fd, buf, sizeof buf), 0); /* end of file */
    EXPECT_EQ(read(fd, buf, 0), 0);
    EXPECT_OK(close(fd));
    EXPECT_ERRNO(close(fd), EBADF);
    EXPECT_ERRNO(read(fd, buf, 1), EBADF);
}

TEST(file, lowest_free_fd) {
    int a = open_data("hello.txt", O_RDONLY);
    int b = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(a, 0);
    EXPECT_EQ(b, a + 1);
    close(a);
    int c = open_data("hello.txt", O_RDONLY);
    EXPECT_EQ(c, a); /* POSIX: the lowest-numbered free descriptor */
    close(b);
    close(c);
}

TEST(file, read_in_pieces) {
    int fd = open_data("lines.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    char all[2048];
    size_t used = 0;
    for (int i = 0; i < 1000; i++) {
        ssize_t n = read(fd, all + used, 7); /* odd piece size crosses every boundary */
        if (n <= 0) break;
        used += (size_t)n;
    }
    EXPECT_EQ(used, 1800);
    char expect[16];
    int ok = 1;
    for (int i = 0; i < 200; i++) {
        snprintf(expect, sizeof expect, "line %03d\n", i + 1);
        ok &= memcmp(all + i * 9, expect, 9) == 0;
    }
    EXPECT_TRUE(ok);
    close(fd);
}

TEST(file, open_errors) {
    EXPECT_ERRNO(open(UPATH("/tests/data/no_such_file"), O_RDONLY), ENOENT);
    EXPECT_ERRNO(open(UPATH("/no_such_dir/file"), O_RDONLY), ENOENT);
    EXPECT_ERRNO(open("", O_RDONLY), ENOENT);
    EXPECT_ERRNO(open(UPATH("/tests/data/hello.txt/x"), O_RDONLY), ENOTDIR);
    EXPECT_ERRNO(open(UPATH("/tests/data/hello.txt"), O_RDONLY | O_DIRECTORY), ENOTDIR);
    EXPECT_ERRNO(open(UPATH("/tests/data"), O_WRONLY), EISDIR);
    EXPECT_ERRNO(open(UPATH("/tests/data"), O_RDWR), EISDIR);
    EXPECT_ERRNO(syscall(SYS_open, (char *)1, O_RDONLY), EFAULT);
    EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, (char *)1, O_RDONLY), EFAULT);
    static char long_name[PATH_MAX + 16];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[0] = '/';
    EXPECT_ERRNO(open(long_name, O_RDONLY), ENAMETOOLONG);
}

TEST(file, openat) {
    int dir = open(UPATH("/tests/data"), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(dir, 0);
    int fd = openat(dir, "hello.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    char buf[32];
    EXPECT_EQ(read(fd, buf, sizeof buf), HELLO_LEN);
    close(fd);
    /* An absolute path ignores the directory fd, even a bad one. */
    fd = openat(12345, UPATH("/tests/data/hello.txt"), O_RDONLY);
    EXPECT_GE(fd, 0);
    close(fd);
    fd = openat(AT_FDCWD, UPATH("/tests/data/hello.txt"), O_RDONLY);
    EXPECT_GE(fd, 0);
    /* A relative path needs a directory. */
    EXPECT_ERRNO(openat(12345, "hello.txt", O_RDONLY), EBADF);
    EXPECT_ERRNO(openat(fd, "hello.txt", O_RDONLY), ENOTDIR);
    EXPECT_ERRNO(openat(dir, "missing", O_RDONLY), ENOENT);
    close(fd);
    close(dir);
}

TEST(file, read_bad_input) {
    int fd = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    EXPECT_ERRNO(read(fd, (void *)1, 10), EFAULT);
    EXPECT_ERRNO(read(fd, (void *)0xffff800000000000UL, 10), EFAULT); /* kernel half */
    char buf[16];
    /* A length running past the end of the address space: the whole range is checked
     * before any byte moves (Linux: access_ok, EFAULT). */
    EXPECT_ERRNO(read(fd, buf, (size_t)1 << 62), EFAULT);
    EXPECT_ERRNO(read(-1, buf, 1), EBADF);
    EXPECT_ERRNO(read(1 << 20, buf, 1), EBADF);
    /* Directories are not read with read(2). */
    int dir = open(UPATH("/tests/data"), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(dir, 0);
    EXPECT_ERRNO(read(dir, buf, sizeof buf), EISDIR);
    close(dir);
    /* Writing to a read-only descriptor. */
    EXPECT_ERRNO(write(fd, "x", 1), EBADF);
    EXPECT_ERRNO(pwrite(fd, "x", 1, 0), EBADF);
    close(fd);
    EXPECT_ERRNO(close(-1), EBADF);
    EXPECT_ERRNO(close(1 << 20), EBADF);
}

/* ---- positioned and vectored reads, lseek ---- */

TEST(file, pread) {
    int fd = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    char buf[32] = {0};
    EXPECT_EQ(pread(fd, buf, sizeof buf, 7), 6);
    EXPECT_EQ(memcmp(buf, "world\n", 6), 0);
    EXPECT_EQ(read(fd, buf, 5), 5); /* pread did not move the offset */
    EXPECT_EQ(memcmp(buf, "hello", 5), 0);
    EXPECT_EQ(pread(fd, buf, sizeof buf, 1000), 0); /* past the end */
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
    EXPECT_ERRNO(pread(fd, buf, 1, -1), EINVAL);
    EXPECT_ERRNO(pread(fd, (void *)1, 4, 0), EFAULT);
    int p[2];
    ASSERT_OK(pipe(p));
    EXPECT_ERRNO(pread(p[0], buf, 1, 0), ESPIPE);
    EXPECT_ERRNO(pwrite(p[1], "x", 1, 0), ESPIPE);
    close(p[0]);
    close(p[1]);
    close(fd);
}

TEST(file, readv) {
    int fd = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    char a[3], b[5], c[32];
    struct iovec iov[4] = {{a, sizeof a}, {NULL, 0}, {b, sizeof b}, {c, sizeof c}};
    EXPECT_EQ(readv(fd, iov, 4), HELLO_LEN);
    EXPECT_EQ(memcmp(a, "hel", 3), 0);
    EXPECT_EQ(memcmp(b, "lo, w", 5), 0);
    EXPECT_EQ(memcmp(c, "orld\n", 5), 0);
    EXPECT_EQ(readv(fd, iov, 4), 0);
    lseek(fd, 0, SEEK_SET);
    EXPECT_ERRNO(readv(fd, iov, -1), EINVAL);
    EXPECT_ERRNO(readv(fd, iov, 1025), EINVAL); /* more than IOV_MAX */
    EXPECT_ERRNO(readv(fd, (struct iovec *)1, 2), EFAULT);
    struct iovec bad[2] = {{a, sizeof a}, {(void *)1, 8}};
    errno = 0;
    ssize_t n = readv(fd, bad, 2);
    /* The first buffer may be filled before the bad one is reached: a short count or EFAULT. */
    EXPECT_TRUE(n == 3 || (n == -1 && errno == EFAULT));
    close(fd);
}

TEST(file, lseek) {
    int fd = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    char c;
    EXPECT_EQ(lseek(fd, 7, SEEK_SET), 7);
    EXPECT_EQ(read(fd, &c, 1), 1);
    EXPECT_EQ(c, 'w');
    EXPECT_EQ(lseek(fd, -3, SEEK_CUR), 5);
    EXPECT_EQ(read(fd, &c, 1), 1);
    EXPECT_EQ(c, ',');
    EXPECT_EQ(lseek(fd, -1, SEEK_END), HELLO_LEN - 1);
    EXPECT_EQ(read(fd, &c, 1), 1);
    EXPECT_EQ(c, '\n');
    EXPECT_EQ(lseek(fd, 100, SEEK_SET), 100); /* past the end is allowed */
    EXPECT_EQ(read(fd, &c, 1), 0);
    EXPECT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
    EXPECT_ERRNO(lseek(fd, -100, SEEK_END), EINVAL);
    EXPECT_ERRNO(lseek(fd, 0, 77), EINVAL);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 100); /* failures left it alone */
    int p[2];
    ASSERT_OK(pipe(p));
    EXPECT_ERRNO(lseek(p[0], 0, SEEK_SET), ESPIPE);
    close(p[0]);
    close(p[1]);
    close(fd);
    EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
}

TEST(file, offset_shared_across_fork) {
    int fd = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        char buf[5];
        _exit(read(fd, buf, 5) == 5 ? 0 : 1);
    }
    EXPECT_CHILD_OK(pid);
    /* One open file description, one offset (open(2), fork(2)). */
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
    close(fd);
}

/* ---- metadata ---- */

TEST(file, fstat) {
    int fd = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    struct stat st;
    ASSERT_OK(fstat(fd, &st));
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_size, HELLO_LEN);
    EXPECT_TRUE(st.st_mode & S_IRUSR);
    int dir = open(UPATH("/tests/data"), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(dir, 0);
    ASSERT_OK(fstat(dir, &st));
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    int p[2];
    ASSERT_OK(pipe(p));
    ASSERT_OK(fstat(p[0], &st));
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_ERRNO(syscall(SYS_fstat, fd, (struct stat *)1), EFAULT);
    close(p[0]);
    close(p[1]);
    close(dir);
    close(fd);
    EXPECT_ERRNO(syscall(SYS_fstat, fd, &st), EBADF);
}

TEST(file, fstatat) {
    struct stat st;
    ASSERT_OK(fstatat(AT_FDCWD, UPATH("/tests/data/lines.txt"), &st, 0));
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_size, 1800);
    ASSERT_OK(stat(UPATH("/tests/data"), &st));
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    ASSERT_OK(stat(UPATH("/bin/true"), &st));
    EXPECT_TRUE(st.st_mode & S_IXUSR);
    int dir = open(UPATH("/tests/data"), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(dir, 0);
    ASSERT_OK(fstatat(dir, "hello.txt", &st, AT_SYMLINK_NOFOLLOW));
    EXPECT_EQ(st.st_size, HELLO_LEN);
    /* AT_EMPTY_PATH: the fd itself. */
    ASSERT_OK(syscall(SYS_newfstatat, dir, "", &st, AT_EMPTY_PATH));
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_ERRNO(syscall(SYS_newfstatat, dir, "", &st, 0), ENOENT);
    EXPECT_ERRNO(fstatat(dir, "missing", &st, 0), ENOENT);
    EXPECT_ERRNO(fstatat(dir, "hello.txt", &st, 0x40000000), EINVAL); /* unknown flag */
    EXPECT_ERRNO(fstatat(12345, "hello.txt", &st, 0), EBADF);
    EXPECT_ERRNO(syscall(SYS_newfstatat, dir, "hello.txt", (struct stat *)1, 0), EFAULT);
    EXPECT_ERRNO(syscall(SYS_newfstatat, dir, (char *)1, &st, 0), EFAULT);
    EXPECT_ERRNO(stat(UPATH("/tests/data/hello.txt/"), &st), ENOTDIR);
    close(dir);
}

TEST(file, access) {
    EXPECT_OK(access(UPATH("/tests/data/hello.txt"), F_OK));
    EXPECT_OK(access(UPATH("/tests/data/hello.txt"), R_OK));
    EXPECT_OK(access(UPATH("/bin/true"), X_OK));
    EXPECT_OK(access(UPATH("/tests/data"), R_OK | X_OK));
    EXPECT_ERRNO(access(UPATH("/tests/data/missing"), F_OK), ENOENT);
    /* Even root may execute only what has an execute bit (access(2)). */
    EXPECT_ERRNO(access(UPATH("/tests/data/hello.txt"), X_OK), EACCES);
    EXPECT_ERRNO(access(UPATH("/tests/data/hello.txt"), 0x100), EINVAL);
    EXPECT_ERRNO(syscall(SYS_access, (char *)1, F_OK), EFAULT);
}

/* ---- directories ---- */

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Reads the whole directory with getdents64 and a buffer of buf_size bytes; returns a
 * bitmask: 1 = hello.txt (as a regular file), 2 = lines.txt, 4 = bad_elf. */
static int scan_dir(int fd, size_t buf_size, int *entries) {
    static char buf[8192];
    int found = 0;
    *entries = 0;
    for (int calls = 0; calls < 1000; calls++) {
        long n = syscall(SYS_getdents64, fd, buf, buf_size);
        if (n <= 0) break;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            if (d->d_reclen == 0) return -1;
            (*entries)++;
            int regular = d->d_type == DT_REG || d->d_type == DT_UNKNOWN;
            if (strcmp(d->d_name, "hello.txt") == 0 && regular) found |= 1;
            if (strcmp(d->d_name, "lines.txt") == 0) found |= 2;
            if (strcmp(d->d_name, "bad_elf") == 0) found |= 4;
            off += d->d_reclen;
        }
    }
    return found;
}

TEST(file, getdents64) {
    int fd = open(UPATH("/tests/data"), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0);
    int big_entries = 0, small_entries = 0;
    EXPECT_EQ(scan_dir(fd, 8192, &big_entries), 7);
    EXPECT_EQ(scan_dir(fd, 8192, &small_entries), 0); /* at the end: nothing more */
    /* From the start again, in calls that return one or two entries each: same set. */
    EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
    EXPECT_EQ(scan_dir(fd, 64, &small_entries), 7);
    EXPECT_EQ(small_entries, big_entries);
    EXPECT_GE(big_entries, 10);
    close(fd);
}

TEST(file, getdents64_bad_input) {
    int fd = open(UPATH("/tests/data"), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0);
    char buf[16];
    EXPECT_ERRNO(syscall(SYS_getdents64, fd, buf, sizeof buf), EINVAL); /* too small for one entry */
    EXPECT_ERRNO(syscall(SYS_getdents64, fd, (void *)1, 4096), EFAULT);
    int file = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(file, 0);
    char big[512];
    EXPECT_ERRNO(syscall(SYS_getdents64, file, big, sizeof big), ENOTDIR);
    close(file);
    close(fd);
    EXPECT_ERRNO(syscall(SYS_getdents64, fd, big, sizeof big), EBADF);
}

TEST(file, readdir) {
    DIR *d = opendir(UPATH("/tests/data"));
    ASSERT_TRUE(d != NULL);
    int hello = 0, lines = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        hello += strcmp(e->d_name, "hello.txt") == 0;
        lines += strcmp(e->d_name, "lines.txt") == 0;
    }
    EXPECT_EQ(hello, 1);
    EXPECT_EQ(lines, 1);
    rewinddir(d);
    EXPECT_TRUE(readdir(d) != NULL);
    closedir(d);
    EXPECT_TRUE(opendir(UPATH("/tests/data/hello.txt")) == NULL);
    EXPECT_EQ(errno, ENOTDIR);
}

/* ---- descriptors: dup, fcntl ---- */

TEST(file, dup_shares_offset) {
    int fd = open_data("hello.txt", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    int copy = dup(fd);
    ASSERT_GE(copy, 0);
    EXPECT_NE(copy, fd);
    EXPECT_EQ(fcntl(copy, F_GETFD), 0); /* dup clears close-on-exec */
    char buf[8];
    EXPECT_EQ(read(fd, buf, 5), 5);
    EXPECT_EQ(read(copy, buf, 2), 2); /* continues where fd stopped */
    EXPECT_EQ(memcmp(buf, ", ", 2), 0);
    close(fd);
    EXPECT_EQ(read(copy, buf, 5), 5); /* still open through the copy */
    EXPECT_EQ(memcmp(buf, "world", 5), 0);
    close(copy);
    EXPECT_ERRNO(dup(copy), EBADF);
    EXPECT_ERRNO(dup(-1), EBADF);
}

TEST(file, dup2_dup3) {
    int fd = open_data("hello.txt", O_RDONLY);
    int other = open_data("lines.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_GE(other, 0);
    /* dup2 onto an open fd closes it first, silently. */
    EXPECT_EQ(dup2(fd, other), other);
    char c;
    EXPECT_EQ(read(other, &c, 1), 1);
    EXPECT_EQ(c, 'h');
    /* Same fd: dup2 returns it, dup3 refuses. */
    EXPECT_EQ(dup2(fd, fd), fd);
    /* dup3 as raw calls: musl checks some of this itself, or falls back to dup2. */
    EXPECT_ERRNO(syscall(SYS_dup3, fd, fd, 0), EINVAL);
    EXPECT_ERRNO(syscall(SYS_dup3, fd, 40, 0x1234), EINVAL); /* only O_CLOEXEC is allowed */
    EXPECT_EQ(syscall(SYS_dup3, fd, 40, O_CLOEXEC), 40);
    EXPECT_EQ(fcntl(40, F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(dup2(fd, 41), 41);
    EXPECT_EQ(fcntl(41, F_GETFD), 0);
    EXPECT_ERRNO(dup2(12345, 42), EBADF);
    EXPECT_ERRNO(dup2(fd, -1), EBADF);
    EXPECT_ERRNO(dup2(fd, 1 << 30), EBADF); /* beyond RLIMIT_NOFILE */
    EXPECT_ERRNO(fcntl(42, F_GETFD), EBADF); /* the failed dup2 opened nothing */
    close(40);
    close(41);
    close(other);
    close(fd);
}

TEST(file, fcntl) {
    int fd = open_data("hello.txt", O_RDONLY);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(fcntl(fd, F_GETFD), 0);
    EXPECT_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    EXPECT_OK(fcntl(fd, F_SETFD, 0));
    EXPECT_EQ(fcntl(fd, F_GETFD), 0);
    EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    int low = fcntl(fd, F_DUPFD, 20);
    EXPECT_GE(low, 20);
    EXPECT_EQ(fcntl(low, F_GETFD), 0);
    int low_cloexec = fcntl(fd, F_DUPFD_CLOEXEC, 20);
    EXPECT_GT(low_cloexec, low);
    EXPECT_EQ(fcntl(low_cloexec, F_GETFD), FD_CLOEXEC);
    close(low);
    close(low_cloexec);
    int cloexec = open_data("hello.txt", O_RDONLY | O_CLOEXEC);
    EXPECT_EQ(fcntl(cloexec, F_GETFD), FD_CLOEXEC);
    close(cloexec);
    EXPECT_ERRNO(fcntl(fd, 9999), EINVAL);
    EXPECT_ERRNO(fcntl(fd, F_DUPFD, -1), EINVAL);
    close(fd);
    EXPECT_ERRNO(fcntl(fd, F_GETFD), EBADF);
    EXPECT_ERRNO(fcntl(fd, F_SETFD, FD_CLOEXEC), EBADF);
}

TEST(file, fcntl_nonblock_pipe) {
    int p[2];
    ASSERT_OK(pipe(p));
    EXPECT_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
    ASSERT_OK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK));
    EXPECT_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    char c;
    EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN);
    EXPECT_EQ(write(p[1], "z", 1), 1);
    EXPECT_EQ(read(p[0], &c, 1), 1);
    EXPECT_EQ(c, 'z');
    ASSERT_OK(fcntl(p[0], F_SETFL, 0));
    EXPECT_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
    close(p[0]);
    close(p[1]);
}

TEST(file, writev_pwrite_on_pipe) {
    int p[2];
    ASSERT_OK(pipe(p));
    struct iovec iov[3] = {{"vec", 3}, {"", 0}, {"tored\n", 6}};
    EXPECT_EQ(writev(p[1], iov, 3), 9);
    char buf[16] = {0};
    EXPECT_EQ(read(p[0], buf, sizeof buf), 9);
    EXPECT_STREQ(buf, "vectored\n");
    EXPECT_ERRNO(writev(p[1], iov, -1), EINVAL);
    EXPECT_ERRNO(writev(p[1], (struct iovec *)1, 1), EFAULT);
    EXPECT_ERRNO(write(p[1], (void *)1, 5), EFAULT);
    EXPECT_ERRNO(pwrite(p[1], "x", 1, 0), ESPIPE);
    close(p[0]);
    close(p[1]);
}

/* ---- terminals ---- */

TEST(file, ioctl_tiocgwinsz) {
    struct winsize ws;
    int p[2];
    ASSERT_OK(pipe(p));
    EXPECT_ERRNO(ioctl(p[0], TIOCGWINSZ, &ws), ENOTTY); /* not a terminal */
    close(p[0]);
    close(p[1]);
    int fd = open_data("hello.txt", O_RDONLY);
    EXPECT_ERRNO(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
    close(fd);
    EXPECT_ERRNO(ioctl(12345, TIOCGWINSZ, &ws), EBADF);
    int tty = -1;
    for (int i = 0; i <= 2 && tty < 0; i++)
        if (ioctl(i, TIOCGWINSZ, &ws) == 0) tty = i;
    if (tty < 0) SKIP("no terminal on fds 0-2");
    EXPECT_GT(ws.ws_row, 0);
    EXPECT_GT(ws.ws_col, 0);
    EXPECT_TRUE(isatty(tty));
    EXPECT_ERRNO(ioctl(tty, TIOCGWINSZ, (void *)1), EFAULT);
}

UTEST_MAIN()
