/* mem_test: virtual memory. mmap (anonymous private/shared, hinted, fixed, file-backed
 * read-only, NORESERVE), munmap splitting, mprotect, brk, malloc, madvise (DONTNEED,
 * DONTFORK/DOFORK), copy-on-write fork, 2 MiB and 1 GiB huge pages and their COW, W^X
 * (text read-only, data not executable), stack growth, and bad input for each call.
 *
 * Faults are caught with a SIGSEGV handler that siglongjmps back (probe()), so a test
 * checks "this access faults, with this si_code at this address" without dying. */
#define _GNU_SOURCE
#include "utest.h"

#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif

#define PAGE 4096UL
#define HUGE_2M (2UL << 20)

/* ---- fault probing ---- */

static sigjmp_buf probe_jmp;
static volatile int probe_sig, probe_code;
static void *volatile probe_addr;

static void probe_handler(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    probe_sig = sig;
    probe_code = si->si_code;
    probe_addr = si->si_addr;
    siglongjmp(probe_jmp, 1);
}

/* Reads (write = 0) or writes one byte at p. Returns 0 if that worked, else the signal
 * it raised (SIGSEGV, SIGBUS), with probe_code and probe_addr from its siginfo. */
static int probe(volatile char *p, int write, char value) {
    struct sigaction sa, old_segv, old_bus;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = probe_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    probe_sig = 0;
    probe_code = 0;
    probe_addr = NULL;
    if (sigsetjmp(probe_jmp, 1) == 0) {
        if (write)
            *p = value;
        else
            (void)*p;
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return probe_sig;
}

static char *map_anon(size_t len, int prot) {
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* An address range that is certainly unmapped right now. */
static char *unmapped_range(size_t len) {
    char *p = map_anon(len, PROT_NONE);
    if (p != NULL) munmap(p, len);
    return p;
}

static int all_bytes(const char *p, size_t len, char value) {
    for (size_t i = 0; i < len; i++)
        if (p[i] != value) return 0;
    return 1;
}

/* ---- anonymous mappings ---- */

TEST(mem, anon_private_zeroed_rw) {
    size_t len = 1 << 20;
    char *p = map_anon(len, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    EXPECT_EQ((uintptr_t)p % PAGE, 0);
    int zero = 1;
    for (size_t i = 0; i < len; i += 512) zero &= p[i] == 0; /* demand-zero pages */
    EXPECT_TRUE(zero);
    for (size_t i = 0; i < len; i++) p[i] = (char)(i * 7);
    int same = 1;
    for (size_t i = 0; i < len; i++) same &= p[i] == (char)(i * 7);
    EXPECT_TRUE(same);
    EXPECT_OK(munmap(p, len));
    EXPECT_EQ(probe(p, 0, 0), SIGSEGV); /* gone */
}

TEST(mem, hint_is_used_when_free) {
    char *spot = unmapped_range(16 * PAGE);
    ASSERT_TRUE(spot != NULL);
    void *p = mmap(spot, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(p != MAP_FAILED);
    EXPECT_EQ((long)p, (long)spot);
    /* A hint on an occupied range is only a hint: another address, nothing clobbered. */
    ((char *)p)[0] = 'k';
    void *q = mmap(spot, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(q != MAP_FAILED);
    EXPECT_NE((long)q, (long)spot);
    EXPECT_EQ(((char *)p)[0], 'k');
    munmap(q, PAGE);
    munmap(p, 16 * PAGE);
}

TEST(mem, fixed_replaces_mapping) {
    char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    memset(p, 'a', PAGE);
    memset(p + PAGE, 'b', PAGE);
    memset(p + 2 * PAGE, 'c', PAGE);
    void *q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    ASSERT_EQ((long)q, (long)(p + PAGE));
    EXPECT_TRUE(all_bytes(p, PAGE, 'a'));
    EXPECT_TRUE(all_bytes(p + PAGE, PAGE, 0)); /* a fresh page */
    EXPECT_TRUE(all_bytes(p + 2 * PAGE, PAGE, 'c'));
    munmap(p, 3 * PAGE);
}

TEST(mem, munmap_splits_region) {
    char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    p[0] = 'x';
    p[2 * PAGE] = 'z';
    ASSERT_OK(munmap(p + PAGE, PAGE));
    EXPECT_EQ(probe(p, 0, 0), 0);
    EXPECT_EQ(p[0], 'x');
    EXPECT_EQ(probe(p + PAGE + 10, 0, 0), SIGSEGV);
    EXPECT_EQ(probe_code, SEGV_MAPERR);
    EXPECT_EQ((long)probe_addr, (long)(p + PAGE + 10));
    EXPECT_EQ(probe(p + 2 * PAGE, 1, 'w'), 0);
    EXPECT_EQ(p[2 * PAGE], 'w');
    /* Unmapping what is already unmapped is not an error. */
    EXPECT_OK(munmap(p + PAGE, PAGE));
    EXPECT_OK(munmap(p, 3 * PAGE));
    EXPECT_OK(munmap(p, 3 * PAGE));
}

TEST(mem, many_regions) {
    /* Alternate protections so 256 neighbouring pages become 256 regions. */
    enum { kPages = 256 };
    char *p = map_anon(kPages * PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    for (int i = 0; i < kPages; i++) p[i * PAGE] = (char)i;
    for (int i = 1; i < kPages; i += 2) ASSERT_OK(mprotect(p + i * PAGE, PAGE, PROT_READ));
    int ok = 1;
    for (int i = 0; i < kPages; i++) ok &= p[i * PAGE] == (char)i;
    EXPECT_TRUE(ok);
    EXPECT_EQ(probe(p + 101 * PAGE, 1, 1), SIGSEGV);
    EXPECT_EQ(probe(p + 100 * PAGE, 1, 1), 0);
    /* Punch holes, then unmap the rest in one call that spans many regions. */
    for (int i = 0; i < kPages; i += 4) ASSERT_OK(munmap(p + i * PAGE, PAGE));
    EXPECT_EQ(probe(p + 4 * PAGE, 0, 0), SIGSEGV);
    EXPECT_EQ(probe(p + 5 * PAGE, 0, 0), 0);
    EXPECT_OK(munmap(p, kPages * PAGE));
    EXPECT_EQ(probe(p + 5 * PAGE, 0, 0), SIGSEGV);
}

TEST(mem, noreserve_large_sparse) {
    size_t len = 1UL << 30;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ASSERT_TRUE(p != MAP_FAILED);
    for (size_t off = 0; off < len; off += len / 8) p[off] = 1; /* only 8 pages get frames */
    EXPECT_EQ(p[len / 2], 1);
    EXPECT_EQ(p[len - 1], 0);
    EXPECT_OK(munmap(p, len));
}

/* ---- mprotect ---- */

TEST(mem, mprotect_readonly_faults_on_write) {
    char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    p[5] = 'q';
    ASSERT_OK(mprotect(p, PAGE, PROT_READ));
    EXPECT_EQ(probe(p, 0, 0), 0);
    EXPECT_EQ(probe(p + 5, 1, 'r'), SIGSEGV);
    EXPECT_EQ(probe_code, SEGV_ACCERR);
    EXPECT_EQ((long)probe_addr, (long)(p + 5));
    EXPECT_EQ(p[5], 'q');
    ASSERT_OK(mprotect(p, PAGE, PROT_READ | PROT_WRITE));
    EXPECT_EQ(probe(p + 5, 1, 'r'), 0);
    EXPECT_EQ(p[5], 'r');
    munmap(p, PAGE);
}

TEST(mem, mprotect_none_faults_on_read) {
    char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    p[0] = 1;
    ASSERT_OK(mprotect(p, PAGE, PROT_NONE));
    EXPECT_EQ(probe(p, 0, 0), SIGSEGV);
    EXPECT_EQ(probe_code, SEGV_ACCERR);
    ASSERT_OK(mprotect(p, PAGE, PROT_READ));
    EXPECT_EQ(p[0], 1); /* the contents survived */
    munmap(p, PAGE);
}

TEST(mem, mprotect_splits_region) {
    char *p = map_anon(3 * PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    ASSERT_OK(mprotect(p + PAGE, PAGE, PROT_READ));
    EXPECT_EQ(probe(p, 1, 1), 0);
    EXPECT_EQ(probe(p + PAGE, 1, 1), SIGSEGV);
    EXPECT_EQ(probe(p + PAGE, 0, 0), 0);
    EXPECT_EQ(probe(p + 2 * PAGE, 1, 1), 0);
    munmap(p, 3 * PAGE);
}

/* ---- W^X ---- */

__attribute__((noinline)) int some_function(int x);
int some_function(int x) { return x + 1; }

TEST(mem, text_is_read_only) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        volatile char *text = (volatile char *)(uintptr_t)some_function;
        *text = 0; /* program text is mapped R+X: SIGSEGV */
        _exit(0);
    }
    EXPECT_CHILD_SIGNALED(pid, SIGSEGV);
    EXPECT_EQ(some_function(1), 2);
}

TEST(mem, data_not_executable) {
    char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    p[0] = (char)0xc3; /* ret */
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        void (*fn)(void) = (void (*)(void))(uintptr_t)p;
        fn(); /* NX: instruction fetch from a page without PROT_EXEC */
        _exit(0);
    }
    EXPECT_CHILD_SIGNALED(pid, SIGSEGV);
    /* With PROT_EXEC it runs and returns. */
    ASSERT_OK(mprotect(p, PAGE, PROT_READ | PROT_EXEC));
    void (*fn)(void) = (void (*)(void))(uintptr_t)p;
    fn();
    munmap(p, PAGE);
}

/* ---- brk and malloc ---- */

TEST(mem, brk) {
    /* In a child: musl's malloc also uses brk, and this test moves it around. */
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        char *start = (char *)syscall(SYS_brk, 0);
        EXPECT_TRUE(start != NULL);
        char *want = start + 64 * 1024;
        char *got = (char *)syscall(SYS_brk, want);
        EXPECT_EQ((long)got, (long)want);
        if (got == want) {
            char *base = (char *)(((uintptr_t)start + PAGE - 1) & ~(PAGE - 1));
            memset(start, 0x5a, (size_t)(want - start));
            EXPECT_EQ(probe(want - 1, 0, 0), 0);
            EXPECT_EQ(start[100], 0x5a);
            /* Shrinking unmaps the pages above the new break. */
            EXPECT_EQ((long)syscall(SYS_brk, start), (long)start);
            EXPECT_EQ(probe(base + 8 * PAGE, 0, 0), SIGSEGV);
            /* Growing again gives zeroed pages. */
            EXPECT_EQ((long)syscall(SYS_brk, want), (long)want);
            EXPECT_EQ(base[8 * PAGE], 0);
        }
        /* A break below the start of the heap is refused: brk returns the current one. */
        char *now = (char *)syscall(SYS_brk, 0);
        EXPECT_EQ((long)syscall(SYS_brk, (char *)4096), (long)now);
        /* So is one in the kernel half. */
        EXPECT_EQ((long)syscall(SYS_brk, (char *)0xffff800000000000UL), (long)now);
        utest_child_exit();
    }
    EXPECT_CHILD_OK(pid);
}

TEST(mem, malloc_small_and_big) {
    enum { kBlocks = 2000 };
    static unsigned char *blocks[kBlocks];
    for (int i = 0; i < kBlocks; i++) {
        size_t size = 1 + (size_t)(i * 37) % 700;
        blocks[i] = malloc(size);
        ASSERT_TRUE(blocks[i] != NULL);
        memset(blocks[i], i & 0xff, size);
    }
    int ok = 1;
    for (int i = 0; i < kBlocks; i++) {
        size_t size = 1 + (size_t)(i * 37) % 700;
        ok &= blocks[i][0] == (i & 0xff) && blocks[i][size - 1] == (i & 0xff);
        if (i % 2) {
            free(blocks[i]);
            blocks[i] = NULL;
        }
    }
    EXPECT_TRUE(ok);
    for (int i = 0; i < kBlocks; i++) free(blocks[i]);

    size_t big = 32UL << 20;
    unsigned char *p = malloc(big);
    ASSERT_TRUE(p != NULL);
    for (size_t i = 0; i < big; i += PAGE) p[i] = (unsigned char)(i >> 12);
    /* Growing a large block (musl: mremap, or a copy when that is not there). */
    unsigned char *q = realloc(p, big + (16UL << 20));
    ASSERT_TRUE(q != NULL);
    ok = 1;
    for (size_t i = 0; i < big; i += PAGE) ok &= q[i] == (unsigned char)(i >> 12);
    EXPECT_TRUE(ok);
    q[big + (16UL << 20) - 1] = 1;
    free(q);
    void *huge = malloc((size_t)1 << 47); /* more than the address space: NULL, no crash */
    EXPECT_TRUE(huge == NULL);
}

static void grow_stack(int depth, volatile long *sum) {
    volatile char frame[32 * 1024];
    frame[0] = (char)depth;
    frame[sizeof frame - 1] = (char)depth;
    if (depth > 0) grow_stack(depth - 1, sum);
    *sum += frame[0] + frame[sizeof frame - 1];
}

TEST(mem, main_stack_grows) {
    volatile long sum = 0;
    grow_stack(48, &sum); /* about 1.5 MiB below the current frame */
    EXPECT_EQ(sum, 2L * (48 * 49 / 2));
}

/* ---- madvise ---- */

TEST(mem, madvise_dontneed_zeroes_private) {
    char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    memset(p, 'd', 4 * PAGE);
    ASSERT_OK(madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED));
    EXPECT_TRUE(all_bytes(p, PAGE, 'd'));
    EXPECT_TRUE(all_bytes(p + PAGE, 2 * PAGE, 0)); /* private anonymous: back to zero-fill */
    EXPECT_TRUE(all_bytes(p + 3 * PAGE, PAGE, 'd'));
    munmap(p, 4 * PAGE);
}

TEST(mem, madvise_dontneed_keeps_shared) {
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(p != MAP_FAILED);
    memset(p, 's', 2 * PAGE);
    ASSERT_OK(madvise(p, 2 * PAGE, MADV_DONTNEED));
    /* Shared memory lives in its object, not in the page tables: the data comes back. */
    EXPECT_TRUE(all_bytes(p, 2 * PAGE, 's'));
    munmap(p, 2 * PAGE);
}

TEST(mem, madvise_dontfork) {
    char *keep = map_anon(PAGE, PROT_READ | PROT_WRITE);
    char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL && keep != NULL);
    memset(p, 'f', 2 * PAGE);
    keep[0] = 'k';
    ASSERT_OK(madvise(p, 2 * PAGE, MADV_DONTFORK));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (keep[0] != 'k') _exit(1);
        (void)*(volatile char *)p; /* absent in the child: SIGSEGV */
        _exit(0);
    }
    EXPECT_CHILD_SIGNALED(pid, SIGSEGV);
    EXPECT_TRUE(all_bytes(p, 2 * PAGE, 'f')); /* the parent's copy is untouched */

    ASSERT_OK(madvise(p, 2 * PAGE, MADV_DOFORK));
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        EXPECT_TRUE(all_bytes(p, 2 * PAGE, 'f'));
        utest_child_exit();
    }
    EXPECT_CHILD_OK(pid);
    munmap(p, 2 * PAGE);
    munmap(keep, PAGE);
}

TEST(mem, madvise_bad_input) {
    char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    EXPECT_ERRNO(madvise(p, PAGE, 12345), EINVAL);
    EXPECT_ERRNO(madvise(p + 1, PAGE, MADV_DONTNEED), EINVAL);
    char *hole = unmapped_range(4 * PAGE);
    EXPECT_ERRNO(madvise(hole, 4 * PAGE, MADV_DONTNEED), ENOMEM);
    munmap(p, PAGE);
}

/* ---- copy-on-write fork ---- */

static int read_byte(int fd) {
    char c;
    return read(fd, &c, 1) == 1 ? c : -1;
}

static void write_byte(int fd, char c) {
    ssize_t unused = write(fd, &c, 1);
    (void)unused;
}

/* Parent and child both write the same pages after fork; each keeps seeing its own. */
static void check_cow(char *buf, size_t len) {
    int to_parent[2], to_child[2];
    if (pipe(to_parent) < 0 || pipe(to_child) < 0) FAIL("pipe: %s", strerror(errno));
    memset(buf, 'A', len);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        memset(buf, 'C', len);                    /* 1. the child writes */
        write_byte(to_parent[1], 1);
        if (read_byte(to_child[0]) != 2) _exit(2); /* 3. after the parent wrote too */
        EXPECT_TRUE(all_bytes(buf, len, 'C'));
        utest_child_exit();
    }
    EXPECT_EQ(read_byte(to_parent[0]), 1);
    EXPECT_TRUE(all_bytes(buf, len, 'A'));         /* 2. not the child's writes */
    memset(buf, 'P', len);
    write_byte(to_child[1], 2);
    EXPECT_CHILD_OK(pid);
    EXPECT_TRUE(all_bytes(buf, len, 'P'));
    close(to_parent[0]);
    close(to_parent[1]);
    close(to_child[0]);
    close(to_child[1]);
}

TEST(mem, cow_isolation) {
    size_t len = 64 * PAGE;
    char *p = map_anon(len, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    check_cow(p, len);
    munmap(p, len);
}

static char cow_static[3 * 4096] = {1};

TEST(mem, cow_data_and_heap) {
    check_cow(cow_static, sizeof cow_static); /* .data */
    char *heap = malloc(10000);
    ASSERT_TRUE(heap != NULL);
    check_cow(heap, 10000);
    free(heap);
    volatile char stack[8192]; /* the stack is private memory too */
    check_cow((char *)stack, sizeof stack);
}

TEST(mem, cow_several_children) {
    enum { kKids = 4 };
    char *p = map_anon(8 * PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    memset(p, 'o', 8 * PAGE);
    pid_t kids[kKids];
    for (int k = 0; k < kKids; k++) {
        kids[k] = fork();
        ASSERT_GE(kids[k], 0);
        if (kids[k] == 0) {
            for (int round = 0; round < 20; round++) {
                memset(p, '0' + k, 8 * PAGE);
                sched_yield();
                EXPECT_TRUE(all_bytes(p, 8 * PAGE, (char)('0' + k)));
            }
            utest_child_exit();
        }
    }
    for (int k = 0; k < kKids; k++) EXPECT_CHILD_OK(kids[k]);
    EXPECT_TRUE(all_bytes(p, 8 * PAGE, 'o'));
    /* Now the only owner again: writing must work (and not copy forever). */
    memset(p, 'n', 8 * PAGE);
    EXPECT_TRUE(all_bytes(p, 8 * PAGE, 'n'));
    munmap(p, 8 * PAGE);
}

TEST(mem, cow_read_only_mapping_stays_read_only) {
    char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    p[0] = 'r';
    ASSERT_OK(mprotect(p, PAGE, PROT_READ));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        EXPECT_EQ(p[0], 'r');
        EXPECT_EQ(probe(p, 1, 'x'), SIGSEGV); /* a COW fault must not make it writable */
        utest_child_exit();
    }
    EXPECT_CHILD_OK(pid);
    EXPECT_EQ(probe(p, 1, 'x'), SIGSEGV);
    munmap(p, PAGE);
}

TEST(mem, shared_anon_across_fork) {
    char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(p != MAP_FAILED);
    int to_parent[2], to_child[2];
    ASSERT_OK(pipe(to_parent));
    ASSERT_OK(pipe(to_child));
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        memset(p, 'c', 4 * PAGE);
        write_byte(to_parent[1], 1);
        if (read_byte(to_child[0]) != 2) _exit(2);
        EXPECT_TRUE(all_bytes(p, 4 * PAGE, 'p')); /* sees the parent's write */
        utest_child_exit();
    }
    EXPECT_EQ(read_byte(to_parent[0]), 1);
    EXPECT_TRUE(all_bytes(p, 4 * PAGE, 'c'));      /* sees the child's write */
    memset(p, 'p', 4 * PAGE);
    write_byte(to_child[1], 2);
    EXPECT_CHILD_OK(pid);
    munmap(p, 4 * PAGE);
    close(to_parent[0]);
    close(to_parent[1]);
    close(to_child[0]);
    close(to_child[1]);
}

/* ---- file-backed mappings (the initrd is read-only) ---- */

TEST(mem, file_mapping_read_only) {
    int fd = open(UPATH("/tests/data/lines.txt"), O_RDONLY);
    ASSERT_GE(fd, 0);
    char expect[1800];
    ASSERT_EQ(read(fd, expect, sizeof expect), (long)sizeof expect);
    char *p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    ASSERT_TRUE(p != MAP_FAILED);
    EXPECT_EQ(memcmp(p, expect, sizeof expect), 0);
    EXPECT_TRUE(all_bytes(p + sizeof expect, PAGE - sizeof expect, 0)); /* the rest of the last page */
    EXPECT_EQ(probe(p, 1, 'x'), SIGSEGV);
    munmap(p, 2 * PAGE);

    /* A private writable mapping is copy-on-write: the file does not change. */
    char *w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    ASSERT_TRUE(w != MAP_FAILED);
    w[0] = 'X';
    EXPECT_EQ(w[0], 'X');
    char first;
    EXPECT_EQ(pread(fd, &first, 1, 0), 1);
    EXPECT_EQ(first, 'l');
    munmap(w, PAGE);

    /* Shared and writable needs a file opened for writing. */
    EXPECT_ERRNO(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
    /* The file offset must be page-aligned. */
    EXPECT_ERRNO(syscall(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
    close(fd);
    EXPECT_ERRNO(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0), EBADF); /* closed */
}

/* ---- bad input ---- */

TEST(mem, mmap_bad_input) {
    EXPECT_ERRNO(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    EXPECT_ERRNO(mmap((void *)0x10000001, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    EXPECT_ERRNO(mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL); /* neither private nor shared */
    EXPECT_ERRNO(mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    EXPECT_ERRNO(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF); /* file mapping, no file */
    EXPECT_ERRNO(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 12345, 0), EBADF);
    /* Not in the user half. */
    EXPECT_ERRNO(mmap((void *)0xffff800000000000UL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
                 ENOMEM);
    EXPECT_ERRNO(mmap((void *)0x00007ffffffff000UL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                      -1, 0),
                 ENOMEM);
}

TEST(mem, munmap_bad_input) {
    char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    EXPECT_ERRNO(munmap(p + 1, PAGE), EINVAL);
    EXPECT_ERRNO(munmap(p, 0), EINVAL);
    EXPECT_ERRNO(munmap((void *)0xffff800000000000UL, PAGE), EINVAL);
    EXPECT_ERRNO(munmap(p, (size_t)-PAGE), EINVAL); /* wraps around */
    p[0] = 1;                                         /* still mapped after the failures */
    munmap(p, 2 * PAGE);
}

TEST(mem, mprotect_bad_input) {
    char *p = map_anon(2 * PAGE, PROT_READ | PROT_WRITE);
    ASSERT_TRUE(p != NULL);
    EXPECT_ERRNO(syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL); /* raw: musl rounds the address down */
    EXPECT_ERRNO(mprotect(p, PAGE, 0x80), EINVAL); /* unknown protection bit */
    char *hole = unmapped_range(2 * PAGE);
    EXPECT_ERRNO(mprotect(hole, 2 * PAGE, PROT_READ), ENOMEM);
    /* Partly unmapped: ENOMEM too. */
    ASSERT_OK(munmap(p + PAGE, PAGE));
    EXPECT_ERRNO(mprotect(p, 2 * PAGE, PROT_READ), ENOMEM);
    munmap(p, PAGE);
}

/* ---- huge pages ---- */

/* Maps len bytes of huge pages, or returns NULL with the errno that said no. */
static char *map_huge(size_t len, int size_flag, int *err) {
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | size_flag, -1, 0);
    *err = errno;
    return p == MAP_FAILED ? NULL : p;
}

/* ENOMEM: none reserved (a Linux host with vm.nr_hugepages = 0, or a small guest);
 * EINVAL: that page size is not supported here. */
#define MAP_HUGE_OR_SKIP(var, len, flag)                                                           \
    int var##_err = 0;                                                                               \
    char *var = map_huge(len, flag, &var##_err);                                                     \
    if (var == NULL) {                                                                               \
        if (var##_err == ENOMEM || var##_err == EINVAL) SKIP("no huge pages (%s)", utest_errname(var##_err)); \
        FAIL("mmap(MAP_HUGETLB): %s", utest_errname(var##_err));                                    \
    }

TEST(mem, hugetlb_2m) {
    MAP_HUGE_OR_SKIP(p, HUGE_2M, MAP_HUGE_2MB);
    EXPECT_EQ((uintptr_t)p % HUGE_2M, 0);
    int zero = 1;
    for (size_t i = 0; i < HUGE_2M; i += PAGE) zero &= p[i] == 0;
    EXPECT_TRUE(zero);
    for (size_t i = 0; i < HUGE_2M; i += 64) p[i] = (char)(i >> 6);
    int ok = 1;
    for (size_t i = 0; i < HUGE_2M; i += 64) ok &= p[i] == (char)(i >> 6);
    EXPECT_TRUE(ok);
    EXPECT_OK(munmap(p, HUGE_2M));
    EXPECT_EQ(probe(p, 0, 0), SIGSEGV);
}

TEST(mem, hugetlb_2m_cow) {
    MAP_HUGE_OR_SKIP(p, HUGE_2M, MAP_HUGE_2MB);
    check_cow(p, HUGE_2M);
    munmap(p, HUGE_2M);
}

TEST(mem, hugetlb_2m_partial_is_einval) {
    MAP_HUGE_OR_SKIP(p, 2 * HUGE_2M, MAP_HUGE_2MB);
    p[0] = 'h';
    p[HUGE_2M] = 'i';
    /* Not on a huge-page boundary: refused, as Linux does; nothing changes. */
    EXPECT_ERRNO(munmap(p + PAGE, PAGE), EINVAL);
    EXPECT_ERRNO(mprotect(p + PAGE, PAGE, PROT_READ), EINVAL);
    EXPECT_EQ(p[0], 'h');
    EXPECT_EQ(probe(p + PAGE, 1, 'w'), 0);
    /* On a boundary: the region splits. */
    EXPECT_OK(munmap(p, HUGE_2M));
    EXPECT_EQ(probe(p, 0, 0), SIGSEGV);
    EXPECT_EQ(p[HUGE_2M], 'i');
    EXPECT_OK(munmap(p + HUGE_2M, HUGE_2M));
}

TEST(mem, hugetlb_1g) {
    MAP_HUGE_OR_SKIP(p, 1UL << 30, MAP_HUGE_1GB);
    EXPECT_EQ((uintptr_t)p % (1UL << 30), 0);
    p[0] = 1;
    p[(1UL << 30) - 1] = 2;
    EXPECT_EQ(p[0] + p[(1UL << 30) - 1], 3);
    EXPECT_OK(munmap(p, 1UL << 30));
}

UTEST_MAIN()
