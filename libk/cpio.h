#pragma once
// Reader for the initrd: a cpio archive in the "newc" format (the one Linux's
// initramfs and `cpio -H newc` use). Layout, repeated per file:
//
//   110-byte header: "070701" and 13 fields of 8 ASCII hex digits
//                    (ino mode uid gid nlink mtime filesize devmajor devminor
//                     rdevmajor rdevminor namesize check)
//   name:            namesize bytes, including a terminating NUL,
//                    then zeros up to a multiple of 4 (counted from the archive start)
//   data:            filesize bytes, then zeros up to a multiple of 4
//
// and the archive ends with an entry named "TRAILER!!!". ("070702" is the
// same layout with a checksum in `check`; it is accepted, the sum is not
// verified.)
//
// The archive comes from outside the kernel, so nothing in it is trusted:
// every offset and length is checked against the archive size before use,
// and a malformed archive (bad magic, a non-hex digit, namesize 0, a name or
// data running past the end, a header cut short) gives Errno::einval instead
// of a read out of bounds. Iteration always makes progress (each entry is at
// least 112 bytes), so it ends after at most size / 112 steps.
#include <stddef.h>
#include <stdint.h>

#include "libk/result.h"
#include "libk/string_view.h"

namespace k {

struct CpioEntry {
    StringView name;  // as archived minus a leading "./" or "/"; not NUL-terminated
    uint32_t mode = 0;  // file type and permission bits, as st_mode
    uint32_t ino = 0;
    uint32_t nlink = 0;
    size_t size = 0;
    const uint8_t* data = nullptr;  // size bytes inside the archive

    // File type bits of st_mode (POSIX <sys/stat.h> values, which cpio stores).
    static constexpr uint32_t kTypeMask = 0170000;
    static constexpr uint32_t kTypeRegular = 0100000;
    static constexpr uint32_t kTypeDirectory = 0040000;
    static constexpr uint32_t kTypeSymlink = 0120000;
    bool is_regular() const { return (mode & kTypeMask) == kTypeRegular; }
    bool is_directory() const { return (mode & kTypeMask) == kTypeDirectory; }
    bool is_symlink() const { return (mode & kTypeMask) == kTypeSymlink; }
};

class CpioReader {
public:
    CpioReader(const void* data, size_t size) : data_(static_cast<const uint8_t*>(data)), size_(size) {}

    // The next entry: true and `out` filled in, false at the trailer or the
    // end of the data, EINVAL for a malformed entry. After false or an error
    // every later call gives the same answer.
    Result<bool> next(CpioEntry& out);

    // Goes back to the first entry.
    void rewind() {
        offset_ = 0;
        state_ = State::kReading;
    }

    // The first entry named `path` (a leading "/" or "./" is ignored, so
    // "/bin/sh", "./bin/sh" and "bin/sh" are the same), ENOENT if there is
    // none, EINVAL if the archive is malformed before it is found. Reads the
    // archive from the start and leaves next()'s position alone.
    Result<CpioEntry> find(StringView path) const;

private:
    enum class State { kReading, kFinished, kFailed };

    const uint8_t* data_;
    size_t size_;
    size_t offset_ = 0;
    State state_ = State::kReading;
};

}  // namespace k
