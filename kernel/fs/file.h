#pragma once
// Open files: what a file descriptor refers to.
//
// Every kind of file (initrd file or directory, console, pipe end) has one
// vectored read and one vectored write operation, and read, write, readv,
// writev, pread64 and pwrite64 are all thin front ends to them: a plain
// read is a one-element vector, pread a vector with an explicit offset. One
// code path per direction means one place to get the checks (user ranges,
// partial transfers, EINTR, EAGAIN) right.
#include <stddef.h>
#include <stdint.h>

#include "libk/result.h"

namespace k {
struct InitrdNode;
}

namespace fs {

// One segment of a user buffer (struct iovec). `base` is a user address.
struct IoVec {
    uint64_t base;
    uint64_t length;
};
constexpr size_t kMaxIoVecs = 1024;  // IOV_MAX

// Linux's struct stat for x86-64 (asm/stat.h), 144 bytes.
struct Stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    uint64_t atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec;
    int64_t reserved[3];
};
static_assert(sizeof(Stat) == 144);

// open(2) flags and fcntl status flags the kernel understands.
constexpr uint32_t kOpenAccessMask = 3;
constexpr uint32_t kOpenReadOnly = 0;
constexpr uint32_t kOpenWriteOnly = 1;
constexpr uint32_t kOpenReadWrite = 2;
constexpr uint32_t kOpenCreate = 0100;
constexpr uint32_t kOpenExclusive = 0200;
constexpr uint32_t kOpenNoCtty = 0400;
constexpr uint32_t kOpenTruncate = 01000;
constexpr uint32_t kOpenAppend = 02000;
constexpr uint32_t kOpenNonBlock = 04000;
constexpr uint32_t kOpenDirectory = 0200000;
constexpr uint32_t kOpenNoFollow = 0400000;
constexpr uint32_t kOpenCloseOnExec = 02000000;

class File {
public:
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    // Transfers up to the sum of the segments' lengths. `offset` is the
    // file position to use and advance (the caller passes the file's own
    // position for read/write, a copy for pread/pwrite). Returns the bytes
    // moved; 0 at end of file. Blocking kinds return EAGAIN when
    // non-blocking and nothing can move, EINTR when a signal arrives first.
    virtual k::Result<size_t> read(const IoVec* vectors, size_t count, uint64_t& offset);
    virtual k::Result<size_t> write(const IoVec* vectors, size_t count, uint64_t& offset);
    virtual k::Result<void> stat(Stat& out);
    // getdents64: fills the user buffer with struct linux_dirent64 records.
    virtual k::Result<size_t> read_directory(uint64_t user_buffer, size_t length, uint64_t& position);
    virtual k::Result<int64_t> ioctl(uint64_t request, uint64_t argument);
    virtual bool seekable() const { return false; }
    virtual uint64_t size() const { return 0; }
    // The bytes of a file that lives in memory (initrd files): mmap and
    // execve use them directly. nullptr for other kinds.
    virtual const uint8_t* memory_contents() const { return nullptr; }
    virtual bool is_directory() const { return false; }
    // The initrd node behind this file (directory fds for *at() calls).
    virtual const k::InitrdNode* initrd_node() const { return nullptr; }

    void get() { __atomic_fetch_add(&references_, 1, __ATOMIC_RELAXED); }
    void put();

    uint32_t status_flags = 0;  // kOpenAccessMask bits, kOpenNonBlock, kOpenAppend
    uint64_t position = 0;      // guarded by the caller's file-table lock being irrelevant: see sys_read
    bool non_blocking() const { return (status_flags & kOpenNonBlock) != 0; }
    bool readable() const { return (status_flags & kOpenAccessMask) != kOpenWriteOnly; }
    bool writable() const { return (status_flags & kOpenAccessMask) != kOpenReadOnly; }

protected:
    File() = default;
    ~File() = default;
    // Called when the last reference goes; frees the object.
    virtual void destroy() = 0;

private:
    uint32_t references_ = 1;
};

// Sum of the segments' lengths, checked: EINVAL if it overflows
// SSIZE_MAX (Linux's readv(2) rule), EFAULT if a segment leaves user space.
k::Result<size_t> total_length(const IoVec* vectors, size_t count);

}  // namespace fs
