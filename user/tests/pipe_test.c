/* pipe_test: pipes. pipe/pipe2 (O_CLOEXEC, O_NONBLOCK, EAGAIN both ways), data between
 * processes, EOF only when every writer is gone, EPIPE and SIGPIPE when no reader is left,
 * writes larger than the pipe (64 KiB on Linux) that block and complete, PIPE_BUF
 * atomicity with several writers, pipes wired to stdin/stdout of exec'd programs, and
 * bad input. */
#define _GNU_SOURCE
#include "utest.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <sys/uio.h>

extern char **environ;

static void close_pair(int p[2]) {
    close(p[0]);
    close(p[1]);
}

TEST(pipe, basic) {
    int p[2];
    ASSERT_OK(pipe(p));
    EXPECT_NE(p[0], p[1]);
    EXPECT_EQ(write(p[1], "abc", 3), 3);
    EXPECT_EQ(write(p[1], "de", 2), 2);
    char buf[16] = {0};
    EXPECT_EQ(read(p[0], buf, 2), 2); /* a byte stream: any split */
    EXPECT_EQ(read(p[0], buf + 2, sizeof buf - 3), 3);
    EXPECT_STREQ(buf, "abcde");
    EXPECT_EQ(fcntl(p[0], F_GETFD), 0);
    EXPECT_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
    EXPECT_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
    close_pair(p);
}

TEST(pipe, pipe2_flags) {
    int p[2];
    ASSERT_OK(pipe2(p, O_CLOEXEC));
    EXPECT_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
    close_pair(p);
    ASSERT_OK(pipe2(p, O_NONBLOCK));
    EXPECT_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    EXPECT_EQ(fcntl(p[1], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    char c;
    EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN); /* empty, writer alive */
    close_pair(p);
}

TEST(pipe, bad_input) {
    int p[2];
    EXPECT_ERRNO(pipe2(p, 0x12345), EINVAL);
    EXPECT_ERRNO(syscall(SYS_pipe2, (int *)1, 0), EFAULT);
    EXPECT_ERRNO(syscall(SYS_pipe, (int *)1), EFAULT);
    ASSERT_OK(pipe(p));
    char c = 'x';
    EXPECT_ERRNO(write(p[0], &c, 1), EBADF); /* wrong ends */
    EXPECT_ERRNO(read(p[1], &c, 1), EBADF);
    EXPECT_ERRNO(write(p[1], (void *)1, 4), EFAULT);
    EXPECT_EQ(write(p[1], "data", 4), 4);
    EXPECT_ERRNO(read(p[0], (void *)1, 4), EFAULT);
    char buf[8];
    /* A read that could not copy out consumed nothing (Linux pipe_read). */
    EXPECT_EQ(read(p[0], buf, sizeof buf), 4);
    EXPECT_EQ(write(p[1], "", 0), 0);
    close_pair(p);
}

TEST(pipe, nonblocking_write_fills_then_eagain) {
    int p[2];
    ASSERT_OK(pipe2(p, O_NONBLOCK));
    static char chunk[4096];
    memset(chunk, 'f', sizeof chunk);
    size_t total = 0;
    int full = 0;
    for (int i = 0; i < 1024; i++) { /* at most 4 MiB: bounded whatever the capacity */
        ssize_t n = write(p[1], chunk, sizeof chunk);
        if (n < 0) {
            full = errno == EAGAIN;
            break;
        }
        total += (size_t)n;
    }
    EXPECT_TRUE(full);
    EXPECT_GE(total, 4096); /* at least one page of buffer */
    /* A write of at most PIPE_BUF bytes is all or nothing: with no room, EAGAIN. */
    EXPECT_ERRNO(write(p[1], "x", 1), EAGAIN);
    /* Drain it all back. */
    size_t drained = 0;
    char buf[4096];
    for (;;) {
        ssize_t n = read(p[0], buf, sizeof buf);
        if (n <= 0) break;
        drained += (size_t)n;
    }
    EXPECT_EQ(drained, total);
    close_pair(p);
}

TEST(pipe, between_processes) {
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(p[0]);
        for (int i = 0; i < 1000; i++) {
            char msg[16];
            int len = snprintf(msg, sizeof msg, "%04d\n", i);
            if (write(p[1], msg, (size_t)len) != len) _exit(1);
        }
        _exit(0);
    }
    close(p[1]);
    char all[5 * 1000 + 1];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(p[0], all + used, sizeof all - 1 - used);
        if (n <= 0) break; /* 0: EOF, the child exited */
        used += (size_t)n;
    }
    EXPECT_EQ(used, 5000);
    int ok = 1;
    for (int i = 0; i < 1000 && (size_t)(i * 5 + 5) <= used; i++) {
        char expect[8];
        snprintf(expect, sizeof expect, "%04d\n", i);
        ok &= memcmp(all + i * 5, expect, 5) == 0;
    }
    EXPECT_TRUE(ok);
    EXPECT_CHILD_OK(pid);
    close(p[0]);
}

TEST(pipe, eof_only_when_all_writers_close) {
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(p[0]);
        utest_sleep_ms(30); /* holds a write end for a while */
        ssize_t unused = write(p[1], "late", 4);
        (void)unused;
        _exit(0);
    }
    close(p[1]); /* our write end is gone; the child's is not */
    char buf[8];
    EXPECT_EQ(read(p[0], buf, sizeof buf), 4); /* no EOF while the child holds a write end */
    EXPECT_EQ(read(p[0], buf, sizeof buf), 0); /* the child exited: EOF */
    EXPECT_CHILD_OK(pid);
    close(p[0]);
}

TEST(pipe, reader_blocks_until_data) {
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(p[1]);
        char c;
        ssize_t n = read(p[0], &c, 1);
        _exit(n == 1 && c == 'g' ? 0 : 1);
    }
    close(p[0]);
    utest_sleep_ms(20); /* the child is (very likely) asleep in read by now */
    EXPECT_EQ(write(p[1], "g", 1), 1);
    EXPECT_CHILD_OK(pid);
    close(p[1]);
}

TEST(pipe, epipe_and_sigpipe) {
    int p[2];
    ASSERT_OK(pipe(p));
    close(p[0]);
    /* Default action: the writer dies of SIGPIPE. */
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        ssize_t unused = write(p[1], "x", 1);
        (void)unused;
        _exit(0);
    }
    EXPECT_CHILD_SIGNALED(pid, SIGPIPE);
    /* Ignored: the write fails with EPIPE instead. */
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
    struct iovec iov = {"x", 1};
    EXPECT_ERRNO(writev(p[1], &iov, 1), EPIPE);
    signal(SIGPIPE, old);
    close(p[1]);
}

static volatile int sigpipe_count;
static void on_sigpipe(int sig) {
    (void)sig;
    sigpipe_count++;
}

TEST(pipe, sigpipe_handler_then_epipe) {
    int p[2];
    ASSERT_OK(pipe(p));
    close(p[0]);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigpipe;
    sigaction(SIGPIPE, &sa, &old);
    sigpipe_count = 0;
    EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
    EXPECT_EQ(sigpipe_count, 1); /* delivered on the way back from write */
    sigaction(SIGPIPE, &old, NULL);
    close(p[1]);
}

TEST(pipe, large_write_completes) {
    /* One write(2) of 256 KiB into a pipe that holds far less: the writer blocks and is
     * woken as the reader drains, and the call returns the full count (blocking pipe). */
    enum { kSize = 256 * 1024 };
    static unsigned char data[kSize], got[kSize];
    for (int i = 0; i < kSize; i++) data[i] = (unsigned char)(i * 131 + (i >> 9));
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(p[0]);
        ssize_t n = write(p[1], data, kSize);
        _exit(n == kSize ? 0 : 1);
    }
    close(p[1]);
    size_t used = 0;
    size_t piece = 1;
    while (used < kSize) {
        ssize_t n = read(p[0], got + used, piece < kSize - used ? piece : kSize - used);
        if (n <= 0) break;
        used += (size_t)n;
        piece = piece * 3 % 20011 + 1; /* uneven pieces */
    }
    EXPECT_EQ(used, kSize);
    EXPECT_EQ(memcmp(data, got, kSize), 0);
    char c;
    EXPECT_EQ(read(p[0], &c, 1), 0);
    EXPECT_CHILD_OK(pid);
    close(p[0]);
}

static int all_same(const char *p, size_t len) {
    for (size_t i = 1; i < len; i++)
        if (p[i] != p[0]) return 0;
    return 1;
}

TEST(pipe, small_writes_are_atomic) {
    /* Writes of at most PIPE_BUF bytes are not interleaved with other writers' (pipe(7)). */
    enum { kWriters = 4, kRecords = 200, kRecordSize = 512 };
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t kids[kWriters];
    for (int w = 0; w < kWriters; w++) {
        kids[w] = fork();
        ASSERT_GE(kids[w], 0);
        if (kids[w] == 0) {
            close(p[0]);
            char rec[kRecordSize];
            memset(rec, 'A' + w, sizeof rec);
            for (int r = 0; r < kRecords; r++)
                if (write(p[1], rec, sizeof rec) != (ssize_t)sizeof rec) _exit(1);
            _exit(0);
        }
    }
    close(p[1]);
    static char stream[kWriters * kRecords * kRecordSize];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(p[0], stream + used, sizeof stream - used);
        if (n <= 0) break;
        used += (size_t)n;
    }
    EXPECT_EQ(used, sizeof stream);
    int intact = 1, counts[kWriters] = {0};
    for (size_t r = 0; r + kRecordSize <= used; r += kRecordSize) {
        char who = stream[r];
        intact &= who >= 'A' && who < 'A' + kWriters && all_same(stream + r, kRecordSize);
        if (who >= 'A' && who < 'A' + kWriters) counts[who - 'A']++;
    }
    EXPECT_TRUE(intact);
    for (int w = 0; w < kWriters; w++) EXPECT_EQ(counts[w], kRecords);
    for (int w = 0; w < kWriters; w++) EXPECT_CHILD_OK(kids[w]);
    close(p[0]);
}

/* ---- pipes and exec: the shell's plumbing ---- */

TEST(pipe, stdout_of_exec_into_pipe) {
    int p[2];
    ASSERT_OK(pipe(p));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        close_pair(p);
        char *argv[] = {(char *)UPATH("/bin/echo"), "through", "a", "pipe", NULL};
        execve(argv[0], argv, environ);
        _exit(126);
    }
    close(p[1]);
    char buf[64] = {0};
    size_t used = 0;
    for (;;) {
        ssize_t n = read(p[0], buf + used, sizeof buf - 1 - used);
        if (n <= 0) break;
        used += (size_t)n;
    }
    EXPECT_STREQ(buf, "through a pipe\n");
    EXPECT_CHILD_OK(pid);
    close(p[0]);
}

TEST(pipe, cat_in_the_middle) {
    /* parent -> in -> /bin/cat -> out -> parent */
    int in[2], out[2];
    ASSERT_OK(pipe(in));
    ASSERT_OK(pipe(out));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close_pair(in);
        close_pair(out);
        char *argv[] = {(char *)UPATH("/bin/cat"), NULL};
        execve(argv[0], argv, environ);
        _exit(126);
    }
    close(in[0]);
    close(out[1]);
    static const char text[] = "copied by cat\nline two\n";
    EXPECT_EQ(write(in[1], text, sizeof text - 1), (long)sizeof text - 1);
    close(in[1]); /* cat sees EOF and exits */
    char buf[64] = {0};
    size_t used = 0;
    for (;;) {
        ssize_t n = read(out[0], buf + used, sizeof buf - 1 - used);
        if (n <= 0) break;
        used += (size_t)n;
    }
    EXPECT_STREQ(buf, text);
    EXPECT_CHILD_OK(pid);
    close(out[0]);
}

UTEST_MAIN()
